#!/usr/bin/env bash
# Builds Wharf and runs it on the embedded demo: a demo backend on 127.0.0.1:8081 and the data
# plane on :8080 serving deploy/demo-table.json (seeded into its state directory, which is how
# a data plane serves before any controller connects). Ctrl-C stops both.
# WHARF_PORT and WHARF_BACKEND_PORT change the ports.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j2 wharf-dataplane wharf-demo-backend

port=${WHARF_PORT:-8080}
backend_port=${WHARF_BACKEND_PORT:-8081}
state="$root/.state"
mkdir -p "$state/run"
sed "s/127.0.0.1:8081/127.0.0.1:$backend_port/" deploy/demo-table.json > "$state/table.json"
chmod 600 "$state/table.json"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

build/tests/wharf-demo-backend --port "$backend_port" &
pids+=($!)
build/dataplane/wharf-dataplane --entrypoint "web=:$port" --state-dir "$state" \
  --control-socket "$state/run/control.sock" &
pids+=($!)

sleep 1
cat <<MSG

Wharf is serving on port $port. Try:

  curl -i http://127.0.0.1:$port/hello
  curl -i -H 'Host: whoami.localhost' http://127.0.0.1:$port/

Routing table: $state/table.json (from deploy/demo-table.json); control socket:
$state/run/control.sock. Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
