# Sourced by the bench scripts (from the repository root): a work directory and the background
# processes they start, both cleaned up at exit however the script ends.
#   start NAME CPU COMMAND...   runs COMMAND pinned to CPU, output in $work/NAME.log; its pid
#                               goes to ${pid[NAME]}
#   build_targets TARGET...     configures build/ (RelWithDebInfo) and builds those targets
#   start_wharf CPU EP PORT DIR the data plane, one thread, entrypoint EP on 127.0.0.1:PORT,
#                               serving the table in DIR/table.json (as ${pid[wharf]})
#   start_nginx_backend CPU SERVER_BLOCKS   the backend every bench proxies to: one nginx
#                               worker on CPU (no access log, unlimited keep-alive) with
#                               these server blocks, as ${pid[backend]}
#   haproxy_base [GLOBAL...]    the global and defaults sections every HAProxy config here
#                               shares (one thread, keep-alive), extra global lines appended

work=$(mktemp -d /tmp/wharf-bench-XXXXXX)
chmod 755 "$work"  # nginx workers run as www-data and must read files in it.
pids=()
declare -A pid
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start() {
  local name=$1 cpu=$2
  shift 2
  taskset -c "$cpu" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  pid[$name]=$!
}

build_targets() {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build -j2 "$@" >/dev/null
}

start_wharf() {
  start wharf "$1" build/dataplane/wharf-dataplane --threads 1 --entrypoint "$2=127.0.0.1:$3" \
    --state-dir "$4" --control-socket "$work/wharf.sock" --admin-address "127.0.0.1:0" \
    ${WHARF_FLAGS:-}
}

start_nginx_backend() {
  cat >"$work/backend.conf" <<CONF
worker_processes 1; daemon off; pid $work/backend.pid; error_log $work/backend.err;
events { worker_connections 8192; }
http { access_log off; keepalive_requests 1000000;
$2 }
CONF
  start backend "$1" nginx -c "$work/backend.conf"
}

haproxy_base() {
  printf 'global\n  nbthread 1\n  maxconn 8000\n'
  for line in "$@"; do printf '  %s\n' "$line"; done
  printf 'defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n'
  printf '  timeout server 60s\n  option http-keep-alive\n'
}
