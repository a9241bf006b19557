#!/usr/bin/env bash
# TLS termination: Wharf beside nginx and HAProxy with the same certificate (P-256, one
# core each), in one run on this machine.
#
# Rows:
#   full     new TLS handshakes per second (`openssl s_time -new`, each connection one
#            HTTP/1.0 request so the server's session ticket is read)
#   resumed  resumed handshakes per second (`openssl s_time -reuse`: TLS 1.3 tickets)
#   ka64     keep-alive requests per second over TLS, 64 connections (wrk)
# Every proxy has one worker pinned to CPU $PROXY_CPU; the backend (one nginx worker) and the
# clients share CPU $AUX_CPU. Ratios are Wharf's throughput over the best peer's.
#
# Usage: bench/tls.sh     (env: DURATION=10 seconds per row, TARGETS="nginx haproxy wharf")
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
PROXY_CPU=${PROXY_CPU:-0}
AUX_CPU=${AUX_CPU:-1}
TARGETS=${TARGETS:-"nginx haproxy wharf"}

scripts/setup.sh wrk nginx-light haproxy bc openssl
source bench/lib.sh
build_targets wharf-dataplane

backend=19180
declare -A port=([nginx]=19181 [haproxy]=19182 [wharf]=19183)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/CN=bench.example" -addext "subjectAltName=DNS:bench.example" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" >"$work/combined.pem"

start_nginx_backend "$AUX_CPU" \
  "server { listen 127.0.0.1:$backend reuseport backlog=4096; location / { return 200 \"hello\"; } }"

# The same policy everywhere: TLS 1.2 and 1.3, session tickets on, keep-alive upstreams.
cat >"$work/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 8192; }
http { access_log off; keepalive_requests 1000000;
  upstream b { server 127.0.0.1:$backend; keepalive 512; }
  server { listen 127.0.0.1:${port[nginx]} ssl backlog=4096;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets on;
    ssl_session_cache shared:SSL:10m;
    proxy_http_version 1.1; proxy_set_header Connection "";
    location / { proxy_pass http://b; } } }
CONF
haproxy_base "ssl-default-bind-options ssl-min-ver TLSv1.2" >"$work/haproxy.cfg"
cat >>"$work/haproxy.cfg" <<CONF
frontend f
  bind 127.0.0.1:${port[haproxy]} ssl crt $work/combined.pem
  default_backend b
backend b
  server b1 127.0.0.1:$backend
CONF
json_pem() { awk '{printf "%s\\n", $0}' "$1"; }
mkdir -p "$work/state"
cat >"$work/state/table.json" <<CONF
{"version":1,
 "routers":[{"name":"all@bench","rule":"PathPrefix(\`/\`)","service":"b@bench","tls":true}],
 "services":[{"name":"b@bench","servers":[{"url":"http://127.0.0.1:$backend"}]}],
 "certificates":[{"name":"bench@bench","domains":["bench.example"],"default":true,
   "cert_pem":"$(json_pem "$work/cert.pem")","key_pem":"$(json_pem "$work/key.pem")"}]}
CONF
for t in $TARGETS; do
  case $t in
    nginx) start nginx "$PROXY_CPU" nginx -c "$work/nginx.conf" ;;
    haproxy) start haproxy "$PROXY_CPU" haproxy -f "$work/haproxy.cfg" ;;
    wharf) start_wharf "$PROXY_CPU" websecure "${port[wharf]}" "$work/state" ;;
  esac
done
sleep 2
for t in $TARGETS; do
  curl -skf -o /dev/null "https://127.0.0.1:${port[$t]}/" ||
    { echo "bench: $t is not answering over TLS" >&2; cat "$work/$t.log" >&2; exit 1; }
done

declare -A result
s_time() {  # port mode → handshakes per second
  # s_time sends no SNI: every server answers with its one (default) certificate.
  taskset -c "$AUX_CPU" openssl s_time -connect "127.0.0.1:$1" \
    "$2" -www / -time "$DURATION" 2>/dev/null |
    awk '/connections in [0-9]+ real seconds/ {n=$1; s=$4} END {if (s > 0) printf "%.0f", n / s; else print 0}'
}
for t in $TARGETS; do
  echo "bench: $t" >&2
  result[$t,full]=$(s_time "${port[$t]}" -new)
  result[$t,resumed]=$(s_time "${port[$t]}" -reuse)
  result[$t,ka64]=$(taskset -c "$AUX_CPU" wrk -t1 -c64 -d"${DURATION}s" \
    "https://127.0.0.1:${port[$t]}/" | awk '/^Requests\/sec/ {printf "%.0f", $2}')
done

printf '\n%-8s' row
for t in $TARGETS; do printf ' %10s' "$t"; done
printf ' %14s\n' wharf/best-peer
for row in full resumed ka64; do
  printf '%-8s' "$row"
  best=0
  for t in $TARGETS; do
    printf ' %10s' "${result[$t,$row]}"
    [ "$t" != wharf ] && ((result[$t,$row] > best)) && best=${result[$t,$row]}
  done
  if ((best > 0)) && [ -n "${result[wharf,$row]:-}" ]; then
    printf ' %14.2f\n' "$(echo "${result[wharf,$row]} / $best" | bc -l)"
  else
    printf ' %14s\n' -
  fi
done
