#!/usr/bin/env bash
# Controller benchmarks (figures for the README and issue notes, no pass/fail):
#  1. container start → first 200 through the data plane, p50/p99 over $CONTAINERS containers,
#     against a private dockerd (needs root, docker.io, busybox-static), default throttle;
#  2. $ROUTERS routers from the file provider: written → compiled, pushed, applied, answering;
#  3. $INGRESSES Ingresses with 5 endpoints and a TLS Secret each, from a fixture Kubernetes API
#     server: listed → answering, controller peak RSS, EndpointSlice change → data plane updated
#     p50/p99; the same again with Ingresses of the ingress-nginx class carrying annotations;
#     and $INGRESSES HTTPRoutes over 10 Gateways: start → answering, status writes, a route's
#     backend changed → traffic following it p50/p99;
#  4. data plane req/s with $ROUTERS hosts vs 10 hosts (wrk, each request to a random host),
#     the data plane on one core.
# Usage: bench/controller.sh   (env: CONTAINERS=50 ROUTERS=10000 INGRESSES=1000 DURATION=10s
#                                    TESTS="events file kube nginx gateway hosts")
set -euo pipefail
cd "$(dirname "$0")/.."

CONTAINERS=${CONTAINERS:-50}
ROUTERS=${ROUTERS:-10000}
INGRESSES=${INGRESSES:-1000}
DURATION=${DURATION:-10s}
TESTS=${TESTS:-"events file kube nginx gateway hosts"}

scripts/setup.sh wrk docker.io busybox-static openssl
source bench/lib.sh
build_targets wharf-dataplane wharf-controller wharf-demo-backend wharf-bench-controller

for t in $TESTS; do
  case $t in
  events) build/bench/wharf-bench-controller event-latency "$CONTAINERS" ;;
  file) build/bench/wharf-bench-controller file-apply "$ROUTERS" ;;
  kube) build/bench/wharf-bench-controller kube-scale "$INGRESSES" ;;
  nginx) build/bench/wharf-bench-controller kube-nginx "$INGRESSES" ;;
  gateway) build/bench/wharf-bench-controller kube-gateway "$INGRESSES" ;;
  esac
done
[[ " $TESTS " == *" hosts "* ]] || exit 0

start backend 1 build/tests/wharf-demo-backend --port 19180

# One run: N routers Host(`hI.bench`) in the file provider, wrk picking a random host each time.
rps() {
  local n=$1 port=$2
  {
    echo "http:"
    echo "  routers:"
    for ((i = 0; i < n; i++)); do
      printf '    h%d:\n      rule: Host(`h%d.bench`)\n      service: app\n' "$i" "$i"
    done
    printf '  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:19180\n'
  } >"$work/dyn$n.yml"
  cat >"$work/hosts$n.lua" <<LUA
local n = $n
request = function()
  return wrk.format("GET", "/", { Host = "h" .. math.random(0, n - 1) .. ".bench" })
end
LUA
  taskset -c 0 build/dataplane/wharf-dataplane --threads 1 --entrypoint "web=127.0.0.1:$port" --admin-address 127.0.0.1:0 \
    --control-socket "$work/c$n.sock" >"$work/dp$n.log" 2>&1 &
  local dp=$!
  sleep 0.3
  build/controller/wharf-controller --control-socket "$work/c$n.sock" --file "$work/dyn$n.yml" \
    --docker-endpoint off >"$work/ctl$n.log" 2>&1 &
  local ctl=$!
  for _ in $(seq 100); do
    grep -q "data plane applied" "$work/ctl$n.log" && break
    sleep 0.1
  done
  taskset -c 1 wrk -t1 -c64 -d"$DURATION" -s "$work/hosts$n.lua" "http://127.0.0.1:$port/" |
    awk '/Requests\/sec/ {print $2}'
  kill "$ctl" "$dp"
  wait "$ctl" "$dp" 2>/dev/null || true
}

few=$(rps 10 19181)
many=$(rps "$ROUTERS" 19182)
echo "req/s, 64 connections, random host per request: 10 hosts $few, $ROUTERS hosts $many," \
  "ratio $(echo "scale=3; $many / $few" | bc)"
