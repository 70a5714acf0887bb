#!/usr/bin/env bash
# Set up Lightwing on a fresh machine and run it:
#   bash scripts/setup.sh serve   install, load the demo district, serve http://127.0.0.1:8000
#   bash scripts/setup.sh test    install everything the tests need, then run them
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
case "$mode" in serve|test) ;; *) echo "usage: bash scripts/setup.sh serve|test" >&2; exit 2 ;; esac

serve_debs=(espeak-ng fonts-noto-cjk libsndfile1)
test_debs=("${serve_debs[@]}" chromium chromium-driver postgresql redis-server)
if [ "$mode" = serve ]; then debs=("${serve_debs[@]}"); else debs=("${test_debs[@]}"); fi

missing=()
for deb in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
done
# The browser tests need node and npm; NodeSource's nodejs brings its own npm.
if [ "$mode" = test ] && ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Lightwing needs these Debian packages; install them as root, then run this again:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Lightwing needs Python 3.11 or newer; $python is $("$python" --version 2>&1)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$mode" = serve ]; then
  .venv/bin/python -m pip install -q -e .
  exec .venv/bin/lightwing serve --demo
fi

.venv/bin/python -m pip install -q -e ".[test]"
if [ -f package-lock.json ]; then
  npm ci --silent --no-audit --no-fund
fi
.venv/bin/ruff check .
status=0
.venv/bin/python -m pytest "${@:2}" || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests for this selection" >&2
  status=0
fi
exit "$status"
