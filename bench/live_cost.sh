#!/usr/bin/env bash
# Cost of the live view. Against one-worker nginx (CPU 0), perfgate on CPU 1:
#  1. headless, live aggregate published every 250 ms vs every 5 s (publishing cost);
#  2. the TUI in a real terminal (tmux 120x40, drawing 4-5x/s) vs headless (view cost),
#     in ROUNDS (default 5) pairs run back to back: each pair's cost is 1 - tui/headless,
#     and the median pair is the figure (pairing cancels the machine's slow drifts);
#  3. which core bound the runs (busy share of nginx's core and of perfgate's);
#  4. the CPU the idle TUI uses after the run, over 10 s.
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
# Busy share of CPU 0 (nginx) and CPU 1 (perfgate) since a /proc/stat snapshot.
cpu_snap() { awk '/^cpu[01] / {printf "%s %d %d\n", $1, $2+$3+$4+$7+$8, $5+$6}' /proc/stat; }
cpu_busy() {
  paste <(echo "$1") <(cpu_snap) | awk '{b = $5 - $2; i = $6 - $3; printf "%s %.0f%% ", $1, 100*b/(b+i)} END {print ""}'
}
# CPU ticks of a process's threads: the load threads, then all the others.
threads_cpu() {
  for t in /proc/"$1"/task/*; do
    awk -v OFS='\t' '{n=$0; sub(/^[0-9]+ \(/, "", n); sub(/\).*/, "", n); split($0, a, ") "); split(a[2], f, " "); print n, f[12]+f[13]}' "$t/stat" 2>/dev/null
  done | awk -F'\t' '{ if ($1 ~ /^perfgate-load/) l += $2; else u += $2 } END {print l+0, u+0}'
}
proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Sampled inside a run (its load threads end with it): from 1 s in to 1 s before.
sample_run() {
  local pid=$1 extra=${2:-} l0 u0 l1 u1 x0=0 x1=0
  sleep 1
  read -r l0 u0 < <(threads_cpu "$pid")
  [ -n "$extra" ] && x0=$(proc_ticks "$extra")
  sleep $((SECS - 2))
  read -r l1 u1 < <(threads_cpu "$pid")
  [ -n "$extra" ] && x1=$(proc_ticks "$extra")
  echo "$((l1 - l0)) $((u1 - u0)) $((x1 - x0))"
}
headless() {
  local before pid; before=$(cpu_snap)
  PERFGATE_LIVE_MS=$1 taskset -c 1 "$PERFGATE" --ci --config "$tmp/cfg.json" --output "$tmp/h.json" >/dev/null 2>&1 &
  pid=$!
  [ "${2:-}" = sample ] && sample_run "$pid" >> "$tmp/headless_threads.txt"
  wait "$pid" || true
  cpu_busy "$before" > "$tmp/busy.txt"
  rps "$tmp/h.json"
}
fast=(); slow=()
for i in 1 2 3; do fast+=("$(headless 250)"); slow+=("$(headless 5000)"); done
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
f=$(median "${fast[@]}"); s=$(median "${slow[@]}")
echo "headless, live every 250 ms: $f req/s; every 5 s: $s req/s"
read -r c0 b0 c1 b1 < "$tmp/busy.txt"
echo "busy during a headless run: nginx's core ($c0) $b0, perfgate's core ($c1) $b1: the $( [ "${b1%\%}" -ge "${b0%\%}" ] && echo generator || echo server) bounds the run"
python3 -c "print('publishing at 4 Hz costs %.2f%% throughput' % (100*(1-$f/$s)))"

# The TUI in a terminal, drawing while the load runs, alternated with headless runs
# (paired rounds, see above). Opening the console sends no load: the run starts with `s`
# once the Live tab is up. Nothing else runs meanwhile: the wait sleeps through the
# run before it polls the store (a poll is a process, which would steal a core).
tui_round() {
  # The previous round's console, gone before the next starts (a server still
  # shutting down would take the new session with it).
  tmux -L "$sock" kill-server 2>/dev/null || true
  while tmux -L "$sock" has-session 2>/dev/null; do sleep 0.1; done
  rm -f "/tmp/tmux-$(id -u)/$sock"
  # The terminal (tmux) runs on the console's core: it is part of what the console
  # costs, and left free it lands on nginx's core half the time.
  taskset -c 1 tmux -L "$sock" new-session -d -s b -x 120 -y 40 -c "$tmp" "taskset -c 1 $PERFGATE --config $tmp/cfg.json; sleep 600"
  for _ in $(seq 1 100); do
    tmux -L "$sock" capture-pane -p -t b 2>/dev/null | grep -q "1 Live" && break
    sleep 0.1
  done
  before=$("$PERFGATE" runs --store "$tmp/store.db" 2>/dev/null | awk 'NR==2 {print $1}')
  tmux -L "$sock" send-keys -t b s
  # CPU by thread over the run: the load threads against everything else the
  # console does, and the terminal's own (the noise-free half of the measure:
  # throughput swings between rounds on a shared machine).
  pane=$(tmux -L "$sock" list-panes -t b -F '#{pane_pid}')
  cpid=$(pgrep -P "$pane" -x perfgate | head -1 || true)
  server=$(tmux -L "$sock" display -p -t b '#{pid}')
  sample_run "$cpid" "$server" >> "$tmp/threads.txt"
  # Past the run's end (start-up included) before the first poll.
  sleep 3
  for _ in $(seq 1 100); do
    last=$("$PERFGATE" runs --store "$tmp/store.db" 2>/dev/null | awk 'NR==2 && /complete/ && / tui / {print $1}')
    [ -n "$last" ] && [ "$last" != "$before" ] && break
    sleep 0.5
  done
  if [ -z "${last:-}" ] || [ "$last" = "$before" ]; then
    echo "the console's run did not complete" >&2
    exit 1
  fi
  "$PERFGATE" report "${last#\#}" --format json --store "$tmp/store.db" > "$tmp/t.json"
  rps "$tmp/t.json"
}
ROUNDS=${ROUNDS:-5}
tui=(); head=(); costs=()
for i in $(seq 1 "$ROUNDS"); do
  h=$(headless 250 sample); t=$(tui_round)
  head+=("$h"); tui+=("$t")
  costs+=("$(python3 -c "print('%.2f' % (100*(1-$t/$h)))")")
done
echo "TUI (120x40, drawing at 4-5 frames/s): ${tui[*]} req/s; headless beside each: ${head[*]}"
echo "the live TUI costs $(median "${costs[@]}")% throughput (median of $ROUNDS paired rounds: ${costs[*]})"
hz=$(getconf CLK_TCK)
share() { awk -v hz="$hz" -v secs="$((SECS - 2))" '{l += $1; u += $2; x += $3; n++} END {printf "%.2f %.2f %.2f\n", 100*l/n/hz/secs, 100*u/n/hz/secs, 100*x/n/hz/secs}' "$1"; }
read -r hl hu _ < <(share "$tmp/headless_threads.txt")
read -r tl tu tx < <(share "$tmp/threads.txt")
echo "perfgate's core during the runs (% of a core, mean of $ROUNDS): headless load threads $hl, its other threads $hu; console load threads $tl, its other threads $tu, the terminal (tmux) $tx"
python3 -c "print('the console takes %.2f%% of the generator core (its threads beyond headless, plus the terminal): the throughput it costs where the generator bounds the run' % (100*(($tu - $hu) + $tx) / ($tl + $tu + $tx)))"
pid=$(pgrep -x perfgate | head -1 || true)
sleep 2
a=$(proc_ticks "$pid"); sleep 10; b=$(proc_ticks "$pid")
python3 -c "print('idle TUI CPU: %.2f%% of one core' % (100.0*($b-$a)/$hz/10))"
# The frame time of every tab at both sizes, beside the throughput cost.
cargo bench -q --bench frame 2>/dev/null | grep -v '^$'
