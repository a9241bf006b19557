#!/usr/bin/env bash
# Builds Wharf and runs the product on an embedded default: a demo backend on 127.0.0.1:8081,
# the data plane on :8080, and the controller feeding it from the file provider
# (deploy/dynamic.yml, copied to .state/dynamic.yml: edit that copy while it runs) plus Docker
# labels when a Docker daemon answers on /var/run/docker.sock. Ctrl-C stops everything.
# WHARF_PORT, WHARF_BACKEND_PORT, WHARF_ADMIN_PORT and WHARF_METRICS_PORT change the ports.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j2 wharf-dataplane wharf-controller wharf-demo-backend

port=${WHARF_PORT:-8080}
backend_port=${WHARF_BACKEND_PORT:-8081}
admin_port=${WHARF_ADMIN_PORT:-8082}
metrics_port=${WHARF_METRICS_PORT:-8083}
state="$root/.state"
mkdir -p "$state/run"
sed "s/127.0.0.1:8081/127.0.0.1:$backend_port/" deploy/dynamic.yml > "$state/dynamic.yml"

docker_flag=(--docker-endpoint off)
docker_note="Docker: no daemon answered on /var/run/docker.sock, so only the file provider is on."
if curl -sf --max-time 2 --unix-socket /var/run/docker.sock http://docker/_ping >/dev/null 2>&1; then
  docker_flag=(--docker-endpoint unix:///var/run/docker.sock --docker-label-prefixes wharf,traefik)
  docker_note="Docker: on. Containers labelled wharf.enable=true (or traefik.enable=true) are routed."
fi

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

build/tests/wharf-demo-backend --port "$backend_port" &
pids+=($!)
build/dataplane/wharf-dataplane --entrypoint "web=:$port" --state-dir "$state" \
  --control-socket "$state/run/control.sock" --admin-address "127.0.0.1:$admin_port" \
  --access-log stdout &
pids+=($!)
build/controller/wharf-controller --control-socket "$state/run/control.sock" \
  --file "$state/dynamic.yml" "${docker_flag[@]}" --metrics-address "127.0.0.1:$metrics_port" &
pids+=($!)

sleep 1
cat <<MSG

Wharf is serving on port $port. Try:

  curl -i http://127.0.0.1:$port/hello
  curl -i -H 'Host: whoami.localhost' http://127.0.0.1:$port/
  curl -ik https://127.0.0.1:$port/hello      # same port, TLS (self-signed default certificate)
  curl -i -u demo:demo http://127.0.0.1:$port/private   # behind a basicAuth middleware

Dashboard: http://127.0.0.1:$admin_port/dashboard/   metrics: http://127.0.0.1:$admin_port/metrics
(data plane) and http://127.0.0.1:$metrics_port/metrics (controller). Access log lines follow below.
Routes: $state/dynamic.yml (Traefik v3 dynamic configuration; edits apply live).
$docker_note
Check a configuration without running it:
  build/controller/wharf-controller --check --file $state/dynamic.yml ${docker_flag[*]}
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
