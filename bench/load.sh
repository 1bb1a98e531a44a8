#!/usr/bin/env bash
# Load-engine benchmark: perfgate against wrk on the same one-worker nginx.
# nginx pinned to CPU 0, the generator to CPU 1, 50 connections, /health.
# Alternates ROUNDS (3) rounds and prints the medians and ratios; and perfgate's peak RSS for a run
# and for one 4x longer. Usage: bench/load.sh [seconds]   (needs nginx, wrk)
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
rps_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['scenarios'][0]['metrics']['throughput_rps'])" "$1"; }

ROUNDS=${ROUNDS:-3}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
w=(); p=(); o=()
# Alternate the generators round by round so machine noise hits them alike.
for r in $(seq "$ROUNDS"); do
  w+=("$(taskset -c 1 wrk -t1 -c50 -d"${SECS}s" "$url" | awk '/Requests\/sec/ {print $2}')")
  taskset -c 1 "$PERFGATE" --ci --config "$tmp/cfg.json" --output "$tmp/a.json" >/dev/null 2>&1 || true
  p+=("$(rps_of "$tmp/a.json")")
  if command -v oha >/dev/null; then
    o+=("$(taskset -c 1 oha -c 50 -z "${SECS}s" --no-tui --output-format json "$url" | python3 -c "import json,sys; print(json.load(sys.stdin)['summary']['requestsPerSec'])")")
  fi
done
wrk_rps=$(median "${w[@]}"); pg_rps=$(median "${p[@]}")
echo "wrk       ${w[*]} req/s (median $wrk_rps)"
echo "perfgate  ${p[*]} req/s (median $pg_rps)"
python3 -c "print('perfgate/wrk = %.3f' % ($pg_rps/$wrk_rps))"
if [ ${#o[@]} -gt 0 ]; then
  oha_rps=$(median "${o[@]}")
  echo "oha       ${o[*]} req/s (median $oha_rps)"
  python3 -c "print('perfgate/oha = %.3f' % ($pg_rps/$oha_rps))"
fi
# Peak RSS: a run and one 4x longer.
rss() { /usr/bin/time -f %M taskset -c 1 "$PERFGATE" --ci --config "$1" >/dev/null 2>"$tmp/time.txt" || true; tail -1 "$tmp/time.txt"; }
short=$(rss "$tmp/cfg.json")
sed "s/\"duration\": $SECS/\"duration\": $((SECS * 4))/" "$tmp/cfg.json" > "$tmp/long.json"
long=$(rss "$tmp/long.json")
echo "peak RSS  ${SECS}s run: ${short} KB, $((SECS * 4))s run: ${long} KB"
python3 -c "print('long/short RSS = %.3f' % ($long/$short))"
