#!/usr/bin/env bash
# `npm start`: installs what is missing, then runs the whole stack on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx tsx cli/main.ts dev "$@"
