#!/usr/bin/env python3
"""compare.py BEFORE AFTER: per database, the leaf pages (K) and value pages (V) in AFTER that
BEFORE did not have, i.e. the pages the commits in between rewrote or added (census.c)."""
import collections
import sys


def load(path):
    pages = collections.defaultdict(set)
    for line in open(path):
        db, kind, page = line.split()
        pages[(db, kind)].add(int(page))
    return pages


before, after = load(sys.argv[1]), load(sys.argv[2])
total = 0
print(f"{'database':28} {'leaf pages':>10} {'rewritten':>9} {'overflow':>9} {'rewritten':>9}")
for db in sorted({db for db, _ in after}):
    leaves_a, leaves_b = after[(db, "K")], before[(db, "K")]
    over_a, over_b = after[(db, "V")] - leaves_a, before[(db, "V")] - leaves_b
    new_leaves, new_over = len(leaves_a - leaves_b), len(over_a - over_b)
    total += new_leaves + new_over
    print(f"{db:28} {len(leaves_a):10} {new_leaves:9} {len(over_a):9} {new_over:9}")
print(f"{'total':28} {'':10} {total:9}   (overflow: first pages of large values only)")
