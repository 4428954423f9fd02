# What nested_svm.sh and nested_vmx.sh check alike (sourced after
# tests/lib.sh): the wrapper's interface from the host; inside the L1,
# `pvmon info`, hello both ways and integration tests with the emulated
# CPU's own quirks left out. WHERE ("under TCG", ...) ends each time line.

# wrapper_interface SCRIPT OPTION...: --help, usage errors, and a command's
# status, output and arguments through SCRIPT run with OPTIONs; exits 77
# where SCRIPT cannot make its host.
wrapper_interface() {
  local nested=$1 out rc; shift
  $nested --help | grep -q -- '--timeout S' || die "--help does not document --timeout"
  $nested >/dev/null 2>"$TMP/err"; rc=$?
  [ $rc = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] || { cat "$TMP/err"; die "no COMMAND: status $rc, expected 2 and one line"; }
  $nested --mem 0 -- true >/dev/null 2>&1; [ $? = 2 ] || die "--mem 0 is not a usage error"
  out=$($nested "$@" -- sh -c 'echo "[$1] [$2]"; exit 42' sh "a b" "c'd" 2>"$TMP/err"); rc=$?
  [ $rc = 77 ] && { echo "$out"; exit 77; }
  cat "$TMP/err"
  [ $rc = 42 ] || { echo "$out"; die "status 42 came back as $rc"; }
  [ "$out" = "[a b] [c'd]" ] || die "arguments or output mangled: '$out'"
  grep -q 'L1 up with kvm_[a-z]* in' "$TMP/err" || die "no L1 timing line"
}

# in_l1 KIND MODULE: skips outside the nested KIND host; fails where MODULE
# (its kvm module) is not loaded or /dev/kvm is missing.
in_l1() {
  [ "${PVLAB_NESTED:-}" = "$1" ] || skip "--inside runs only on the nested $1 host"
  [ -d "/sys/module/$2" ] || die "$2 is not loaded in the L1"
  [ -c /dev/kvm ] || die "no /dev/kvm in the L1"
}

# check_info KIND MODULE PAGING: `pvmon info` (printed, and kept in $info)
# sees the KIND back end, the pool slot that MODULE's PAGING parameter
# (npt, ept) calls for, and one "fast path: KIND (...)" line.
check_info() {
  local kind=$1 want
  info=$($PVMON info 2>&1) || die "pvmon info failed: $info"
  echo "$info"
  echo "$info" | grep -q "^kvm: backend $kind" || die "pvmon info does not see a $kind back end"
  case $(cat "/sys/module/$2/parameters/$3") in
    Y|1) want='writable pool slot, .* (nested paging)' ;;
    *)   want='read-only pool slot (shadow paging)' ;;
  esac
  echo "$info" | grep -q "^kvm: page tables: $want" || die "pvmon info: page tables not '$want'"
  [ "$(echo "$info" | grep -c '^fast path: ')" = 1 ] || die "pvmon info: not one 'fast path:' line"
  echo "$info" | grep -q "^fast path: $kind (" || die "the $kind fast path is not in use"
}

# hello_both: prog=hello with the fast path auto and off, its exit code
# and greeting, and how long each run took.
hello_both() {
  local fp cfg out rc t0 t1
  for fp in auto off; do
    cfg=$(domcfg "hello-$fp" "prog=hello exit=7")
    t0=$(date +%s%N)
    out=$($PVMON --fast-path "$fp" run "$cfg" 2>&1); rc=$?
    t1=$(date +%s%N)
    echo "$out"
    echo "pvmon run (fast path $fp): $(( (t1 - t0) / 1000000 )) ms $WHERE"
    [ $rc -eq 7 ] || die "fast path $fp: guest exit code 7 came back as $rc"
    echo "$out" | grep -q "^\[hello-$fp\] hello from pvos: domain 1" || die "fast path $fp: no greeting"
  done
}

# emulated_quirks: what the L1's emulated CPU raises unlike hardware
# (tests/nested/tcg_quirks, from a plain process there), as
# PVLAB_TRAPS_SKIP for the tests: the trap self-test leaves those raisers
# out, isolation.sh accepts the emulator's error code.
emulated_quirks() {
  local quirks
  quirks=$($BUILD/tests/nested/tcg_quirks) || die "tcg_quirks failed"
  echo "$quirks" | sed 's/^/  L1 CPU: /'
  export PVLAB_TRAPS_SKIP=$(echo "$quirks" | awk '$2 == "differs:" { printf "%s%s", sep, $1; sep = "," }')
}

# run_tests WHAT TEST...: tests/integration/TEST.sh each, its status and
# time; every one runs, then the failed ones' tails and a failure naming
# WHAT (e.g. "on the svm fast path").
run_tests() {
  local what=$1 t t0 rc failed=(); shift
  for t in "$@"; do
    t0=$(date +%s)
    bash tests/integration/$t.sh > "$TMP/$t.log" 2>&1; rc=$?
    echo "$t: status $rc in $(( $(date +%s) - t0 )) s $WHERE"
    [ $rc = 0 ] || failed+=("$t")
  done
  for t in "${failed[@]}"; do echo "== $t"; tail -20 "$TMP/$t.log"; done
  [ ${#failed[@]} = 0 ] || die "${failed[*]} failed $what"
}
