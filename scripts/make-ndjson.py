#!/usr/bin/env python3
"""Writes N events as Colony NDJSON (docs/ndjson.md), exactly as `colony export` writes them.

    scripts/make-ndjson.py 1000000 > events.ndjson

The workload is the benchmarks' (Benchmarks/, docs/PERFORMANCE.md): event i goes to leaf scope
j = i mod 10,000, named o{j mod 10}/p{j mod 100}/s{j}; kind "event"; a payload of exactly 256
bytes, {"text":"…"}; times 1 ms apart. Ids are i as a UUID, so a second run gives the same bytes.
Imported into an empty store, the store's export is byte-identical to this file.
"""
import datetime
import sys

LEAVES = 10_000
BASE_US = 1_795_000_000_000_000  # 2026-11-18T11:06:40Z


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    out = sys.stdout
    epoch = datetime.datetime(1970, 1, 1)
    prefix = '{"text":"'
    lines = []
    for i in range(n):
        j = i % LEAVES
        scope = f"o{j % 10}/p{j % 100}/s{j}"
        time_us = BASE_US + i * 1000
        seconds, micros = divmod(time_us, 1_000_000)
        time = (epoch + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}Z"
        h = f"{i + 1:032x}"
        uid = f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
        text = f"event {i} "
        payload = prefix + text + "x" * (256 - len(prefix) - len(text) - 2) + '"}'
        lines.append(f'{{"position":{i + 1},"id":"{uid}","time":"{time}","time_us":{time_us},'
                     f'"stream":"{scope}","stream_version":{i // LEAVES + 1},"kind":"event","payload":{payload}}}\n')
        if len(lines) == 10_000:
            out.write("".join(lines))
            lines.clear()
    out.write("".join(lines))


if __name__ == "__main__":
    main()
