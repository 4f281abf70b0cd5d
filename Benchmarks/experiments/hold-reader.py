#!/usr/bin/env python3
"""Holds a read transaction open on a Colony store, renewing it every RENEW seconds (0: never),
until SIGTERM. While it is held LMDB cannot reuse a page freed after the snapshot, so the
writer takes new pages past the end of the file, one after another. An experiment on where a
durable commit's pages land (docs/PERFORMANCE.md, "What would help next"):

    pip install lmdb
    colony-load seed --store S --events 1000000 --scopes 10000; cp -r S X
    python3 Benchmarks/experiments/hold-reader.py X 0.1 & holder=$!
    colony-load stdio --calls 50000 --rate 10000 --tool log_event --scope bench/s0042/agent -- colony serve --store X
    kill $holder; mdb_stat -e X | grep 'pages used'

Run on copies: with RENEW 0 the file grows by hundreds of MB a second of writes, and LMDB
never gives the space back.
"""
import signal
import sys
import time

import lmdb

path, renew = sys.argv[1], float(sys.argv[2])
env = lmdb.open(path, readonly=True, max_dbs=64, map_size=1 << 40, lock=True)
txn = env.begin()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(renew if renew > 0 else 3600)
    if renew > 0:
        txn.abort()
        txn = env.begin()
