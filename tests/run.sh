#!/usr/bin/env bash
# Runs every pvlab test: unit test binaries (build/tests/unit/test_*) and
# integration scripts (tests/integration/*.sh). A test passes with exit 0,
# is skipped with exit 77 (it prints why), and fails otherwise.
# On a host without /dev/kvm the integration tests that need KVM (they call
# need_kvm) run together in the nested AMD-V host scripts/nested-svm.sh
# makes (one L1 boot for all of them), marked "(nested svm)"; they skip,
# with its reason, only where that host cannot be made.
# PVLAB_TESTS=WORDS runs only the tests whose names contain one of the
# comma- or space-separated words (PVLAB_TESTS=grant,netflip).
# Ends with the line "N passed, N failed, N skipped"; exits 1 on a failure.
set -u
BUILD=${1:-build}
export BUILD BIN="$BUILD/bin" PVLAB_ROOT="$(pwd)"
TIMEOUT=${PVLAB_TEST_TIMEOUT:-300}
filter=${PVLAB_TESTS:-}
pass=0 fail=0 skip=0 failed=()
logdir="$BUILD/test-logs"; mkdir -p "$logdir"

selected() {
  local w
  [ -z "$filter" ] && return 0
  for w in ${filter//,/ }; do [[ "$1" == *"$w"* ]] && return 0; done
  return 1
}

# tally RC NAME SECONDS LOG [NOTE]: count one result and print its line.
tally() {
  local rc=$1 name=$2 dt=$3 log=$4 note=${5:-}
  case $rc in
    0)  pass=$((pass + 1)); printf 'PASS  %-44s %3ss%s\n' "$name" "$dt" "$note" ;;
    77) skip=$((skip + 1)); printf 'SKIP  %-44s %s\n' "$name" "$(grep -i 'skip' "$log" | tail -1)" ;;
    *)  fail=$((fail + 1)); failed+=("$name"); printf 'FAIL  %-44s rc=%s (log: %s)%s\n' "$name" "$rc" "$log" "$note"
        [ "$rc" = 124 ] && echo "      timed out after ${TIMEOUT}s"
        tail -n 15 "$log" | sed 's/^/      | /' ;;
  esac
}

# run_one NAME CMD...: a script may ask for more time than TIMEOUT with a
# line "# timeout: SECONDS" (the nested hosts boot under emulation).
run_one() {
  local name=$1; shift
  selected "$name" || return 0
  local log="$logdir/$(echo "$name" | tr '/' '_').log" t0=$SECONDS rc limit=$TIMEOUT own
  own=$(sed -n 's/^# timeout: \([0-9][0-9]*\)$/\1/p' "${@: -1}" 2>/dev/null | head -1)
  [ -n "$own" ] && [ "$own" -gt "$limit" ] && limit=$own
  timeout -k 10 "$limit" "$@" >"$log" 2>&1; rc=$?
  TIMEOUT=$limit tally $rc "$name" $((SECONDS - t0)) "$log"
}

# Inside the nested host (PVLAB_NESTED=svm, from run_nested below): the
# emulated CPU's quirks go to every test (fastpath_traps leaves those
# raisers out, isolation.sh accepts TCG's error code).
if [ "${PVLAB_NESTED:-}" = svm ] && [ -n "${PVLAB_NESTED_TESTS:-}" ]; then
  q=$("$BUILD/tests/nested/tcg_quirks" 2>&1) || { echo "$q"; echo "tcg_quirks failed"; exit 1; }
  echo "$q" | sed 's/^/L1 CPU: /'
  export PVLAB_TRAPS_SKIP=$(echo "$q" | awk '$2 == "differs:" { printf "%s%s", sep, $1; sep = "," }')
  for t in $PVLAB_NESTED_TESTS; do
    run_one "integration/$t" bash "tests/integration/$t.sh"
  done
  echo "$pass passed, $fail failed, $skip skipped"
  exit 0
fi

# The KVM tests of a host without /dev/kvm, in one L1 boot: each result
# line comes back and is counted here; the L1's logs land in $logdir.
run_nested() {
  local names=("$@") log="$logdir/nested-svm.log" t0=$SECONDS rc n=${#names[@]}
  echo "no /dev/kvm here: the tests that need KVM ($n) run in the nested AMD-V host (scripts/nested-svm.sh)"
  scripts/nested-svm.sh --timeout $((300 + n * 120)) --mem "${PVLAB_NESTED_MEM:-3072}" --smp "${PVLAB_NESTED_SMP:-1}" \
    --env "PVLAB_NESTED_TESTS=${names[*]}" --env "PVLAB_TEST_TIMEOUT=$((TIMEOUT * 2))" \
    -- tests/run.sh "$BUILD" >"$log" 2>&1; rc=$?
  if [ $rc = 77 ] || ! grep -q '^[0-9]* passed, [0-9]* failed, [0-9]* skipped$' "$log"; then
    local why; why=$(grep -m1 'SKIP' "$log" || tail -1 "$log")
    [ $rc = 77 ] || why="the nested host failed (status $rc): $why"
    for t in "${names[@]}"; do
      if [ $rc = 77 ]; then tally 77 "integration/$t" 0 "$log"
      else tally "$rc" "integration/$t" 0 "$log" " (nested svm)"; fi
    done
    return
  fi
  grep '^L1 CPU: ' "$log"
  local line result name dt
  while read -r line; do
    read -r result name dt _ <<<"$line"
    case $result in
      PASS) tally 0 "$name" "${dt%s}" "$log" " (nested svm)" ;;
      SKIP) skip=$((skip + 1)); echo "$line" ;;
      FAIL) tally 1 "$name" 0 "$logdir/$(echo "$name" | tr '/' '_').log" " (nested svm)" ;;
    esac
  done < <(grep -E '^(PASS|FAIL|SKIP) ' "$log")
  echo "nested AMD-V host: $n tests in $((SECONDS - t0)) s"
}

# Lane 2: a script with the line "# lane: 2" spends its time in a nested
# host of its own, one emulated CPU that keeps one core busy; these run one
# after another beside all the others (2 cores: about half the wall time).
# Their result lines come at the end. Without /dev/kvm a lane-2 script that
# needs KVM goes with the nested group instead, and "# lane: 2 nokvm" ones
# join lane 2 (there the nested group fills the first lane).
in_group() { [ ! -c /dev/kvm ] && [ "$1" != nested_svm ] && grep -q '^need_kvm' "tests/integration/$1.sh"; }
lane2=()
for t in tests/integration/*.sh; do
  name=$(basename "$t" .sh)
  { grep -q '^# lane: 2$' "$t" || { [ ! -c /dev/kvm ] && grep -q '^# lane: 2 nokvm$' "$t"; }; } &&
    ! in_group "$name" && selected "integration/$name" && lane2+=("$name")
done
lane2_out="$logdir/lane2.out"
if [ ${#lane2[@]} -gt 0 ]; then
  ( pass=0 fail=0 skip=0 failed=()
    for name in "${lane2[@]}"; do run_one "integration/$name" bash "tests/integration/$name.sh"; done
    echo "lane2: $pass $fail $skip ${failed[*]}" ) >"$lane2_out" 2>&1 &
  lane2_pid=$!
  echo "lane 2 (beside the others, results at the end): ${lane2[*]}"
fi

for t in "$BUILD"/tests/unit/test_*; do
  [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
nested=()
for t in tests/integration/*.sh; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .sh)
  [[ " ${lane2[*]} " == *" $name "* ]] && continue
  if in_group "$name"; then
    selected "integration/$name" && nested+=("$name")
    continue
  fi
  run_one "integration/$name" bash "$t"
done
[ ${#nested[@]} -gt 0 ] && run_nested "${nested[@]}"

if [ ${#lane2[@]} -gt 0 ]; then
  t0=$SECONDS
  wait "$lane2_pid"
  echo "lane 2 ($((SECONDS - t0)) s after the others):"
  grep -v '^lane2: ' "$lane2_out"
  read -r _ p f s names < <(grep '^lane2: ' "$lane2_out" || echo "lane2: 0 1 0 lane-2")
  pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
  [ -n "$names" ] && failed+=($names)
fi

[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
