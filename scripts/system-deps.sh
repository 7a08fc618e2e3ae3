#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing.
#   scripts/system-deps.sh python   - a C toolchain and headers to build mysqlclient
#   scripts/system-deps.sh browser  - Chromium for the browser tests, npm for their axe-core,
#                                     a Chinese/Japanese font for the sample books' titles
# (MariaDB, Java and Maven are installed by scripts/services.sh, which runs them.)
set -euo pipefail

usage() {
  echo "usage: $0 python|browser ..." >&2
  exit 2
}
[ $# -gt 0 ] || usage

need=()
for group in "$@"; do
  case "$group" in
    python)
      command -v gcc >/dev/null || need+=(gcc)
      command -v pkg-config >/dev/null || need+=(pkg-config)
      pkg-config --exists libmariadb 2>/dev/null || pkg-config --exists mysqlclient 2>/dev/null \
        || need+=(libmariadb-dev)
      # Python.h: shipped with a pyenv or python.org build, a package of its own for Debian's.
      [ -f "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] \
        || need+=(python3-dev)
      python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
      ;;
    browser)
      command -v chromium >/dev/null || need+=(chromium)
      command -v npm >/dev/null || need+=(npm)
      fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-zenhei)
      ;;
    *) usage ;;
  esac
done

[ ${#need[@]} -eq 0 ] && exit 0
echo "==> installing Debian packages: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Not root: run 'sudo apt-get install -y ${need[*]}' and try again." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-qq -o DPkg::Lock::Timeout=300)
apt-get "${apt_opts[@]}" update
apt-get "${apt_opts[@]}" install -y "${need[@]}" >/dev/null
