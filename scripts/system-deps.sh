#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing.
#   scripts/system-deps.sh python   - headers to build mysqlclient
#   scripts/system-deps.sh browser  - Chromium for the browser tests
set -euo pipefail

need=()
case "${1:-}" in
  python)
    command -v pkg-config >/dev/null || need+=(pkg-config)
    pkg-config --exists libmariadb 2>/dev/null || pkg-config --exists mysqlclient 2>/dev/null \
      || need+=(libmariadb-dev)
    command -v gcc >/dev/null || need+=(gcc)
    python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
    ;;
  browser)
    command -v chromium >/dev/null || need+=(chromium)
    ;;
  *)
    echo "usage: $0 python|browser" >&2
    exit 2
    ;;
esac

[ ${#need[@]} -eq 0 ] && exit 0
echo "==> installing Debian packages: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Not root: run 'sudo apt-get install -y ${need[*]}' and try again." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
