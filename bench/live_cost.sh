#!/usr/bin/env bash
# Cost of the live view. Against one-worker nginx (CPU 0), perfgate on CPU 1:
#  1. headless, live aggregate published every 250 ms vs every 5 s (publishing cost);
#  2. the TUI in a real terminal (tmux 120x40, drawing 5x/s) vs headless (view cost);
#  3. the CPU the idle TUI uses after the run, over 10 s.
# Usage: bench/live_cost.sh [seconds]   (needs nginx, tmux)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-5}
PORT=${PORT:-18481}
PERFGATE=$(realpath "${PERFGATE:-target/release/perfgate}")
[ -x "$PERFGATE" ] || cargo build --release
tmp=$(mktemp -d)
sock="pg-bench-$$"
trap 'tmux -L $sock kill-server 2>/dev/null || true; kill $(cat $tmp/nginx.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$tmp"' EXIT
sed "s#PREFIX#$tmp#g; s#PORT#$PORT#g" bench/nginx.conf > "$tmp/nginx.conf"
taskset -c 0 nginx -c "$tmp/nginx.conf" -p "$tmp" &
sleep 0.5
cat > "$tmp/cfg.json" <<JSON
{"base_url": "http://127.0.0.1:$PORT", "tracking_db": "$tmp/store.db",
 "test_scenarios": [{"name": "nginx", "type": "api", "endpoint": "/health", "concurrent_users": 50, "duration": $SECS}]}
JSON
rps() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['scenarios'][0]['metrics']['throughput_rps'])" "$1"; }
headless() { PERFGATE_LIVE_MS=$1 taskset -c 1 "$PERFGATE" --ci --config "$tmp/cfg.json" --output "$tmp/h.json" >/dev/null 2>&1 || true; rps "$tmp/h.json"; }
fast=(); slow=()
for i in 1 2 3; do fast+=("$(headless 250)"); slow+=("$(headless 5000)"); done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
f=$(median "${fast[@]}"); s=$(median "${slow[@]}")
echo "headless, live every 250 ms: $f req/s; every 5 s: $s req/s"
python3 -c "print('publishing at 4 Hz costs %.2f%% throughput' % (100*(1-$f/$s)))"

# The TUI in a terminal, drawing while the load runs.
# Opening the console sends no load: start the run with `s` once the Live tab is up.
tmux -L "$sock" new-session -d -s b -x 120 -y 40 -c "$tmp" "taskset -c 1 $PERFGATE --config $tmp/cfg.json; sleep 60"
for _ in $(seq 1 100); do
  tmux -L "$sock" capture-pane -p -t b 2>/dev/null | grep -q "1 Live" && break
  sleep 0.1
done
tmux -L "$sock" send-keys -t b s
for _ in $(seq 1 $((SECS * 10 + 100))); do
  "$PERFGATE" runs --store "$tmp/store.db" 2>/dev/null | grep -q "^#7 .*complete" && break
  sleep 0.2
done
"$PERFGATE" report 7 --format json --store "$tmp/store.db" > "$tmp/t.json"
t=$(rps "$tmp/t.json")
echo "TUI (120x40, 5 frames/s): $t req/s vs headless $f req/s"
python3 -c "print('the live TUI costs %.2f%% throughput' % (100*(1-$t/$f)))"
pid=$(pgrep -f "$PERFGATE --config $tmp/cfg.json" | head -1)
sleep 2
ticks() { awk '{print $14+$15}' /proc/$pid/stat; }
a=$(ticks); sleep 10; b=$(ticks)
hz=$(getconf CLK_TCK)
python3 -c "print('idle TUI CPU: %.2f%% of one core' % (100.0*($b-$a)/$hz/10))"
