# pvmon's tracepoints under a real LTTng session: a domain's hypercalls,
# VM exits, scheduler decisions and domain life appear in the CTF trace,
# and the hypercall entry count equals pvmon's own count; a hostile guest's
# rejected arguments appear as hcall_reject events.
set -u
. tests/lib.sh
. tracing/lttng-session.sh
trap 'pv_trace_stop >/dev/null; rm -rf "$TMP"' EXIT
need_kvm
command -v lttng >/dev/null || skip "lttng is not installed (make deps)"
command -v babeltrace2 >/dev/null || skip "babeltrace2 is not installed (make deps)"

a=$(domcfg tr "prog=evtchn")
b=$(domcfg hostile "prog=hostile")
pv_trace_start "$TMP/trace" 'pvmon:*' || die "could not start an LTTng session"
# This pvmon alone: it waits on a fifo until the session tracks its pid
# (other tests' pvmons on the host would add their domains' events).
mkfifo "$TMP/go"
( read -r _ < "$TMP/go"; exec $PVMON --stats run "$a" "$b" ) >"$TMP/out" 2>&1 & pid=$!
pv_trace_only $pid || { echo go > "$TMP/go"; die "could not track pvmon's pid alone"; }
echo go > "$TMP/go"
wait $pid || { cat "$TMP/out"; die "pvmon run failed"; }
pv_trace_stop >"$TMP/stop.out"
cat "$TMP/out"
grep -q "lost events" "$TMP/stop.out" && die "$(cat "$TMP/stop.out")"
babeltrace2 "$TMP/trace" >"$TMP/trace.txt" 2>"$TMP/bt.err" || die "babeltrace2: $(head -3 "$TMP/bt.err")"

for ev in hcall_entry hcall_exit hcall_reject vm_exit sched_switch sched_wake evtchn_send domain_create domain_destroy; do
  n=$(grep -c "pvmon:$ev:" "$TMP/trace.txt")
  echo "pvmon:$ev $n"
  [ "$n" -gt 0 ] || die "no pvmon:$ev events"
done
# Every served hypercall of domain 1 has an entry and an exit event.
for d in "1 tr" "2 hostile"; do
  set -- $d
  want=$(sed -n "s/.*domain $2 ($1) .* hypercalls \([0-9]*\) .*/\1/p" "$TMP/out")
  entries=$(grep "pvmon:hcall_entry:" "$TMP/trace.txt" | grep -c "dom = $1,")
  exits=$(grep "pvmon:hcall_exit:" "$TMP/trace.txt" | grep -c "dom = $1,")
  echo "domain $1: pvmon counted $want hypercalls; trace has $entries entries, $exits exits"
  [ "$entries" = "$want" ] && [ "$exits" = "$want" ] || die "domain $1: trace counts differ from pvmon's"
done
grep "pvmon:hcall_exit:" "$TMP/trace.txt" | grep -q "latency_ns = [1-9]" || die "no hypercall latency recorded"
grep -q 'pvmon:hcall_reject: .*what = "port"' "$TMP/trace.txt" || die "no rejected port traced"
grep -q 'pvmon:hcall_reject: .*what = "pointer"' "$TMP/trace.txt" || die "no rejected pointer traced"
grep -q 'pvmon:domain_create: .*name = "hostile"' "$TMP/trace.txt" || die "domain_create lacks the name"
echo PASS
