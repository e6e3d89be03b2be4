#!/usr/bin/env bash
# Creates .venv with Python 3.10 (Rasa 3.6 needs it) and installs requirements.txt.
# Re-runs the install only when requirements.txt changed since the last successful one.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    command -v python3.10; return 0
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local root; root=$(pyenv root)
    local candidate
    for candidate in $(ls -d "$root"/versions/3.10.* 2>/dev/null | sort -V -r); do
      if [ -x "$candidate/bin/python3.10" ]; then echo "$candidate/bin/python3.10"; return 0; fi
    done
  fi
  return 1
}

if [ ! -x .venv/bin/python ]; then
  if ! PY=$(find_python); then
    echo "ERROR: Frontline needs Python 3.10 (Rasa 3.6 does not run on newer versions)." >&2
    echo "Install it (e.g. 'pyenv install 3.10.13') or put python3.10 on PATH, then run make again." >&2
    exit 1
  fi
  echo ">> creating .venv with $PY"
  "$PY" -m venv .venv
fi

stamp=.venv/.requirements.sha
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo ">> installing requirements (first time: about 3 minutes)"
  .venv/bin/python -m pip install --progress-bar off -r requirements.txt \
    | grep --line-buffered -E '^(Collecting|Successfully installed)' | cut -c1-100 || true
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "ERROR: pip could not install requirements.txt" >&2; exit 1; }
  .venv/bin/python -c 'import rasa, rasa_sdk' || { echo "ERROR: installing requirements failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

# The console's charting library, from the npm registry into handoff/static/vendor.
bash scripts/vendor_js.sh

# Browser tests (agent console, web widget) drive Debian's chromium through Playwright;
# nothing downloads a browser of its own.
# A CJK font, or Chinese pages render as boxes in screenshots.
if [ "${1:-}" = "--browser" ] && { [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo ">> installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei) >/dev/null
  else
    echo "ERROR: the browser tests need /usr/bin/chromium: run 'sudo apt-get install chromium fonts-wqy-microhei'" >&2
    exit 1
  fi
fi

# The scale test (make scale-test, and its short form in make test) balances replicas with
# Debian's nginx on loopback ports.
if [[ " $* " == *" --nginx "* ]] && ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo ">> installing Debian's nginx for the scale test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light) >/dev/null
  else
    echo "ERROR: the scale test needs nginx: run 'sudo apt-get install nginx-light'" >&2
    exit 1
  fi
fi
