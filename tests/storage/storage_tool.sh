#!/usr/bin/env bash
# tests/storage/storage_tool.sh — prints the path of build-storage/st/storage_tool,
# configuring and building it first if needed (only the storage sources; seconds).
# Used by the image modes of tests/guest/run.sh and tests/syscall/run.sh.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=$top/build-storage/st
if [ ! -f "$B/CMakeCache.txt" ]; then
  cmake -S "$top/tests/storage" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null 2>&1 || exit 1
fi
cmake --build "$B" --target storage_tool >/dev/null 2>&1 || exit 1
echo "$B/storage_tool"
