#!/usr/bin/env bash
# Runs every pvlab test: unit test binaries (build/tests/unit/test_*) and
# integration scripts (tests/integration/*.sh). A test passes with exit 0,
# is skipped with exit 77 (it prints why), and fails otherwise.
# Ends with the line "N passed, N failed, N skipped"; exits 1 on a failure.
set -u
BUILD=${1:-build}
export BUILD BIN="$BUILD/bin" PVLAB_ROOT="$(pwd)"
TIMEOUT=${PVLAB_TEST_TIMEOUT:-300}
filter=${PVLAB_TESTS:-}
pass=0 fail=0 skip=0 failed=()
logdir="$BUILD/test-logs"; mkdir -p "$logdir"

run_one() {
  local name=$1; shift
  [ -n "$filter" ] && [[ "$name" != *$filter* ]] && return
  local log="$logdir/$(echo "$name" | tr '/' '_').log" t0=$SECONDS rc
  timeout -k 10 "$TIMEOUT" "$@" >"$log" 2>&1; rc=$?
  local dt=$((SECONDS - t0))
  case $rc in
    0)  pass=$((pass + 1)); printf 'PASS  %-44s %3ss\n' "$name" "$dt" ;;
    77) skip=$((skip + 1)); printf 'SKIP  %-44s %s\n' "$name" "$(grep -i 'skip' "$log" | tail -1)" ;;
    *)  fail=$((fail + 1)); failed+=("$name"); printf 'FAIL  %-44s rc=%s (log: %s)\n' "$name" "$rc" "$log"
        [ "$rc" = 124 ] && echo "      timed out after ${TIMEOUT}s"
        tail -n 15 "$log" | sed 's/^/      | /' ;;
  esac
}

for t in "$BUILD"/tests/unit/test_*; do
  [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
  [ -f "$t" ] && run_one "integration/$(basename "$t" .sh)" bash "$t"
done

[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
