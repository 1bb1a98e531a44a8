#!/usr/bin/env bash
# Load-engine benchmark: perfgate against wrk (and oha when installed) on the same
# one-worker nginx, nginx pinned to CPU 0, each generator to CPU 1, 50 connections,
# /health. Alternates ROUNDS (3) rounds and prints, per tool, the median throughput,
# the generator's CPU time per request (user+sys over requests: what the generator
# itself costs, whichever side is the limit) and how busy each core was, then says
# which resource bound the run: the server (nginx's core saturated, the generator's
# not), the generator (the reverse), or both. Then perfgate's peak RSS for a run and
# one 4x longer. Usage: bench/load.sh [seconds]   (needs nginx, wrk; oha optional)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-5}
PORT=${PORT:-18480}
PERFGATE=${PERFGATE:-target/release/perfgate}
[ -x "$PERFGATE" ] || cargo build --release
command -v nginx >/dev/null && command -v wrk >/dev/null || { echo "needs nginx and wrk (apt-get install nginx-light wrk)"; exit 2; }
tmp=$(mktemp -d)
trap 'kill $(cat $tmp/nginx.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$tmp"' EXIT
sed "s#PREFIX#$tmp#g; s#PORT#$PORT#g" bench/nginx.conf > "$tmp/nginx.conf"
taskset -c 0 nginx -c "$tmp/nginx.conf" -p "$tmp" &
sleep 0.5
url="http://127.0.0.1:$PORT/health"
cat > "$tmp/cfg.json" <<JSON
{"base_url": "http://127.0.0.1:$PORT", "tracking_db": "$tmp/store.db",
 "test_scenarios": [{"name": "nginx", "type": "api", "endpoint": "/health", "concurrent_users": 50, "duration": $SECS}]}
JSON

# Run a command on CPU 1; print "requests cpu_seconds core0_busy core1_busy"; its
# stdout goes to $tmp/out. Requests are parsed by the caller-specific awk/python.
measure() {
  python3 - "$tmp/out" "$@" <<'PY'
import subprocess, sys, time
def cores():
    d = {}
    for l in open('/proc/stat'):
        f = l.split()
        if f[0] in ('cpu0', 'cpu1'):
            v = list(map(int, f[1:]))
            d[f[0]] = (sum(v) - v[3] - v[4], sum(v))
    return d
a = cores()
t0 = time.time()
p = subprocess.Popen(['taskset', '-c', '1'] + sys.argv[2:], stdout=open(sys.argv[1], 'w'), stderr=subprocess.DEVNULL)
_, status, usage = __import__('os').wait4(p.pid, 0)
b = cores()
busy = [(b[c][0] - a[c][0]) / max(1, b[c][1] - a[c][1]) for c in ('cpu0', 'cpu1')]
print('%.3f %.3f %.3f' % (usage.ru_utime + usage.ru_stime, busy[0], busy[1]))
PY
}

ROUNDS=${ROUNDS:-3}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A rps cpu c0 c1
add() { rps[$1]+="$2 "; cpu[$1]+="$3 "; c0[$1]+="$4 "; c1[$1]+="$5 "; }
tools="wrk perfgate"
command -v oha >/dev/null && tools="$tools oha"
# Alternate the generators round by round so machine noise hits them alike.
for r in $(seq "$ROUNDS"); do
  read -r s b0 b1 < <(measure wrk -t1 -c50 -d"${SECS}s" "$url")
  n=$(awk '/requests in/ {print $1}' "$tmp/out"); rs=$(awk '/Requests\/sec/ {print $2}' "$tmp/out")
  add wrk "$rs" "$(python3 -c "print($s/$n*1e6)")" "$b0" "$b1"
  read -r s b0 b1 < <(measure "$PERFGATE" --ci --config "$tmp/cfg.json" --output "$tmp/a.json")
  read -r n rs < <(python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['scenarios'][0]; print(s['requests'], s['metrics']['throughput_rps'])" "$tmp/a.json")
  add perfgate "$rs" "$(python3 -c "print($s/$n*1e6)")" "$b0" "$b1"
  if command -v oha >/dev/null; then
    read -r s b0 b1 < <(measure oha -c 50 -z "${SECS}s" --no-tui --output-format json "$url")
    read -r n rs < <(python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['summary']; print(d['requestsPerSec']*$SECS, d['requestsPerSec'])" "$tmp/out")
    add oha "$rs" "$(python3 -c "print($s/$n*1e6)")" "$b0" "$b1"
  fi
done
echo "set-up: nginx (1 worker) on CPU 0, generator on CPU 1, 50 connections, ${SECS}s, $ROUNDS rounds, medians"
printf '%-9s %12s %14s %10s %10s  %s\n' tool "req/s" "CPU us/req" "nginx core" "gen core" bound
for t in $tools; do
  R=$(median ${rps[$t]}); C=$(median ${cpu[$t]}); B0=$(median ${c0[$t]}); B1=$(median ${c1[$t]})
  bound=$(python3 -c "b0,b1=$B0,$B1; print('both saturated' if b0>=0.9 and b1>=0.9 else 'server-bound' if b0>=0.9 else 'generator-bound' if b1>=0.9 else 'neither (latency-bound)')")
  printf '%-9s %12.0f %14.2f %9.0f%% %9.0f%%  %s\n' "$t" "$R" "$C" "$(python3 -c "print($B0*100)")" "$(python3 -c "print($B1*100)")" "$bound"
  eval "R_$t=$R C_$t=$C"
done
python3 -c "print('perfgate/wrk: throughput %.3f, CPU per request %.3f (below 1: cheaper than wrk)' % ($R_perfgate/$R_wrk, $C_perfgate/$C_wrk))"
if command -v oha >/dev/null; then
  python3 -c "print('perfgate/oha: throughput %.3f, CPU per request %.3f' % ($R_perfgate/$R_oha, $C_perfgate/$C_oha))"
fi
# Peak RSS: a run and one 4x longer.
rss() { /usr/bin/time -f %M taskset -c 1 "$PERFGATE" --ci --config "$1" >/dev/null 2>"$tmp/time.txt" || true; tail -1 "$tmp/time.txt"; }
short=$(rss "$tmp/cfg.json")
sed "s/\"duration\": $SECS/\"duration\": $((SECS * 4))/" "$tmp/cfg.json" > "$tmp/long.json"
long=$(rss "$tmp/long.json")
echo "peak RSS  ${SECS}s run: ${short} KB, $((SECS * 4))s run: ${long} KB"
python3 -c "print('long/short RSS = %.3f' % ($long/$short))"
