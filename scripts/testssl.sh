#!/usr/bin/env bash
# Runs Debian's testssl.sh against a TLS entrypoint of Wharf as users run it: a test CA and a
# server certificate for web.example.com (with CRL and OCSP URIs, as public CAs issue them),
# the file provider's tls.certificates, a TLS router to the demo backend. Prints testssl's
# report and fails when any line says VULNERABLE or NOT ok. Takes about 3-4 minutes.
# Findings are summarised in docs/tls.md.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh testssl.sh openssl
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j2 wharf-dataplane wharf-controller wharf-demo-backend >/dev/null

work=$(mktemp -d /tmp/wharf-testssl-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
  -days 30 -subj "/CN=Wharf Test CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr \
  -subj "/CN=web.example.com" 2>/dev/null
cat > ext <<'EXT'
subjectAltName=DNS:web.example.com
basicConstraints=CA:FALSE
keyUsage=digitalSignature
extendedKeyUsage=serverAuth
crlDistributionPoints=URI:http://crl.example.com/ca.crl
authorityInfoAccess=OCSP;URI:http://ocsp.example.com
EXT
openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile ext \
  -out leaf.crt 2>/dev/null
cd - >/dev/null

port=${WHARF_TESTSSL_PORT:-18443}
backend_port=$((port + 1))
cat > "$work/dynamic.yml" <<YAML
tls:
  certificates:
    - certFile: $work/leaf.crt
      keyFile: $work/leaf.key
http:
  routers:
    web:
      rule: Host(\`web.example.com\`)
      service: demo
      tls: {}
  services:
    demo:
      loadBalancer:
        servers:
          - url: http://127.0.0.1:$backend_port
YAML

build/tests/wharf-demo-backend --port "$backend_port" >/dev/null 2>&1 &
pids+=($!)
build/dataplane/wharf-dataplane --entrypoint "websecure=127.0.0.1:$port" --admin-address 127.0.0.1:0 \
  --control-socket "$work/control.sock" >"$work/dataplane.log" 2>&1 &
pids+=($!)
build/controller/wharf-controller --control-socket "$work/control.sock" --file "$work/dynamic.yml" \
  --docker-endpoint off >"$work/controller.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  curl -sk --resolve "web.example.com:$port:127.0.0.1" -o /dev/null \
    "https://web.example.com:$port/" && break
  sleep 0.1
done

testssl --quiet --color 0 --warnings off --add-ca "$work/ca.crt" --ip 127.0.0.1 \
  "web.example.com:$port" | tee "$work/report.txt"
bad=$(grep -E -c "VULNERABLE|NOT ok" "$work/report.txt" || true)
echo "testssl: $bad finding(s) marked VULNERABLE or NOT ok"
[ "$bad" -eq 0 ]
