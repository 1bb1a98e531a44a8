#!/usr/bin/env bash
# perfgate's detector against Apache Otava's (the change-point detector MongoDB and
# DataStax run on their CI performance data) on the detection bench's synthetic
# histories: the bench writes them (one seed, every family or one), then
# bench/otava_compare.py replays each series through both, run by run, and prints each
# family's figures side by side. CPU-bound, no network beyond installing Otava.
# Usage: bench/otava.sh [SERIES (100)] [FAMILY|held-out|far-modes|unseen|all] [SEED (20261127)]
# (needs python3 with venv)
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-100}
FAMILY=${2:-}
if [ "$FAMILY" = all ]; then FAMILY=; fi
SEED=${3:-}
VENV=target/otava-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import otava' 2>/dev/null; then
  python3 -m venv "$VENV" || { echo "needs python3 with venv (apt-get install python3-venv)"; exit 2; }
  "$VENV/bin/pip" install -q 'apache-otava==0.8.0'
fi
cargo build --release -q --bin perfgate
DIR=target/otava-histories
rm -rf "$DIR"
cargo bench -q --bench detection -- --write "$DIR" ${FAMILY:+--family "$FAMILY"} ${SEED:+--seed "$SEED"} > "$DIR.bench.txt"
"$VENV/bin/python" bench/otava_compare.py "$DIR" target/release/perfgate --series "$SERIES"
