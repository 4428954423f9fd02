# pvbench fastpath runs end to end and reports every figure it promises
# (numbers only: speed is never a pass/fail test here).
. tests/lib.sh
need_kvm
command -v jq >/dev/null || skip "jq is not installed (make deps)"
out=$($BIN/pvbench fastpath --iters 200 --reps 3 --json 2>"$TMP/err") || { cat "$TMP/err"; die "pvbench fastpath failed"; }
echo "$out"
pos() { [ "$(echo "$out" | jq "$1 > 0")" = true ] || die "$1 is not a positive number"; }
for f in .raw_exit_ns .baseline.syscall_ns .baseline.hcall_ns .native.getppid_ns .native.first_touch_ns .native.sigsegv_ns; do
  pos $f
done
# the kind in use, as pvmon info names it (not "pvm" for any fast path)
kind=$($BIN/pvmon info 2>/dev/null | sed -n 's/^fast path: \([a-z]*\).*/\1/p')
[ "$(echo "$out" | jq -r .fast_path)" = "$kind" ] || die "fast_path is not '$kind', the kind pvmon info names"
if [ "$kind" != none ]; then
  for f in .fast.syscall_ns .fast.user_pf_ns .fast.kernel_pf_ns .fast.demand_ns .fast.hcall_ns .probe.cr3_us; do
    pos $f
  done
else
  [ "$(echo "$out" | jq '.fast.syscall_ns')" = null ] || die "no fast path, yet a fast-path figure that is not null"
fi
# every column measured in each repetition, and each figure its column's median
echo "$out" | jq -e '.reps_ns | to_entries | all(.value | length == 3)' >/dev/null ||
  die "not 3 values per figure in reps_ns"
for f in raw_exit_ns native.getppid_ns native.first_touch_ns native.sigsegv_ns baseline.syscall_ns; do
  m=$(echo "$out" | jq --arg f "$f" '.reps_ns[$f] | sort | .[1]')
  v=$(echo "$out" | jq ".$f")
  [ "$m" = "$v" ] || die "$f: $v is not the median of its repetitions ($(echo "$out" | jq -c --arg f "$f" '.reps_ns[$f]'))"
done
$BIN/pvbench fastpath --iters 5 >/dev/null 2>&1; [ $? = 2 ] || die "--iters 5 is not a usage error"
$BIN/pvbench fastpath | grep -q "^ratios (same run):" || die "the text report has no ratios"
echo PASS
