#!/usr/bin/env bash
# Installs what the dashboard's browser tests (tests/ui/test_browser.py) need on Debian 12:
# Debian's chromium, driven by Playwright through executable_path (the playwright wheel of
# the dev extra brings its own driver; no browser is downloaded, `playwright install` is
# never run). Does nothing when /usr/bin/chromium is there. Uses sudo only when not root.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "ci_browser: chromium is installed ($(/usr/bin/chromium --version 2>/dev/null | head -n 1))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "ci_browser: /usr/bin/chromium is missing, this is not root and there is no sudo:" >&2
    echo "ci_browser: install it with 'apt-get install chromium' as root" >&2
    exit 1
  fi
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The fonts make screenshots readable; chromium itself needs nothing else.
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation fonts-dejavu-core >/dev/null
echo "ci_browser: installed $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
