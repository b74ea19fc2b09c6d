#!/usr/bin/env bash
# npm run mutation [-- layer … | --force]: runs Stryker under a Node 22 binary from the npm registry (Stryker 10 needs
# Node >= 22; the package itself supports Node 20). See scripts/mutation/run.mjs and bench/results/mutation.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node22="$(bash "$root/scripts/node-tools.sh")"
cd "$root"
exec "$node22" scripts/mutation/run.mjs "$@"
