#!/usr/bin/env bash
# Installs the Debian 12 packages Wharf needs to build and test, only when some are missing,
# so running it again is quick and silent. Both README commands call it first.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev rapidjson-dev libssl-dev libyaml-cpp-dev libcrypt-dev
  prometheus-cpp-dev   # the metrics data model (data plane and controller)
  zlib1g-dev libbrotli-dev libzstd-dev   # the compress middleware
  libtomlplusplus-dev   # configuration files written in TOML (static and dynamic)
  libnghttp2-dev   # HTTP/2 framing, HPACK and flow control (data plane, both directions)
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev   # libFuzzer targets and the sanitizer runtime
  curl procps
)
# Extra packages a caller asks for (the bench script adds its load generator and peers).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
