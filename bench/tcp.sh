#!/usr/bin/env bash
# TCP routers: Wharf relaying bytes beside HAProxy (`mode tcp`) and nginx (`stream`), one core
# each, in front of the same backend, in one run on this machine.
#
# Rows (HTTP/1.1 to the backend nginx, carried as bytes: no proxy parses it):
#   ka64   keep-alive requests per second at 64 connections (wrk): small messages both ways
#   bw1m   1 MiB responses at 16 connections (wrk): bulk throughput, MiB/s
#   conn   a new connection per request at 64 connections (wrk, Connection: close): new
#          relayed connections per second, each one an upstream connection too
# Every proxy has one worker pinned to CPU $PROXY_CPU; the backend and wrk share $AUX_CPU.
# With ROUNDS=N every row runs N times, the targets of a row interleaved and their order
# turned by one each round; the table shows each target's median round, and Wharf's ratio to
# the best peer is taken between medians.
#
# Usage: bench/tcp.sh  (env: DURATION=10s, ROUNDS=3, TARGETS="nginx haproxy wharf", TESTS)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
PROXY_CPU=${PROXY_CPU:-0}
AUX_CPU=${AUX_CPU:-1}
TARGETS=${TARGETS:-"nginx haproxy wharf"}
TESTS=${TESTS:-"ka64 bw1m conn"}

scripts/setup.sh wrk nginx-light libnginx-mod-stream haproxy bc
source bench/lib.sh
build_targets wharf-dataplane

backend=19280
declare -A port=([nginx]=19281 [haproxy]=19282 [wharf]=19283)

head -c 1048576 /dev/zero >"$work/1m"
start_nginx_backend "$AUX_CPU" \
  "server { listen 127.0.0.1:$backend reuseport backlog=4096; root $work;
     location = / { return 200 \"hello\"; } }"

cat >"$work/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1; daemon off; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 8192; }
stream { server { listen 127.0.0.1:${port[nginx]} backlog=4096;
  proxy_pass 127.0.0.1:$backend; } }
CONF
haproxy_base >"$work/haproxy.cfg"
cat >>"$work/haproxy.cfg" <<CONF
frontend f
  mode tcp
  bind 127.0.0.1:${port[haproxy]}
  default_backend b
backend b
  mode tcp
  server b1 127.0.0.1:$backend
CONF
mkdir -p "$work/state"
cat >"$work/state/table.json" <<CONF
{"version":1,
 "tcp_routers":[{"name":"all@bench","rule":"HostSNI(\`*\`)","service":"b@bench"}],
 "tcp_services":[{"name":"b@bench","servers":[{"address":"127.0.0.1:$backend"}]}]}
CONF
for t in $TARGETS; do
  case $t in
    nginx) start nginx "$PROXY_CPU" nginx -c "$work/nginx.conf" ;;
    haproxy) start haproxy "$PROXY_CPU" haproxy -f "$work/haproxy.cfg" ;;
    wharf) start_wharf "$PROXY_CPU" tcp "${port[wharf]}" "$work/state" ;;
  esac
done
sleep 2
for t in $TARGETS; do
  [ "$(curl -sf "http://127.0.0.1:${port[$t]}/")" = hello ] ||
    { echo "bench: $t does not relay" >&2; cat "$work/$t.log" >&2; exit 1; }
done

# wrk's figure for a row: req/s (ka64, conn) or MiB/s (bw1m).
run_row() {  # row port
  local out
  case $1 in
    ka64) out=$(taskset -c "$AUX_CPU" wrk -t1 -c64 -d"$DURATION" "http://127.0.0.1:$2/") ;;
    conn) out=$(taskset -c "$AUX_CPU" wrk -t1 -c64 -d"$DURATION" -H "Connection: close" \
      "http://127.0.0.1:$2/") ;;
    bw1m) out=$(taskset -c "$AUX_CPU" wrk -t1 -c16 -d"$DURATION" "http://127.0.0.1:$2/1m") ;;
  esac
  if [ "$1" = bw1m ]; then
    awk '/^Transfer\/sec/ {v=$2; if (v ~ /GB/) v*=1024; else if (v ~ /KB/) v/=1024; sub(/[A-Za-z]+/, "", v); printf "%.1f", v+0}' <<<"$out"
  else
    awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out"
  fi
}

declare -A all
read -r -a targets <<<"$TARGETS"
for row in $TESTS; do
  for ((r = 0; r < ROUNDS; r++)); do
    for ((i = 0; i < ${#targets[@]}; i++)); do
      t=${targets[$(((i + r) % ${#targets[@]}))]}
      v=$(run_row "$row" "${port[$t]}")
      echo "bench: $row round $((r + 1)) $t $v" >&2
      all[$t,$row]="${all[$t,$row]:-} $v"
    done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '\n%-6s' row
for t in $TARGETS; do printf ' %10s' "$t"; done
printf ' %15s\n' wharf/best-peer
for row in $TESTS; do
  printf '%-6s' "$row"
  best=0
  declare -A med
  for t in $TARGETS; do
    med[$t]=$(median <<<"${all[$t,$row]}")
    printf ' %10s' "${med[$t]}"
    [ "$t" != wharf ] && (($(echo "${med[$t]} > $best" | bc))) && best=${med[$t]}
  done
  if (($(echo "$best > 0" | bc))) && [ -n "${med[wharf]:-}" ]; then
    printf ' %15.2f\n' "$(echo "${med[wharf]} / $best" | bc -l)"
  else
    printf ' %15s\n' -
  fi
done
echo "(ka64, conn: requests per second; bw1m: MiB/s; medians of $ROUNDS rounds)"
