#!/usr/bin/env bash
# Makes sure Debian's Chromium (/usr/bin/chromium) is there for the headless browser tests
# (playwright-core drives it), installing the `chromium` package when running as root with apt-get.
# Idempotent. Installing here, once, before vitest starts, keeps two test files from racing apt.
# When it cannot be installed, it says why and the browser tests skip with the same reason.
#   CHROMIUM_NO_INSTALL=1   never install, only look
set -euo pipefail

say() { echo "ensure-chromium: $*" >&2; }
CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then exit 0; fi
if [[ "${CHROMIUM_NO_INSTALL:-}" == "1" ]]; then
  say "warning: $CHROMIUM is missing (CHROMIUM_NO_INSTALL=1): the browser tests will be skipped."
  exit 0
fi
if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  say "warning: $CHROMIUM is missing and cannot be installed here (needs root and apt-get):"
  say "  sudo apt-get install -y chromium   (the browser tests are skipped until then)"
  exit 0
fi

say "installing Debian's chromium package for the browser tests ..."
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  apt-get update -q >&2 || say "warning: apt-get update failed; trying the install anyway."
fi
if ! apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends chromium >&2; then
  say "error: apt-get install chromium failed (see above; is a package mirror reachable?)."
  exit 1
fi
say "installed: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
