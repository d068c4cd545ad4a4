#!/usr/bin/env bash
# Installs the Debian 12 packages Spur needs to build and test. As root it runs apt-get;
# otherwise it prints the exact command to run and stops.
# usage: scripts/deps.sh [--ci]   (--ci adds clang and its fuzzer runtime)
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  tao-pegtl-dev nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev libboost-dev
  libhowardhinnant-date-dev doctest-dev libre2-dev librocksdb-dev librdkafka-dev
  libssl-dev libbenchmark-dev libjemalloc-dev libxxhash-dev tzdata python3 curl openssl
)
if [ "${1:-}" = "--ci" ]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Spur needs these Debian packages. Run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
