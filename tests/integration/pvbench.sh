# pvbench hcall and cpu run end to end and reports every figure (no timing limits:
# speed is for the benchmark's ratios, not for tests).
. tests/lib.sh
need_kvm
PVBENCH=$BIN/pvbench
$PVBENCH --help | grep -q "usage: pvbench" || die "--help"
$PVBENCH nosuch 2>/dev/null; [ $? -eq 2 ] || die "unknown command: status not 2"
$PVBENCH hcall --iters 5 2>/dev/null; [ $? -eq 2 ] || die "--iters 5 accepted"
out=$($PVBENCH hcall --iters 200 --reps 1 --json) || die "pvbench hcall failed"
echo "$out"
for k in raw_exit_ns null_hcall_ns ratio_null_vs_raw ratio_batch16_vs_1 ratio_batch256_vs_1 boot_ms; do
  v=$(echo "$out" | sed -n "s/.*\"$k\": \([0-9.]*\).*/\1/p")
  awk -v v="$v" 'BEGIN { exit !(v > 0) }' || die "$k missing or not positive: '$v'"
done
# States never measured (--no-trace) are null, not a 0 that reads as a figure.
out=$($PVBENCH hcall --iters 200 --reps 1 --no-trace --json) || die "pvbench hcall --no-trace failed"
echo "$out"
for k in null_hcall_other_events_ns null_hcall_traced_ns ratio_other_events_vs_untraced ratio_traced_vs_untraced \
         trace_events_lost; do
  echo "$out" | grep -q "\"$k\": null[,}]" || die "--no-trace: $k is not null"
done
# Batching must amortise the exit: 256 calls in one multicall cost less per call than one.
r=$(echo "$out" | sed -n 's/.*"ratio_batch256_vs_1": \([0-9.]*\).*/\1/p')
awk -v r="$r" 'BEGIN { exit !(r < 1) }' || die "multicall batch 256 is not cheaper per call than batch 1 ($r)"
# pvbench cpu: native and pvos run the same kernels with the same checked results.
out=$($PVBENCH cpu --reps 1) || die "pvbench cpu failed"
echo "$out"
for k in sieve fib crc sort interp indirect; do
  echo "$out" | grep -q "^  $k " || die "pvbench cpu lacks $k"
done
echo "$out" | grep -q "geometric mean native/pvos [0-9.]*" || die "no geometric mean"
echo PASS
