#!/usr/bin/env bash
# Wharf beside nginx, HAProxy and Caddy, in front of the same backend, in one run.
#
# Every proxy gets one worker/thread pinned to CPU $PROXY_CPU; the backend, the upload sink and
# the load generators share CPU $AUX_CPU (on a machine with more CPUs, LOAD_CPU=N gives the load
# generators one of their own; the cpu columns still show the proxy's and $AUX_CPU). "direct" is
# the same load without a proxy: the ceiling any proxy can reach here. "relay" is HAProxy
# relaying bytes in TCP mode (no HTTP at all): what the hop alone costs on this machine,
# whatever the proxy does with the bytes. Each proxy routes /upload* to the sink and everything
# else to the backend (nginx serving "hello" and a 1 MiB file); the relay has a port for each.
#
# Rows: keep-alive small responses at 64 and 256 connections, a new connection per request,
# 1 MiB responses, and $UPLOAD_BYTES uploads with Content-Length and chunked. HTTP/2 rows
# (h2load; every proxy with a TLS listener offering h2 and a clear-text one taking h2 with
# prior knowledge, the same self-signed P-256 certificate, HTTP/1.1 to the backend): h2tls16
# (16 connections of 10 streams over TLS), h2tls64 (64 of 100), h2c16 (16 of 10 in clear
# text), h2bw1m (1 MiB responses, 4 connections of 4 streams, TLS). h2load prints no
# percentiles: for these rows the p50 and p99 columns hold its mean and max request times.
# The relay sits the HTTP/2 rows out; direct is the backend nginx serving HTTP/2 itself, on
# the load generator's CPU (a protocol ceiling rather than an exact bound there). Columns: req/s,
# p50/p99 latency, MiB/s, the proxy's peak RSS during the row, how busy the two CPUs were, and
# Wharf's ratio to the best peer, to direct and to the relay.
#
# With ROUNDS=N every row is measured N times (rounds interleaved, every target of a row within
# a minute, the targets' order rotated by one each round), each round's figures are printed as
# they come, the table shows the round with the median throughput (and the highest peak RSS of
# all rounds), and Wharf's ratios come from the best rounds and from each round (see the report
# below).
#
# Usage: bench/run.sh  (env: DURATION=10s UPLOAD_BYTES=2147483648 ROUNDS=1 TARGETS=... TESTS=...
#                      FORWARD_HEADERS=1 PROXY_CPU=0 AUX_CPU=1 LOAD_CPU=$AUX_CPU)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

DURATION=${DURATION:-10s}
UPLOAD_BYTES=${UPLOAD_BYTES:-2147483648}
PROXY_CPU=${PROXY_CPU:-0}
AUX_CPU=${AUX_CPU:-1}
LOAD_CPU=${LOAD_CPU:-$AUX_CPU}
TARGETS=${TARGETS:-"direct relay nginx haproxy caddy wharf"}
TESTS=${TESTS:-"ka64 ka256 close bw1m upload uploadch h2tls16 h2tls64 h2c16 h2bw1m"}
h2=0
for t in $TESTS; do [[ $t == h2* ]] && h2=1; done
ROUNDS=${ROUNDS:-1}
FORWARD_HEADERS=${FORWARD_HEADERS:-1}

scripts/setup.sh wrk nginx-light haproxy caddy bc nghttp2-client openssl
source bench/lib.sh
build_targets wharf-dataplane wharf-demo-backend

backend=19080 sink=19090
declare -A port=([direct]=$backend [nginx]=19081 [haproxy]=19082 [caddy]=19083 [wharf]=19084
  [relay]=19085)
relay_sink=19086
# The HTTP/2 rows' listeners: TLS (ALPN h2) and clear text (prior knowledge) per target.
declare -A tls_port=([direct]=19440 [nginx]=19441 [haproxy]=19442 [caddy]=19443 [wharf]=19444)
declare -A h2c_port=([direct]=19180 [nginx]=19181 [haproxy]=19182 [caddy]=19183 [wharf]=19184)
nginx_h2="" backend_h2="" haproxy_h2=""
if [ "$h2" = 1 ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  cat "$work/cert.pem" "$work/key.pem" >"$work/haproxy.pem"
  h2_listen() {  # target → nginx listen lines for its two HTTP/2 listeners
    echo "listen 127.0.0.1:${tls_port[$1]} ssl http2; listen 127.0.0.1:${h2c_port[$1]} http2;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;"
  }
  backend_h2=$(h2_listen direct) nginx_h2=$(h2_listen nginx)
  haproxy_h2="  bind 127.0.0.1:${tls_port[haproxy]} ssl crt $work/haproxy.pem alpn h2,http/1.1
  bind 127.0.0.1:${h2c_port[haproxy]} proto h2"
fi

# ---- backend (nginx, 1 worker) and upload sink (the test upstream server, C++) ----
mkdir -p "$work/www"
printf hello >"$work/www/index.html"
head -c 1048576 /dev/urandom >"$work/www/1m"
start_nginx_backend "$AUX_CPU" "server { listen 127.0.0.1:$backend reuseport backlog=4096;
  $backend_h2
  root $work/www; location = / { return 200 \"hello\"; }
  location = /headers { return 200 \"host=\$http_host xff=\$http_x_forwarded_for\
 proto=\$http_x_forwarded_proto xfh=\$http_x_forwarded_host xfp=\$http_x_forwarded_port\
 real=\$http_x_real_ip id=\$http_x_request_id\"; } }"
start sink "$AUX_CPU" build/tests/wharf-demo-backend --port "$sink" --name sink

# ---- proxies ----
# Every proxy does the job an ingress does by default (ingress-nginx's template, Traefik, Wharf):
# the client's Host passed through, and X-Forwarded-For/Proto/Host/Port, X-Real-IP and
# X-Request-Id set on every proxied request, about 180 bytes more per request for the proxy to
# write and the backend to parse. FORWARD_HEADERS=0 runs nginx and HAProxy bare (their own
# defaults: nginx sends "Host: b" and nothing else, HAProxy adds nothing) and Caddy with its
# defaults (Host and X-Forwarded-For/Proto/Host), while Wharf still sets all six.
nginx_forward="" haproxy_forward="" caddy_forward=""
if [ "$FORWARD_HEADERS" = 1 ]; then
  nginx_forward='    proxy_set_header Host $http_host; proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $http_host;
    proxy_set_header X-Forwarded-Port $server_port; proxy_set_header X-Request-Id $request_id;'
  haproxy_forward='  option forwardfor
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header X-Forwarded-Port %[dst_port]
  http-request set-header X-Real-IP %[src]
  unique-id-format %[uuid()]
  unique-id-header X-Request-Id'
  caddy_forward=' {
    header_up X-Real-IP {remote_host}
    header_up X-Forwarded-Port {http.request.port}
    header_up X-Request-Id {http.request.uuid}
  }'
fi
cat >"$work/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 8192; }
http { access_log off; keepalive_requests 1000000;
  upstream b { server 127.0.0.1:$backend; keepalive 512; }
  upstream s { server 127.0.0.1:$sink; keepalive 16; }
  server { listen 127.0.0.1:${port[nginx]} backlog=4096;
    $nginx_h2
    client_max_body_size 0; proxy_http_version 1.1; proxy_set_header Connection "";
$nginx_forward
    location /upload { proxy_pass http://s; proxy_request_buffering off; }
    location / { proxy_pass http://b; proxy_buffering off; } } }
CONF
haproxy_base >"$work/haproxy.cfg"
cat >>"$work/haproxy.cfg" <<CONF
frontend f
  bind 127.0.0.1:${port[haproxy]}
$haproxy_h2
$haproxy_forward
  use_backend s if { path_beg /upload }
  default_backend b
backend b
  server b1 127.0.0.1:$backend
backend s
  server s1 127.0.0.1:$sink
CONF
# The relay: a byte pipe with no HTTP, parsing nothing, adding nothing, pooling nothing (one
# upstream connection per client connection, as wrk's keep-alive needs). Not a peer: it does
# not do an ingress's job, and its rows show where the machine, not the proxy, sets the limit.
# It sits out the close row: there it would open an upstream connection per request, which a
# proxy that pools them does not, so it would bound nothing.
haproxy_base >"$work/relay.cfg"
cat >>"$work/relay.cfg" <<CONF
frontend r
  mode tcp
  bind 127.0.0.1:${port[relay]}
  default_backend rb
frontend rs
  mode tcp
  bind 127.0.0.1:$relay_sink
  default_backend rsb
backend rb
  mode tcp
  server b1 127.0.0.1:$backend
backend rsb
  mode tcp
  server s1 127.0.0.1:$sink
CONF
caddy_h2_global="" caddy_h2_sites=""
if [ "$h2" = 1 ]; then
  # h2c needs its listener's protocols named; a TLS connection without SNI gets the one
  # certificate.
  caddy_h2_global="  default_sni localhost
  servers :${h2c_port[caddy]} {
    protocols h1 h2 h2c
  }"
  caddy_h2_sites="https://127.0.0.1:${tls_port[caddy]} {
  tls $work/cert.pem $work/key.pem
  reverse_proxy 127.0.0.1:$backend$caddy_forward
}
http://127.0.0.1:${h2c_port[caddy]} {
  reverse_proxy 127.0.0.1:$backend$caddy_forward
}"
fi
cat >"$work/Caddyfile" <<CONF
{
  admin off
  auto_https off
$caddy_h2_global
}
http://127.0.0.1:${port[caddy]} {
  reverse_proxy /upload* 127.0.0.1:$sink$caddy_forward
  reverse_proxy 127.0.0.1:$backend$caddy_forward
}
$caddy_h2_sites
CONF
mkdir -p "$work/wharf-state"
wharf_h2_routers="" wharf_h2_certificates=""
if [ "$h2" = 1 ]; then
  # Routers for TLS connections, and the certificate (PEM as JSON strings) they are served with.
  wharf_h2_routers=',{"name":"all-tls@bench","rule":"PathPrefix(`/`)","service":"backend@bench","tls":true}'
  pem_json() { python3 -c 'import json, sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
  wharf_h2_certificates=",\"certificates\":[{\"name\":\"bench@bench\",\"domains\":[\"localhost\"],
  \"cert_pem\":$(pem_json "$work/cert.pem"),\"key_pem\":$(pem_json "$work/key.pem"),\"default\":true}]"
  WHARF_FLAGS="${WHARF_FLAGS:-} --entrypoint tls=127.0.0.1:${tls_port[wharf]}"
  WHARF_FLAGS+=" --entrypoint h2c=127.0.0.1:${h2c_port[wharf]}"
fi
cat >"$work/wharf-state/table.json" <<CONF
{"version":1,
 "routers":[{"name":"upload@bench","rule":"PathPrefix(\`/upload\`)","service":"sink@bench"},
            {"name":"all@bench","rule":"PathPrefix(\`/\`)","service":"backend@bench"}$wharf_h2_routers],
 "services":[{"name":"sink@bench","servers":[{"url":"http://127.0.0.1:$sink"}]},
             {"name":"backend@bench","servers":[{"url":"http://127.0.0.1:$backend"}]}]$wharf_h2_certificates}
CONF
for t in $TARGETS; do
  case $t in
    nginx) start nginx "$PROXY_CPU" nginx -c "$work/nginx.conf" ;;
    haproxy) start haproxy "$PROXY_CPU" haproxy -f "$work/haproxy.cfg" ;;
    relay) start relay "$PROXY_CPU" haproxy -f "$work/relay.cfg" ;;
    caddy) GOMAXPROCS=1 start caddy "$PROXY_CPU" caddy run --adapter caddyfile \
             --config "$work/Caddyfile" ;;
    wharf) start_wharf "$PROXY_CPU" web "${port[wharf]}" "$work/wharf-state" ;;
  esac
done
sleep 2
for t in $TARGETS; do
  curl -sf -o /dev/null "http://127.0.0.1:${port[$t]}/" || { echo "bench: $t is not answering" >&2; exit 1; }
  # The backend echoes what it was sent: every proxy must deliver the same request headers.
  if [ "$FORWARD_HEADERS" = 1 ] && [ "$t" != direct ] && [ "$t" != relay ]; then
    seen=$(curl -sf "http://127.0.0.1:${port[$t]}/headers")
    for f in "host=127.0.0.1:${port[$t]}" xff=127.0.0.1 proto=http "xfh=127.0.0.1:${port[$t]}" \
      "xfp=${port[$t]}" real=127.0.0.1 "id=[0-9a-f-]{32,}"; do
      [[ " $seen " =~ " "$f" " ]] || { echo "bench: $t sent $seen (no $f)" >&2; exit 1; }
    done
  fi
done

# Peak RSS of a proxy during a row: the kernel's high-water mark (VmHWM), reset before the row by
# writing 5 to clear_refs, summed over the process and its children (nginx's master and worker).
# Exact, and free while the row runs: sampling VmRSS from a shell loop forked ~40 processes a
# second that competed with the proxy and the load generator, a cost the direct row never paid.
proxy_pids() { echo "$1"; pgrep -P "$1" || true; }
reset_peak_rss() {
  local p
  for p in $(proxy_pids "$1"); do echo 5 >"/proc/$p/clear_refs" 2>/dev/null || true; done
}
peak_rss_kib() {
  local p k v _ sum=0
  for p in $(proxy_pids "$1"); do
    while read -r k v _; do [ "$k" = VmHWM: ] && sum=$((sum + v)); done <"/proc/$p/status"
  done
  echo "$sum"
}

# How busy the proxy's CPU and the other one (load generator, backend, sink) were during a
# measurement, in percent. A row is limited by whichever is full, and on this kind of VM that
# moves from one to the other between rounds (docs/performance.md, "Keep-alive rows against direct").
cpu_ticks() {  # → busy and idle ticks of $PROXY_CPU, then of $AUX_CPU
  awk -v p="cpu$PROXY_CPU" -v a="cpu$AUX_CPU" '$1 == p || $1 == a {
    t[$1] = ($2 + $3 + $4 + $7 + $8 + $9) " " ($5 + $6) }
    END { print t[p], t[a] }' /proc/stat
}
cpu_busy() {  # ticks before, ticks after → "proxy% aux%"
  awk '{ printf "%.0f %.0f", 100 * ($5 - $1) / ($5 + $6 - $1 - $2 + 1e-9),
                             100 * ($7 - $3) / ($7 + $8 - $3 - $4 + 1e-9) }' <<<"$1 $2"
}

targets_of() {  # test → the targets measured in it
  local t
  for t in $TARGETS; do
    [ "$t" = relay ] && { [ "$1" = close ] || [[ $1 == h2* ]]; } || echo "$t"
  done
}

# The order a row's targets run in, rotated by one each round: every target runs first, last
# and between in turn, so none always follows the same neighbour or always comes at the end of
# a row (the VM's slow spells last tens of seconds, a row's round about a minute).
run_order() {  # test round → the test's targets, from the (round - 1)th on, wrapping around
  local all n i
  mapfile -t all < <(targets_of "$1")
  n=${#all[@]}
  for ((i = 0; i < n; i++)); do echo "${all[$(((i + $2 - 1) % n))]}"; done
}

declare -A result
measure() {  # target test
  local t=$1 test=$2 url="http://127.0.0.1:${port[$1]}" out ticks
  if [ "$t" != direct ]; then reset_peak_rss "${pid[$t]}"; fi
  ticks=$(cpu_ticks)
  case $test in
    ka64 | ka256 | close | bw1m)
      local c=64 path=/ hdr=()
      [ "$test" = ka256 ] && c=256
      [ "$test" = bw1m ] && c=16 path=/1m
      [ "$test" = close ] && hdr=(-H "Connection: close")
      out=$(taskset -c "$LOAD_CPU" wrk -t1 -c$c -d"$DURATION" --latency "${hdr[@]}" "$url$path")
      local rps p50 p99 mibs
      rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
      p50=$(awk '$1=="50%" {print $2}' <<<"$out")
      p99=$(awk '$1=="99%" {print $2}' <<<"$out")
      mibs=$(awk '/^Transfer\/sec/ {v=$2; u=substr(v,length(v)-1); n=v+0;
              if (u=="GB") n*=1024; else if (u=="KB") n/=1024; else if (u!="MB") n/=1048576;
              printf "%.1f", n}' <<<"$out")
      result[$t,$test]="$rps $p50 $p99 $mibs"
      ;;
    h2tls16 | h2tls64 | h2c16 | h2bw1m)
      local c=16 m=10 path=/ u="https://127.0.0.1:${tls_port[$t]}"
      [ "$test" = h2tls64 ] && c=64 m=100
      [ "$test" = h2c16 ] && u="http://127.0.0.1:${h2c_port[$t]}"
      [ "$test" = h2bw1m ] && c=4 m=4 path=/1m
      # Every target gets the same TLS 1.3 suite (servers differ in which they prefer).
      out=$(taskset -c "$LOAD_CPU" h2load -t1 -c$c -m$m -D "${DURATION%s}" --warm-up-time=1 \
        --tls13-ciphers=TLS_AES_128_GCM_SHA256 "$u$path" 2>&1)
      local rps mean max mibs failed
      rps=$(awk '/^finished in/ {gsub(",", ""); printf "%.0f", $4}' <<<"$out")
      mibs=$(awk '/^finished in/ {gsub(",", ""); v=$6; n=v+0; if (v ~ /GB/) n*=1024;
              else if (v ~ /KB/) n/=1024; else if (v !~ /MB/) n/=1048576; printf "%.1f", n}' <<<"$out")
      read -r _ _ _ _ max mean _ <<<"$(grep '^time for request:' <<<"$out")"
      failed=$(awk '/^requests:/ {print $10 + $12 + $14}' <<<"$out")
      # A target that failed requests (or did not speak HTTP/2) gets 0, and says so.
      if [ -z "$rps" ] || [ "$rps" = 0 ] || [ "${failed:-1}" != 0 ]; then
        echo "bench: $t failed on $test: $(grep -E '^requests:|^finished' <<<"$out")" >&2
        rps=0 mibs=0
      fi
      result[$t,$test]="$rps ${mean:--} ${max:--} $mibs"
      ;;
    upload | uploadch)
      local u="$url/upload" start end secs
      [ "$t" = direct ] && u="http://127.0.0.1:$sink/upload"
      [ "$t" = relay ] && u="http://127.0.0.1:$relay_sink/upload"
      # Both rows send the same sparse file; for uploadch curl frames it as chunks itself. A
      # `head -c ... /dev/zero |` pipe feeding curl would be one more process, unpinned, that the
      # scheduler puts on the proxy's CPU.
      local framing=()
      [ "$test" = uploadch ] && framing=(-H "Transfer-Encoding: chunked")
      truncate -s "$UPLOAD_BYTES" "$work/upload.bin"
      start=$(date +%s.%N)
      taskset -c "$LOAD_CPU" curl -sf -o /dev/null -T "$work/upload.bin" "${framing[@]}" -X POST "$u"
      end=$(date +%s.%N)
      secs=$(echo "$end - $start" | bc -l)
      result[$t,$test]="- - - $(echo "$UPLOAD_BYTES / 1048576 / $secs" | bc -l | xargs printf '%.1f')"
      ;;
  esac
  result[$t,$test]+=" $(cpu_busy "$ticks" "$(cpu_ticks)")"
  result[$t,$test,rss]=0
  if [ "$t" != direct ]; then result[$t,$test,rss]=$(($(peak_rss_kib "${pid[$t]}") / 1024)); fi
}

throughput() {  # test, result fields → req/s, or MiB/s for the uploads
  case $1 in upload | uploadch) awk '{print $4}' <<<"$2" ;; *) awk '{print $1}' <<<"$2" ;; esac
}
declare -A rounds  # target,test → one line per round: throughput, rss, result fields
declare -A tp      # target,test,round → throughput
for ((round = 1; round <= ROUNDS; round++)); do
  for test in $TESTS; do
    for t in $(run_order "$test" "$round"); do
      echo "bench: $test via $t (round $round of $ROUNDS)" >&2
      measure "$t" "$test"
      tp[$t,$test,$round]=$(throughput "$test" "${result[$t,$test]}")
      rounds[$t,$test]+="${tp[$t,$test,$round]} ${result[$t,$test,rss]} ${result[$t,$test]}"$'\n'
    done
    # Each target's throughput, then how busy the two CPUs were (proxy's/other's, percent),
    # always in the order of $TARGETS whatever order they ran in.
    echo "bench: $test round $round:$(for t in $(targets_of "$test"); do
      read -r _ _ _ _ bp ba <<<"${result[$t,$test]}"
      printf ' %s %s (%s/%s)' "$t" "${tp[$t,$test,$round]}" "$bp" "$ba"
    done)" >&2
  done
done
for key in "${!rounds[@]}"; do
  sorted=$(sort -g -k1,1 <<<"${rounds[$key]%$'\n'}")
  median=$(sed -n "$(((ROUNDS + 1) / 2))p" <<<"$sorted")
  result[$key]=$(cut -d' ' -f3- <<<"$median")
  result[$key,rss]=$(awk '$2 > m {m = $2} END {print m + 0}' <<<"$sorted")
done

# ---- report ----
printf '\n%-9s %-8s %10s %9s %9s %9s %8s %5s %5s\n' test target req/s p50 p99 MiB/s rssMiB \
  "cpu$PROXY_CPU%" "cpu$AUX_CPU%"
for test in $TESTS; do
  for t in $(targets_of "$test"); do
    read -r rps p50 p99 mibs busy_proxy busy_aux <<<"${result[$t,$test]}"
    rss=${result[$t,$test,rss]}
    [ "$t" = direct ] && rss=-
    printf '%-9s %-8s %10s %9s %9s %9s %8s %5s %5s\n' "$test" "$t" "$rps" "$p50" "$p99" "$mibs" \
      "$rss" "$busy_proxy" "$busy_aux"
  done
done
echo
# Interference here mostly slows a target down: the VM's CPU 0 has slow spells lasting tens of
# seconds (every proxy, and even a backend moved to CPU 0, loses 15-25 % while the direct row,
# all on CPU 1, does not), and now and then a fast one (bench/README.md). So two estimates are
# given: the ratio of each target's best round (the capacity each showed when undisturbed), and
# the median of the per-round ratios with the lowest and highest (targets of one round are
# measured within a minute of each other).
ratio_of() {  # numerator denominator → ratio with two decimals, or "-"
  if [ -n "$1" ] && [ -n "$2" ] && (($(echo "$2 > 0" | bc -l))); then
    echo "$1 / $2" | bc -l | xargs printf '%.2f'
  else
    echo -
  fi
}
spread() {  # ratios, one per line → "median (min-max)", or the single value
  local sorted n
  sorted=$(grep -Ev '^-?$' | sort -g || true)
  n=$(grep -c . <<<"$sorted" || true)
  if ((n == 0)); then echo -; return; fi
  if ((n == 1)); then echo "$sorted"; return; fi
  printf '%s (%s-%s)' "$(sed -n "$(((n + 1) / 2))p" <<<"$sorted")" "$(head -1 <<<"$sorted")" \
    "$(tail -1 <<<"$sorted")"
}
best_round() {  # target test → its highest throughput over the rounds
  local r m=""
  for ((r = 1; r <= ROUNDS; r++)); do
    local v=${tp[$1,$2,$r]:-}
    [ -z "$v" ] && continue
    if [ -z "$m" ] || (($(echo "$v > $m" | bc -l))); then m=$v; fi
  done
  echo "$m"
}
best_peer() {  # test [round] → "name throughput" of the fastest peer (best rounds without round)
  local t v name=- best=0
  for t in nginx haproxy caddy; do
    [[ " $TARGETS " == *" $t "* ]] || continue
    if [ -n "${2:-}" ]; then v=${tp[$t,$1,$2]}; else v=$(best_round "$t" "$1"); fi
    if (($(echo "$v > $best" | bc -l))); then best=$v name=$t; fi
  done
  echo "$name $best"
}
echo "Wharf ratios (throughput: req/s, or MiB/s for uploads; >1 is better than the reference)."
echo "best: ratio of best rounds; rounds: median of the per-round ratios (lowest-highest)."
echo "relay/direct: the relay's own ratio to direct (best rounds): what the hop alone leaves."
echo "(The relay sits out the close row: it would open an upstream connection per request.)"
row() { printf '%-9s %-9s %-13s %-19s %-15s %-19s %-13s %s\n' "$@"; }
row test best-peer "vs-peer best" "vs-peer rounds" "vs-direct best" "vs-direct rounds" \
  "vs-relay best" "relay/direct"
for test in $TESTS; do
  r1s="" r2s=""
  for ((round = 1; round <= ROUNDS; round++)); do
    read -r _ best <<<"$(best_peer "$test" "$round")"
    w=${tp[wharf,$test,$round]:-}
    r1s+="$(ratio_of "$w" "$best")"$'\n'
    r2s+="$(ratio_of "$w" "${tp[direct,$test,$round]:-}")"$'\n'
  done
  read -r name best <<<"$(best_peer "$test")"
  w=$(best_round wharf "$test")
  direct=$(best_round direct "$test") relay=$(best_round relay "$test")
  row "$test" "$name" "$(ratio_of "$w" "$best")" "$(spread <<<"$r1s")" \
    "$(ratio_of "$w" "$direct")" "$(spread <<<"$r2s")" "$(ratio_of "$w" "$relay")" \
    "$(ratio_of "$relay" "$direct")"
done
