#!/usr/bin/env bash
# tests/interactive/host_stdio.sh — bash -l on the host terminal *without* a guest pty:
# the native CLI with --tty off, and the node CLI (which has no pty). The guest then sees
# the host's terminal through the host-stdio streams. Regression: bash compared its
# process group with TIOCGPGRP's fixed answer, decided it was a background job, stopped
# itself with SIGTTIN and the engine ended with "deadlock".
#
#   tests/interactive/host_stdio.sh        both CLIs (node skipped when build-wasm is missing)
#
# Each case: the prompt appears, `echo hi $((6*7))` prints "hi 42", a pipeline runs, and
# `exit 3` ends the CLI with status 3. Last line: "host-stdio: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
IMAGE=${GLASSBOX_IMAGE_DIR:-$top/build/image}/manifest.json
tmp=$(mktemp -d /tmp/gb-hoststdio.XXXXXX)
SOCK="gb-hoststdio-$$"
T() { tmux -L "$SOCK" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0; fail=0

screen() { T capture-pane -p -J -S - -t "$1" 2>/dev/null; }
wait_screen() {  # NAME SECONDS REGEX
  local end=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt $end ]; do
    screen "$1" | grep -Eq "$3" && return 0
    sleep 0.2
  done
  return 1
}

run_case() {  # NAME ENGINE...
  local name=$1; shift
  printf '%q ' "$@" > "$tmp/$name.cmd"
  T -f /dev/null new-session -d -s "$name" -x 100 -y 30 \
    "sh -c '$(cat "$tmp/$name.cmd") /bin/bash -l; echo \"[gb-exit \$?]\"; sleep 3600'"
  local why=""
  # (bash's prompt goes to stderr, which is the host terminal here: no redirection)
  if ! wait_screen "$name" 240 'root@glassbox:/# $'; then why="no prompt"
  else
    T send-keys -t "$name" 'echo hi $((6*7))' Enter
    if ! wait_screen "$name" 60 '^hi 42$'; then why="echo gave no 'hi 42'"
    else
      T send-keys -t "$name" 'printf "a\nb\nc\n" | wc -l' Enter
      if ! wait_screen "$name" 60 '^3$'; then why="the pipeline gave no 3"
      else
        T send-keys -t "$name" 'exit 3' Enter
        wait_screen "$name" 60 '\[gb-exit 3\]' || why="exit 3 did not end the CLI with status 3"
      fi
    fi
  fi
  if [ -z "$why" ]; then pass=$((pass + 1)); echo "ok   $name"
  else
    fail=$((fail + 1)); echo "FAIL $name: $why"
    screen "$name" | grep -v '^$' | tail -8 | sed 's/^/     | /'
  fi
  [ "${GB_SHOW:-0}" = 1 ] && screen "$name" | grep -v "^$"
  T kill-session -t "$name" 2>/dev/null
}

run_case native-tty-off "$top/build/glassbox" run --tty off --image "$IMAGE" --
if [ -f "$top/build-wasm/glassbox.js" ]; then
  run_case node node "$top/build-wasm/glassbox.js" run --image "$IMAGE" --
else
  echo "skip node (no build-wasm/glassbox.js)"
fi
echo "host-stdio: $pass passed, $fail failed"
[ $fail -eq 0 ]
