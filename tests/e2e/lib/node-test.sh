# tests/e2e/lib/node-test.sh — sourced by run.sh and node-only.sh: runs `node --test` over
# the given files one at a time (spec to stdout, TAP to $TAP) and sets PASS, FAIL (failed +
# cancelled, at least 1 if node failed without a count) and SKIPPED from the TAP summary.
#   node_test TAP FILE...
node_test() {
  local tap=$1; shift
  node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    "$@"
  local rc=$?
  local p f c s
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
  c=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
  s=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
  PASS=${p:-0}; FAIL=$(( ${f:-0} + ${c:-0} )); SKIPPED=${s:-0}
  if [ "$rc" != 0 ] && [ "$FAIL" = 0 ]; then FAIL=1; fi
}
