# A short bounded libFuzzer campaign on each fuzz target (make fuzz runs
# long ones), 15 s or 200000 inputs each: any inconsistency or memory error
# aborts and fails the test.
. tests/lib.sh
ls "$BUILD"/fuzz/fuzz_* >/dev/null 2>&1 || skip "no fuzz targets built (clang with libFuzzer missing?)"
for t in "$BUILD"/fuzz/fuzz_*; do
  corpus="$TMP/corpus-$(basename "$t")"; mkdir -p "$corpus"
  seeds="tests/fuzz/seeds/$(basename "$t" | sed 's/^fuzz_//')"
  [ -d "$seeds" ] && cp "$seeds"/* "$corpus"/
  "$t" -runs=200000 -max_total_time=${PVLAB_FUZZ_SECONDS:-15} -seed=1 -print_final_stats=1 "$corpus" \
    > "$TMP/fuzz.log" 2>&1 || { tail -40 "$TMP/fuzz.log"; die "$(basename "$t") found a failure"; }
  grep -E "stat::number_of_executed_units|Done" "$TMP/fuzz.log" | tail -2
done
echo PASS
