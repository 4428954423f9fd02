# pvbench fastpath runs end to end and reports every figure it promises
# (numbers only: speed is never a pass/fail test here).
. tests/lib.sh
need_kvm
command -v jq >/dev/null || skip "jq is not installed (make deps)"
out=$($BIN/pvbench fastpath --iters 200 --reps 1 --json 2>"$TMP/err") || { cat "$TMP/err"; die "pvbench fastpath failed"; }
echo "$out"
pos() { [ "$(echo "$out" | jq "$1 > 0")" = true ] || die "$1 is not a positive number"; }
for f in .raw_exit_ns .baseline.syscall_ns .baseline.hcall_ns .native.getppid_ns .native.first_touch_ns .native.sigsegv_ns; do
  pos $f
done
if [ "$(echo "$out" | jq -r .fast_path)" = pvm ]; then
  for f in .fast.syscall_ns .fast.user_pf_ns .fast.kernel_pf_ns .fast.demand_ns .fast.hcall_ns .probe.cr3_us; do
    pos $f
  done
fi
$BIN/pvbench fastpath --iters 5 >/dev/null 2>&1; [ $? = 2 ] || die "--iters 5 is not a usage error"
$BIN/pvbench fastpath | grep -q "^ratios (same run):" || die "the text report has no ratios"
echo PASS
