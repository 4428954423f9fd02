# Tracing overhead (issue 6, item 6): pvbench hcall measures the null
# hypercall with no LTTng session, with a session on other events only and
# with hypercall events on, in one run, and reports each with its ratio to
# no session (text and --json). Numbers only: speed is never pass/fail.
set -u
. tests/lib.sh
need_kvm
command -v lttng-sessiond >/dev/null || skip "LTTng is not installed (make deps)"
command -v jq >/dev/null || skip "jq is not installed (make deps)"
out=$($BIN/pvbench hcall --iters 300 --reps 1 --json) || die "pvbench hcall --json failed"
echo "$out"
for k in null_hcall_ns null_hcall_other_events_ns null_hcall_traced_ns ratio_other_events_vs_untraced \
         ratio_traced_vs_untraced; do
  echo "$out" | jq -e ".$k > 0" >/dev/null || die "$k missing or not positive"
done
echo "$out" | jq -e '.trace_events_lost >= 0' >/dev/null || die "trace_events_lost missing"
r=$(echo "$out" | jq '(.null_hcall_traced_ns / .null_hcall_ns * 1000 | round) - (.ratio_traced_vs_untraced * 1000 | round)')
[ "${r#-}" -le 1 ] || die "ratio_traced_vs_untraced is not null_hcall_traced_ns / null_hcall_ns"
txt=$($BIN/pvbench hcall --iters 300 --reps 1) || die "pvbench hcall failed"
echo "$txt"
echo "$txt" | grep -q "no LTTng session .* ns" || die "no untraced line"
echo "$txt" | grep -q "with a session on other events .* ratio to no session [0-9.]*" || die "no other-events line"
echo "$txt" | grep -q "with a session on hypercall events .* ratio to no session [0-9.]*" || die "no hypercall-events line"
$BIN/pvbench hcall --iters 300 --reps 1 --no-trace | grep -q "on other events .*skipped (--no-trace)" ||
  die "--no-trace does not say the traced runs were skipped"
echo PASS
