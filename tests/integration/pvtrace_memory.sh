# pvtrace on pvmon's real memory events: two domains exchange grants and
# flip a page (prog=grant) under `pvmon run --trace`; per domain, the
# trace's TLB flushes, applied mmu_update entries and page flips (given +
# received) must equal pvmon's own counters printed by --stats.
set -u
. tests/lib.sh
need_kvm
command -v lttng-sessiond >/dev/null || skip "LTTng is not installed (make deps)"
command -v jq >/dev/null || skip "jq is not installed (make deps)"
g=$(domcfg granter "prog=grant role=granter peer=2")
m=$(domcfg mapper "prog=grant role=mapper peer=1")
for try in 1 2 3; do
  rm -rf "$TMP/tr"
  $BIN/pvmon --stats --trace "$TMP/tr" --trace-events tlb,pageflip,domain run "$g" "$m" > "$TMP/out" 2>&1 & pid=$!
  wait $pid || { cat "$TMP/out"; die "pvmon run --trace failed"; }
  $BIN/pvtrace summary --json --pid $pid "$TMP/tr" > "$TMP/s.json" || die "pvtrace summary failed"
  [ "$(jq .events_lost "$TMP/s.json")" = 0 ] && break
  [ $try = 3 ] && skip "the tracer lost events in 3 runs (a busy host)"
done
cat "$TMP/out"
$BIN/pvtrace summary --pid $pid "$TMP/tr" | sed -n '/^TLB flushes/,$p'
grep -q "mm: .* tlb flushes [0-9]* .* page flips [0-9]*" "$TMP/out" ||
  skip "pvmon --stats does not print the mm counters this test compares with"
for d in granter mapper; do
  line=$(grep "pvmon: domain $d " "$TMP/out")
  pstat() { echo "$line" | sed -n "s/.* $1 \([0-9]*\).*/\1/p"; }
  got=$(jq -r ".domains[] | select(.name == \"$d\") | \"\(.tlb_flushes) \(.mmu_applied) \(.page_flips + .page_flips_in)\"" "$TMP/s.json")
  want="$(pstat "tlb flushes") $(pstat updates) $(pstat "page flips")"
  echo "$d: trace (tlb, mmu entries, flips) = $got; pvmon = $want"
  [ "$got" = "$want" ] || die "$d: the trace counts $got, pvmon $want"
done
[ "$(jq .page_flips "$TMP/s.json")" -ge 1 ] || die "no page flip traced"
echo PASS
