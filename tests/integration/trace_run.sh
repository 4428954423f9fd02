# pvmon run --trace DIR records a whole run through liblttng-ctl: the trace
# holds the run's events, the lost-event count is reported, and
# --trace-events narrows the groups; bad groups are refused up front.
. tests/lib.sh
need_kvm
command -v lttng-sessiond >/dev/null || skip "LTTng is not installed (make deps)"
command -v babeltrace2 >/dev/null || skip "babeltrace2 is not installed (make deps)"
cfg=$(domcfg traced "prog=evtchn")
$PVMON --stats --trace "$TMP/all" run "$cfg" >"$TMP/out" 2>&1 || { cat "$TMP/out"; die "pvmon run --trace failed"; }
cat "$TMP/out"
grep -q "pvmon: trace written to $TMP/all: 0 events lost" "$TMP/out" || die "no trace report line"
babeltrace2 "$TMP/all" > "$TMP/all.txt" || die "babeltrace2 cannot read the trace"
want=$(sed -n 's/.* hypercalls \([0-9]*\) .*/\1/p' "$TMP/out")
got=$(grep -c "pvmon:hcall_entry:" "$TMP/all.txt")
[ "$got" = "$want" ] || die "trace has $got hypercall entries, pvmon counted $want"
for ev in sched_switch vm_exit domain_create domain_destroy evtchn_send; do
  grep -q "pvmon:$ev:" "$TMP/all.txt" || die "no pvmon:$ev in the full trace"
done
$PVMON --trace "$TMP/some" --trace-events hypercall run "$cfg" >/dev/null 2>&1 || die "run with --trace-events failed"
babeltrace2 "$TMP/some" > "$TMP/some.txt" || die "babeltrace2 cannot read the narrowed trace"
grep -q "pvmon:hcall_exit:" "$TMP/some.txt" || die "narrowed trace lacks hypercalls"
grep -q "pvmon:sched_switch:" "$TMP/some.txt" && die "narrowed trace has scheduler events"
$PVMON --trace-events bogus run "$cfg" 2>"$TMP/err"; [ $? -eq 2 ] || die "bad group: status not 2"
grep -q "unknown event group 'bogus'" "$TMP/err" || die "bad group: $(cat "$TMP/err")"
echo PASS
