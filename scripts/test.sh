#!/usr/bin/env bash
# Builds Wharf and runs the whole test suite. `--sanitize` does the same in a separate build
# directory with AddressSanitizer + UndefinedBehaviorSanitizer. Safe to run repeatedly: the
# build directory and ccache are reused.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
build=build
if [ "${1:-}" = "--sanitize" ]; then
  sanitize=ON
  build=build-asan
fi

# The Docker integration tests start their own dockerd (never the system's) with containers
# made from busybox-static, the Kubernetes client's TLS test an openssl s_server, the metrics
# tests promtool (Debian prometheus), the dashboard test headless Chromium, the ACME tests
# Pebble, the DNS-01 tests BIND (named on a port of their own, dig to read its zone) and the
# image test debootstrap (its base image is made locally); the HTTP/2 tests speak through curl,
# nghttp and h2load (nghttp2-client), python3-h2 frame scripts and a python3-grpcio client and
# server (Debian's python3, /usr/bin/python3), to nghttpd (nghttp2-server) as an HTTP/2-only
# server. Only the test command installs them.
scripts/setup.sh docker.io busybox-static openssl prometheus chromium pebble debootstrap \
  nghttp2-client nghttp2-server python3-h2 python3-hyperframe python3-grpcio bind9 bind9-dnsutils

# The fuzz targets need clang's libFuzzer; they are built (and run briefly) in the sanitizer pass.
extra=()
if [ "$sanitize" = ON ]; then
  extra=(-DCMAKE_CXX_COMPILER=clang++ -DWHARF_FUZZ=ON)
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHARF_SANITIZE=$sanitize \
  "${extra[@]}" >/dev/null
ninja -C "$build" -j2
# As root (CI) the Docker integration tests must run, not skip.
[ "$(id -u)" -eq 0 ] && export WHARF_REQUIRE_DOCKER=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j2 --timeout 600
