#!/usr/bin/env bash
# Installs everything a fresh Debian machine lacks for building and testing basegate:
# the real servers the tests start (docker-registry, Azurite via npm), skopeo (the benchmark peer),
# openssl and htpasswd (test credentials), then the npm dependencies, then builds.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
need=()
for pair in docker-registry:docker-registry skopeo:skopeo openssl:openssl htpasswd:apache2-utils; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
npm ci --no-audit --no-fund
npm run build
