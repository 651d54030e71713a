#!/usr/bin/env bash
# tests/interactive/tmux_test.sh — an interactive login shell in the guest, driven through a
# real terminal: tmux runs the CLI (which connects the host terminal to a guest pty), the
# script types into it (send-keys) and reads the screen (capture-pane polling, timeouts) and
# the raw output (pipe-pane). Each step is a named check; the last line is
# "interactive: N passed, N failed".
#
#   tests/interactive/tmux_test.sh                   the engine: build/glassbox run --image build/image/manifest.json
#   tests/interactive/tmux_test.sh --native [ROOT]   the same steps against bash in a native chroot of
#                                                    the image's rootfs (validates the driver; needs root)
#   tests/interactive/tmux_test.sh ENGINE...         another engine prefix up to the guest program, e.g.
#       node build-wasm/glassbox.js run --image build/image/manifest.json --overlay @OVERLAY@ --
#
# @OVERLAY@ is replaced by an overlay file in a temp dir (the base image is never written).
# Steps: login prompt; ls --color=always / shows escape codes; echo one, then Up + Enter runs
# it again (history); sleep 100 + C-c gives the prompt back within GB_TMUX_INTR seconds (5)
# and $? is 130; sleep 100 + C-z, jobs shows Stopped, fg + C-c; vim.tiny /tmp/f.txt, type
# ihello<Esc>:wq<Enter>, cat shows hello; exit ends the CLI with status 0.
# Timeouts (seconds): GB_TMUX_START (bash's first prompt; 240 engine, 20 native),
# GB_TMUX_STEP (each step; 120 engine, 10 native). GB_TMUX_KEEP=1 keeps the logs directory.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
command -v tmux >/dev/null || { echo "interactive: tmux is not installed (tools/setup installs it)"; echo "interactive: 0 passed, 1 failed"; exit 1; }

tmp=$(mktemp -d /tmp/gb-tmux.XXXXXX)
SOCK="gb-tmux-test-$$"
T() { tmux -L "$SOCK" "$@"; }
cleanup() { T kill-server 2>/dev/null; [ "${GB_TMUX_KEEP:-0}" = 1 ] && echo "logs kept in $tmp" || rm -rf "$tmp"; }
trap cleanup EXIT

MODE=engine
if [ "${1:-}" = --native ]; then
  MODE=native; shift
  ROOT=${1:-$("$top/tools/mkimage/mkimage" plan "$top/images/default" --print-root 2>/dev/null)}
  [ -x "$ROOT/bin/bash" ] || { echo "interactive: no guest root"; echo "interactive: 0 passed, 1 failed"; exit 1; }
  # bash in a chroot of an overlayfs over ROOT (tests/lib/chroot-overlay.sh): never writes ROOT.
  CMD=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TERM=xterm-256color
       "$top/tests/lib/chroot-overlay.sh" "$ROOT" -- /bin/bash -l)
  START=${GB_TMUX_START:-20}; STEP=${GB_TMUX_STEP:-10}
else
  if [ $# -gt 0 ]; then ENG=("$@"); else
    ENG=("$top/build/glassbox" run --image "${GLASSBOX_IMAGE_DIR:-$top/build/image}/manifest.json"
         --overlay @OVERLAY@ --env TERM=xterm-256color --)
  fi
  CMD=("${ENG[@]//@OVERLAY@/$tmp/overlay.bin}" /bin/bash -l)
  START=${GB_TMUX_START:-240}; STEP=${GB_TMUX_STEP:-120}
fi
INTR=${GB_TMUX_INTR:-5}

pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() {
  fail=$((fail + 1)); echo "FAIL $1"
  T capture-pane -p -t gb 2>/dev/null | grep -v '^$' | tail -8 | sed 's/^/     | /'
}

# The pane runs the command, then prints its exit status and stays open. The engine's own
# messages (host stderr) go to a file; the guest's stderr is the guest pty. Native bash
# writes its prompt to stderr, so there stderr stays the terminal.
printf '%q ' "${CMD[@]}" > "$tmp/cmd"
redir=""; [ $MODE = engine ] && redir="2>$tmp/stderr"
T -f /dev/null new-session -d -s gb -x 120 -y 40 \
  "sh -c '$(cat "$tmp/cmd") $redir; echo \"[gb-exit \$?]\"; sleep 3600'" || {
  echo "interactive: tmux new-session failed"; echo "interactive: 0 passed, 1 failed"; exit 1; }
T set-option -t gb history-limit 5000 >/dev/null
T pipe-pane -t gb -o "cat >> $tmp/raw.log"

screen() { T capture-pane -p -J -S - -t gb 2>/dev/null | sed 's/[[:space:]]*$//'; }
lastline() { screen | sed 's/[[:space:]]*$//' | grep -v '^$' | tail -n 1; }
# wait_for SECONDS CMD...: poll until CMD succeeds (0.2 s steps); returns 1 on timeout.
wait_for() {
  local limit=$1; shift
  local end=$(( $(date +%s%N) + limit * 1000000000 ))
  while [ "$(date +%s%N)" -lt $end ]; do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}
prompt_any() { lastline | grep -qE '[$#][[:space:]]*$'; }
# (capture-pane drops trailing blanks: the prompt '[gb]# ' reads as '[gb]#')
prompt() { [ "$(lastline)" = "[gb]#" ]; }
count() { screen | grep -cxF -- "$1"; }
count_is() { [ "$(count "$1")" -ge "$2" ]; }
screen_has() { screen | grep -qE -- "$1"; }
keys() { T send-keys -t gb "$@"; }
type_line() { T send-keys -t gb -l -- "$1"; T send-keys -t gb Enter; }
# fresh: an empty screen and history, so each step only sees its own output.
fresh() { keys C-l; sleep 0.3; T clear-history -t gb; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

echo "interactive ($MODE): ${CMD[*]}"
t0=$(now_ms)
if wait_for "$START" prompt_any; then
  ok "login shell prompt ($(( ($(now_ms) - t0) )) ms)"
else
  bad "login shell prompt (none within $START s)"; head -5 "$tmp/stderr" 2>/dev/null
  echo "interactive: $pass passed, $fail failed"; exit 1
fi

# A fixed prompt from here on (the image's root prompt has the host name in it).
type_line "PS1='[gb]\\$ '"
if wait_for "$STEP" prompt; then ok "PS1 set"; else bad "PS1 set"; fi

fresh
rawpos=$(stat -c %s "$tmp/raw.log" 2>/dev/null || echo 0)
type_line "ls --color=always /"
ls_done() { screen_has '^(bin|usr)' && prompt; }
if wait_for "$STEP" ls_done; then
  if tail -c +"$((rawpos + 1))" "$tmp/raw.log" | grep -qaF $'\e[01;34m'; then
    ok "ls --color=always / shows colour escape codes"
  else
    bad "ls --color=always / (no ESC[01;34m directory colour in the raw output)"
  fi
else
  bad "ls --color=always / (no listing and prompt within $STEP s)"
fi

fresh
type_line "echo one"
if wait_for "$STEP" count_is one 1 && wait_for "$STEP" prompt; then
  keys Up
  up_shown() { [ "$(lastline)" = "[gb]# echo one" ]; }
  if wait_for "$STEP" up_shown; then
    keys Enter
    if wait_for "$STEP" count_is one 2 && wait_for "$STEP" prompt; then ok "history: Up + Enter runs echo one again"
    else bad "history: Up + Enter did not print one a second time"; fi
  else
    bad "history: Up did not bring back 'echo one'"
  fi
else
  bad "echo one"
fi

fresh
type_line "sleep 100"
sleep 2
t1=$(now_ms)
keys C-c
if wait_for "$INTR" prompt; then
  dt=$(( $(now_ms) - t1 ))
  type_line 'echo "status $?"'
  if wait_for "$STEP" count_is "status 130" 1; then ok "sleep 100 + C-c: prompt back in $dt ms, status 130"
  else bad "sleep 100 + C-c: prompt back in $dt ms but \$? is not 130"; fi
else
  bad "sleep 100 + C-c: no prompt within $INTR s"
  keys C-c; wait_for "$STEP" prompt
fi

fresh
type_line "sleep 100"
sleep 2
keys C-z
if wait_for "$STEP" screen_has 'Stopped +sleep 100' && wait_for "$STEP" prompt; then
  ok "sleep 100 + C-z stops the job"
else
  bad "sleep 100 + C-z (no 'Stopped sleep 100' and prompt)"
fi
fresh
type_line "jobs"
if wait_for "$STEP" screen_has '^\[1\]\+ +Stopped +sleep 100' && wait_for "$STEP" prompt; then
  ok "jobs shows the stopped sleep"
else
  bad "jobs (no '[1]+ Stopped sleep 100')"
fi
fresh
type_line "fg"
if wait_for "$STEP" count_is "sleep 100" 1; then
  sleep 1
  keys C-c
  if wait_for "$INTR" prompt; then
    fresh
    type_line 'jobs; echo "jobs done"'
    if wait_for "$STEP" count_is "jobs done" 1 && ! screen_has 'Stopped|Running'; then ok "fg + C-c ends the job"
    else bad "fg + C-c: the job is still listed"; fi
  else
    bad "fg + C-c: no prompt within $INTR s"; keys C-c; wait_for "$STEP" prompt
  fi
else
  bad "fg (did not print 'sleep 100')"
fi

fresh
type_line "rm -f /tmp/f.txt; vim.tiny /tmp/f.txt"
# vim draws its screen: '~' lines for the empty buffer and the file name in the last line.
vim_drawn() { [ "$(screen | grep -c '^~')" -ge 5 ] && screen | grep -q 'f.txt'; }
if wait_for "$STEP" vim_drawn; then
  ok "vim.tiny starts full-screen"
  T send-keys -t gb -l "ihello"
  sleep 1
  keys Escape
  sleep 1
  T send-keys -t gb -l ":wq"
  keys Enter
  if wait_for "$STEP" prompt; then
    fresh
    type_line "cat /tmp/f.txt"
    if wait_for "$STEP" count_is hello 1; then ok "vim: ihello<Esc>:wq saved the file (cat shows hello)"
    else bad "vim: cat /tmp/f.txt does not show hello"; fi
  else
    bad "vim: no shell prompt after :wq"
    keys Escape; T send-keys -t gb -l ":q!"; keys Enter; wait_for "$STEP" prompt
  fi
else
  bad "vim.tiny did not draw its screen"
  keys Escape; T send-keys -t gb -l ":q!"; keys Enter; wait_for "$STEP" prompt
fi

fresh
type_line "true"     # bash exits with the last command's status
wait_for "$STEP" prompt
type_line "exit"
if wait_for "$STEP" screen_has '^\[gb-exit [0-9]+\]'; then
  st=$(screen | sed -nE 's/^\[gb-exit ([0-9]+)\]$/\1/p' | tail -n 1)
  if [ "$st" = 0 ]; then ok "exit ends the CLI with status 0"; else bad "exit: the CLI's status is $st"; fi
else
  bad "exit: the CLI did not end within $STEP s"
fi
if [ -s "$tmp/stderr" ]; then echo "  (stderr of the command:)"; grep -v '^$' "$tmp/stderr" | head -5 | sed 's/^/  /'; fi
echo "interactive: $pass passed, $fail failed"
[ $fail = 0 ]
