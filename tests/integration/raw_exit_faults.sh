# A raw exit that cannot be measured fails the command with one line; it
# never enters a median. tests/fault/libfailvm.so makes the Nth
# KVM_CREATE_VM of pvbench fail (1: bench_kvm_init's; then one per raw
# exit loop, and fastpath's probe): lmbench's 2nd and 3rd raw exits,
# hcall's and fastpath's of the 2nd repetition.
. tests/lib.sh
need_kvm
SHIM=$BUILD/tests/fault/libfailvm.so
[ -f "$SHIM" ] || die "$SHIM is not built"
# the shim is not sanitized: an ASan build must not insist on coming first
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
fails() {  # fails N CMD...: the Nth VM fails; status 1, one line about the raw exit, no figures
  local n=$1; shift
  env LD_PRELOAD="$SHIM" PVLAB_FAIL_KVM_VM="$n" "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
  [ $rc = 1 ] || { cat "$TMP/out" "$TMP/err"; die "$* with VM $n failing: status $rc, not 1"; }
  grep -q "^pvbench: raw exit loop: KVM_CREATE_VM: Cannot allocate memory$" "$TMP/err" ||
    { cat "$TMP/err"; die "$* with VM $n failing: no line about the raw exit"; }
  [ ! -s "$TMP/out" ] || { cat "$TMP/out"; die "$* with VM $n failing: printed figures"; }
}
fails 3 $BIN/pvbench lmbench --quick --json --no-linux    # between the native/pv runs and mmubench
fails 4 $BIN/pvbench lmbench --quick --json --no-linux    # after mmubench
fails 3 $BIN/pvbench hcall --iters 200 --reps 2 --no-trace --json
fails 4 $BIN/pvbench fastpath --iters 200 --reps 2 --json
# and with nothing failing, the same commands give their figures
env LD_PRELOAD="$SHIM" PVLAB_FAIL_KVM_VM=0 $BIN/pvbench lmbench --quick --json --no-linux | grep -q '"raw_exit_ns": [1-9]' ||
  die "lmbench under the shim, nothing failing: no raw exit"
echo PASS
