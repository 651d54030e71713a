#!/usr/bin/env bash
# tests/jit/update.sh — rewrites the golden listings (tests/jit/golden/*.txt) from the
# cases (tests/jit/cases/*.hex) with the native unit tests, and checks every module
# with wabt's wasm-validate (and shows it with wasm2wat when DIFF=1). Review the diff
# (git diff tests/jit/golden) before committing.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x build/unit_tests ] || { echo "build the native unit tests first (tools/build native)"; exit 1; }
out=$(mktemp -d)
GB_JIT_UPDATE=1 GB_JIT_WASM_DIR=$out build/unit_tests -tc="jit: golden*" >/dev/null
for w in "$out"/*.wasm; do
  if command -v wasm-validate >/dev/null; then wasm-validate --enable-tail-call "$w" || { echo "invalid module: $w"; exit 1; }; fi
done
echo "updated $(ls "$out"/*.wasm | wc -l) listings; modules valid"
rm -rf "$out"
git status --short tests/jit/golden
