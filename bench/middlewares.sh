#!/usr/bin/env bash
# What middlewares and load balancing cost Wharf, in one run on this machine.
#
# Rows (wrk, keep-alive, 64 connections, small responses):
#   bare    a route with no middleware
#   chain5  the same backend behind headers + ipallowlist + ratelimit (limit far above the
#           load) + basicauth ($apr1$, the client sends valid credentials) + stripprefix
#   lb10    a route whose service has 10 servers (weighted round robin)
# The data plane has one thread pinned to CPU $PROXY_CPU; the backends (one nginx worker with
# 10 listeners) and wrk share CPU $AUX_CPU. Rows alternate for $ROUNDS rounds so drift on a
# noisy VM hits both alike; the ratio chain5/bare is the result (target >= 0.85).
#
# Usage: bench/middlewares.sh     (env: DURATION=10s ROUNDS=2 CONNECTIONS=64)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-64}
PROXY_CPU=${PROXY_CPU:-0}
AUX_CPU=${AUX_CPU:-1}

scripts/setup.sh wrk nginx-light bc
source bench/lib.sh
build_targets wharf-dataplane

first=19100 wharf=19099
listen="" servers=""
for i in $(seq 0 9); do
  listen+="server { listen 127.0.0.1:$((first + i)) reuseport backlog=4096; location / { return 200 \"hello\"; } }"$'\n'
  servers+="${servers:+,}{\"url\":\"http://127.0.0.1:$((first + i))\"}"
done
start_nginx_backend "$AUX_CPU" "$listen"

# "bench:secret", made with `openssl passwd -apr1 -salt abcdefgh secret`.
user='bench:$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/'
mkdir -p "$work/state"
cat >"$work/state/table.json" <<CONF
{"version":1,
 "routers":[
   {"name":"bare@bench","rule":"PathPrefix(\`/bare\`)","service":"one@bench"},
   {"name":"chain@bench","rule":"PathPrefix(\`/mw\`)","service":"one@bench",
    "middlewares":["headers@bench","lan@bench","limit@bench","auth@bench","strip@bench"]},
   {"name":"lb@bench","rule":"PathPrefix(\`/lb\`)","service":"ten@bench"}],
 "services":[
   {"name":"one@bench","servers":[{"url":"http://127.0.0.1:$first"}]},
   {"name":"ten@bench","servers":[$servers]}],
 "middlewares":[
   {"name":"headers@bench","type":"headers","options":{"stsseconds":"31536000",
     "framedeny":"true","contenttypenosniff":"true","customrequestheaders.x-app":"bench",
     "customresponseheaders.x-served-by":"wharf"}},
   {"name":"lan@bench","type":"ipallowlist","options":{"sourcerange":"127.0.0.0/8,10.0.0.0/8"}},
   {"name":"limit@bench","type":"ratelimit","options":{"average":"100000000","burst":"100000000"}},
   {"name":"auth@bench","type":"basicauth","options":{"users":"$user"}},
   {"name":"strip@bench","type":"stripprefix","options":{"prefixes":"/mw"}}]}
CONF
start_wharf "$PROXY_CPU" web "$wharf" "$work/state"
sleep 1
auth="Authorization: Basic $(printf 'bench:secret' | base64)"
for path in /bare /mw/ /lb; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "http://127.0.0.1:$wharf$path")
  [ "$code" = 200 ] || { echo "bench: $path answered $code" >&2; cat "$work/wharf.log" >&2; exit 1; }
done

declare -A sum
rps() {  # path → req/s
  taskset -c "$AUX_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -H "$auth" \
    "http://127.0.0.1:$wharf$1" | awk '/^Requests\/sec/ {printf "%.0f", $2}'
}
printf '%-7s %-7s %10s\n' round row req/s
for round in $(seq 1 "$ROUNDS"); do
  for row in bare chain5 lb10; do
    case $row in bare) p=/bare ;; chain5) p=/mw/ ;; lb10) p=/lb ;; esac
    v=$(rps $p)
    sum[$row]=$((${sum[$row]:-0} + v))
    printf '%-7s %-7s %10s\n' "$round" "$row" "$v"
  done
done
echo
for row in bare chain5 lb10; do
  printf '%-7s mean %10.0f req/s\n' "$row" "$(echo "${sum[$row]} / $ROUNDS" | bc -l)"
done
printf 'chain5/bare %.3f   lb10/bare %.3f\n' \
  "$(echo "${sum[chain5]} / ${sum[bare]}" | bc -l)" "$(echo "${sum[lb10]} / ${sum[bare]}" | bc -l)"
