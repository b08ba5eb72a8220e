#!/usr/bin/env bash
# `npm test`: installs what is missing, type-checks, then runs the whole suite against real
# Temporal, real PostgreSQL and a real SMTP server. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --postgres --browser
echo "Type-checking ..."
npx tsc --noEmit
npx vitest run "$@"
