#!/usr/bin/env bash
# What metrics and the access log cost the data plane, in one run on this machine.
#
# Rows (wrk, keep-alive, 64 connections, small responses from one nginx worker):
#   base     BASELINE_BIN, a wharf-dataplane built without metrics (e.g. from the commit before
#            they landed); skipped when BASELINE_BIN is not set
#   metrics  this build: every request counted, /metrics scraped every second, no access log
#   log      the same plus a JSON access log written to a file
# The data plane has one thread pinned to CPU $PROXY_CPU; nginx, wrk and the scraper share CPU
# $AUX_CPU. Rows alternate for $ROUNDS rounds so drift on a noisy VM hits them alike; the
# ratios to the first row are the result (target: metrics >= 0.97 of base).
#
# Usage: BASELINE_BIN=/path/to/old/wharf-dataplane bench/observability.sh
#        (env: DURATION=10s ROUNDS=2 CONNECTIONS=64)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-64}
PROXY_CPU=${PROXY_CPU:-0}
AUX_CPU=${AUX_CPU:-1}
BASELINE_BIN=${BASELINE_BIN:-}

scripts/setup.sh wrk nginx-light bc
source bench/lib.sh
build_targets wharf-dataplane

backend=19200 port=19201 admin=19202
start_nginx_backend "$AUX_CPU" \
  "server { listen 127.0.0.1:$backend reuseport backlog=4096; location / { return 200 \"hello\"; } }"
mkdir -p "$work/state"
cat >"$work/state/table.json" <<CONF
{"version":1,
 "routers":[{"name":"app@bench","rule":"PathPrefix(\`/\`)","service":"app@bench"}],
 "services":[{"name":"app@bench","servers":[{"url":"http://127.0.0.1:$backend"}]}]}
CONF

rows=(metrics log)
[ -n "$BASELINE_BIN" ] && rows=(base metrics log)

run_row() {  # row → req/s
  local bin=build/dataplane/wharf-dataplane extra=()
  case $1 in
    base) bin=$BASELINE_BIN ;;
    log) extra=(--access-log "$work/access.log" --access-log-format json) ;;
  esac
  [ "$1" = base ] || extra+=(--admin-address "127.0.0.1:$admin")
  taskset -c "$PROXY_CPU" "$bin" --threads 1 --entrypoint "web=127.0.0.1:$port" \
    --state-dir "$work/state" --control-socket "$work/wharf.sock" "${extra[@]}" \
    >"$work/wharf-$1.log" 2>&1 &
  local wharf=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
  local scraper=""
  if [ "$1" != base ]; then
    (while sleep 1; do curl -sf "http://127.0.0.1:$admin/metrics" >/dev/null || true; done) &
    scraper=$!
  fi
  taskset -c "$AUX_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$port/" |
    awk '/^Requests\/sec/ {printf "%.0f", $2}'
  [ -n "$scraper" ] && kill "$scraper" 2>/dev/null
  kill -TERM "$wharf"
  wait "$wharf" 2>/dev/null || true
}

declare -A sum
printf '%-7s %-8s %10s\n' round row req/s
for round in $(seq 1 "$ROUNDS"); do
  for row in "${rows[@]}"; do
    v=$(run_row "$row")
    sum[$row]=$((${sum[$row]:-0} + v))
    printf '%-7s %-8s %10s\n' "$round" "$row" "$v"
  done
done
echo
first=${rows[0]}
for row in "${rows[@]}"; do
  printf '%-8s mean %10.0f req/s   %.3f of %s\n' "$row" "$(echo "${sum[$row]} / $ROUNDS" | bc -l)" \
    "$(echo "${sum[$row]} / ${sum[$first]}" | bc -l)" "$first"
done
[ -f "$work/access.log" ] && echo "access log: $(wc -l <"$work/access.log") lines written"
