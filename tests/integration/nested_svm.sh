# pvmon on an AMD-V (SVM) KVM host: scripts/nested-svm.sh boots an L1 VM
# under QEMU TCG with kvm_amd loaded and runs this same file there with
# --inside, which checks `pvmon info`, pvos guest runs, the fast path's
# tests (the VT-x/AMD-V entry stub) and the baseline's (fastpath_off.sh)
# against the L1's /dev/kvm. Skips (77) where the nested host cannot be made.
#
# kvm_amd runs with its defaults (nested paging on), as real hosts do:
# there the guest's page-table walks are writes for the nested page tables,
# so pvmon makes the pool slot writable and lets guest tables map pool
# frames read-only only (docs/architecture.md), and pvos refuses pt=trap.
# PVLAB_NESTED_KVM_AMD=npt=0 runs the same checks on shadow paging.
# timeout: 1500
# lane: 2 nokvm
. tests/lib.sh
. tests/nested/lib.sh
WHERE="under TCG"

inside() {
  in_l1 svm kvm_amd
  echo "L1 kvm_amd: npt=$(cat /sys/module/kvm_amd/parameters/npt) nested=$(cat /sys/module/kvm_amd/parameters/nested)"
  check_info svm kvm_amd npt
  hello_both
  # The fast path's own tests, as on PVM. What the emulated CPU itself does
  # not raise as hardware does (tcg_quirks shows it from an L1 process) is
  # left out of the trap self-test, and only that.
  emulated_quirks
  run_tests "on the svm fast path" fastpath_info fastpath_traps guest_programs mm hostile isolation
  grep -q "fast path in use: 1 (svm)" "$TMP/fastpath_traps.log" || die "fastpath_traps did not run on the svm fast path"
  # pvbench fastpath names the kind in use (it once said pvm for any)
  t0=$(date +%s)
  out=$($BIN/pvbench fastpath --iters 100 --reps 1 --json 2>&1) || die "pvbench fastpath failed: $out"
  echo "pvbench fastpath: $(( $(date +%s) - t0 )) s under TCG; $(echo "$out" | jq -c '{fast_path, raw_exit_ns}')"
  [ "$(echo "$out" | jq -r .fast_path)" = svm ] || die "pvbench fastpath --json does not say svm: $out"
  # The baseline, as on PVM: fastpath_off.sh runs its set with the fast
  # path forced off (there the `out` of a hypercall has not yet advanced
  # RIP at the exit: the case vcpu.c's pio_skip and pio_settle are for).
  local t0=$(date +%s)
  bash tests/integration/fastpath_off.sh > "$TMP/fastpath_off.log" 2>&1; rc=$?
  grep -E '^(ok|FAIL|skip) ' "$TMP/fastpath_off.log"
  echo "fastpath_off: status $rc in $(( $(date +%s) - t0 )) s under TCG"
  [ $rc = 0 ] || { tail -30 "$TMP/fastpath_off.log"; die "the baseline failed on svm"; }
  echo PASS
}
# Shadow paging (npt=0) keeps the read-only pool slot and trapped writes:
# mm.sh there runs pt=trap through SVM's MMIO exits and, forced, the
# nested-paging rule, which no other run here covers.
inside_shadow() {
  [ "${PVLAB_NESTED:-}" = svm ] || skip "--inside-shadow runs only on the nested SVM host"
  out=$($PVMON info 2>&1) || die "pvmon info failed: $out"
  echo "$out" | grep '^kvm: page tables: '
  echo "$out" | grep -q '^kvm: page tables: read-only pool slot (shadow paging)' ||
    die "npt=0: pvmon info does not say read-only pool slot (shadow paging)"
  local t0=$(date +%s)
  bash tests/integration/mm.sh > "$TMP/mm.log" 2>&1; rc=$?
  echo "mm (npt=0): status $rc in $(( $(date +%s) - t0 )) s under TCG"
  [ $rc = 0 ] || { tail -20 "$TMP/mm.log"; die "mm failed on shadow paging"; }
  grep -q "trapped writes [1-9]" "$TMP/mm.log" || die "npt=0: pt=trap did not trap its writes"
  # The hostile guests on shadow paging too, on the fast path and the baseline.
  local fp t
  emulated_quirks
  for fp in auto off; do
    for t in hostile isolation; do
      t0=$(date +%s)
      PVLAB_FAST_PATH=$fp bash tests/integration/$t.sh > "$TMP/$t-$fp.log" 2>&1; rc=$?
      echo "$t (npt=0, fast path $fp): status $rc in $(( $(date +%s) - t0 )) s under TCG"
      [ $rc = 0 ] || { tail -20 "$TMP/$t-$fp.log"; die "$t failed on shadow paging (fast path $fp)"; }
    done
  done
  echo PASS
}
[ "${1:-}" = --inside ] && { inside; exit; }
[ "${1:-}" = --inside-shadow ] && { inside_shadow; exit; }

NESTED=scripts/nested-svm.sh
$NESTED --smp 0 -- true >/dev/null 2>&1; [ $? = 2 ] || die "--smp 0 is not a usage error"
opts=(--timeout 420 --kvm-amd "${PVLAB_NESTED_KVM_AMD-}")
wrapper_interface $NESTED "${opts[@]}"

$NESTED "${opts[@]}" -- bash tests/integration/nested_svm.sh --inside | tee "$TMP/inside"
rc=${PIPESTATUS[0]}
[ $rc = 0 ] || die "the checks inside the L1 failed (status $rc)"
grep -q '^PASS$' "$TMP/inside" || die "the checks inside the L1 did not finish"
if [ -z "${PVLAB_NESTED_KVM_AMD-}" ]; then
  $NESTED --timeout 420 --kvm-amd npt=0 -- bash tests/integration/nested_svm.sh --inside-shadow | tee "$TMP/shadow"
  rc=${PIPESTATUS[0]}
  [ $rc = 0 ] && grep -q '^PASS$' "$TMP/shadow" || die "the npt=0 checks inside the L1 failed (status $rc)"
fi
echo PASS
