#!/usr/bin/env bash
# Runs folio-writes.c's six cases twice each: what a random 4 KB write costs Linux
# depending on the folios its page sits in. See the comment at the top of folio-writes.c.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:-$here/../..}
bin=$(mktemp -d)/folio-writes
trap 'rm -rf "$(dirname "$bin")"; rm -f "$dir/folio-writes.dat"' EXIT
cc -O2 -o "$bin" "$here/folio-writes.c"
for round in 1 2; do
    for mode in 0 1 2 3 4 5; do "$bin" "$mode" "$dir/folio-writes.dat"; done
done
