#!/usr/bin/env bash
# Makes sure the PostgreSQL server binaries (initdb, pg_ctl, postgres) are installed, installing
# Debian/Ubuntu's `postgresql` package when running as root. Idempotent: when they are present it
# only prints where they are. On success the LAST line of stdout is the bin directory (messages go
# to stderr), e.g.  PG_BINDIR="$(bash scripts/ensure-postgres.sh | tail -n1)".
#
# The tests use it to start a throwaway cluster (test/support/global-setup.ts). Not needed when
# TEST_DATABASE_URL points at an existing server.
#   PG_BINDIR=/path/to/bin   use these binaries (must contain initdb and pg_ctl)
#   PG_NO_INSTALL=1          never install, only look
set -euo pipefail

say() { echo "ensure-postgres: $*" >&2; }

has_server_bins() { [[ -n "$1" && -x "$1/initdb" && -x "$1/pg_ctl" && -x "$1/postgres" ]]; }

find_bindir() {
  local dir
  if [[ -n "${PG_BINDIR:-}" ]]; then
    if has_server_bins "$PG_BINDIR"; then echo "$PG_BINDIR"; return 0; fi
    say "PG_BINDIR=$PG_BINDIR does not contain initdb, pg_ctl and postgres; looking elsewhere."
  fi
  # pg_config may come from libpq-dev alone (client side): check the server binaries are there.
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir 2>/dev/null || true)"
    if has_server_bins "$dir"; then echo "$dir"; return 0; fi
  fi
  # Debian/Ubuntu keep server binaries off PATH, one directory per major version: newest first.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -n -r); do
    if has_server_bins "$dir"; then echo "$dir"; return 0; fi
  done
  # Other layouts (Fedora, Alpine, Homebrew, ...): on PATH.
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dir="$(dirname "$(command -v initdb)")"
    if has_server_bins "$dir"; then echo "$dir"; return 0; fi
  fi
  return 1
}

explain_and_fail() {
  say "error: the PostgreSQL server (initdb, pg_ctl, postgres) is not installed. $1"
  say "  Debian/Ubuntu: sudo apt-get install -y postgresql"
  say "  Fedora/RHEL:   sudo dnf install -y postgresql-server"
  say "  Alpine:        sudo apk add postgresql"
  say "  macOS:         brew install postgresql@15"
  say "  Or set PG_BINDIR to a directory holding initdb and pg_ctl,"
  say "  or set TEST_DATABASE_URL to an existing server (a role that may CREATE DATABASE)."
  exit 1
}

if bindir="$(find_bindir)"; then
  echo "$bindir"
  exit 0
fi

if [[ "${PG_NO_INSTALL:-}" == "1" ]]; then
  explain_and_fail "PG_NO_INSTALL=1, so it was not installed automatically."
fi
if [[ "$(id -u)" != "0" ]]; then
  explain_and_fail "Automatic installation needs root; install it yourself:"
fi
if ! command -v apt-get >/dev/null 2>&1; then
  explain_and_fail "apt-get is not available here, so it cannot be installed automatically; install it:"
fi

say "PostgreSQL server not found; installing Debian's postgresql package (apt-get install -y postgresql) ..."
export DEBIAN_FRONTEND=noninteractive
# A clean machine may have empty package lists: update only when postgresql has no candidate.
if ! apt-cache policy postgresql 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  say "running apt-get update first ..."
  apt-get update -q >&2 || say "warning: apt-get update failed; trying the install anyway."
fi
if ! apt-get install -y -q postgresql >&2; then
  explain_and_fail "apt-get install -y postgresql failed (see the output above; is a package mirror reachable?)."
fi

if bindir="$(find_bindir)"; then
  say "installed: $("$bindir/postgres" --version)"
  echo "$bindir"
  exit 0
fi
explain_and_fail "apt-get reported success, but initdb/pg_ctl are still not found."
