#!/usr/bin/env bash
# Vendor axe-core (from the npm registry) for the browser tests, once: the tests read
# tests/browser/.vendor/axe.min.js and never fetch anything at run time.
set -euo pipefail
cd "$(dirname "$0")"
VENDOR=.vendor
if [ -s "$VENDOR/axe.min.js" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "vendor_axe.sh: npm is not installed; the browser tests will skip" >&2; exit 0; }
mkdir -p "$VENDOR"
cd "$VENDOR"
tarball=$(npm pack axe-core@4 --silent | tail -n1)
tar xzf "$tarball" package/axe.min.js package/LICENSE
mv package/axe.min.js package/LICENSE .
rm -rf package "$tarball"
echo "vendor_axe.sh: axe-core $(grep -o 'axe v[0-9.]*' axe.min.js | head -n1) in tests/browser/$VENDOR"
