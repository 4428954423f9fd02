# pvctl trace start/stop around a daemon's domain: the CTF trace holds the
# domain's life and hypercalls, stop reports lost events, bad input is refused.
set -u
. tests/lib.sh
need_kvm
command -v lttng-sessiond >/dev/null || skip "LTTng is not installed (make deps)"
command -v babeltrace2 >/dev/null || skip "babeltrace2 is not installed (make deps)"
S=pvlab-test-$$
trap '$PVCTL trace stop --session $S >/dev/null 2>&1; kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; rm -rf "$TMP"' EXIT
$PVCTL trace start --session $S --output "$TMP/tr" --events hypercall,domain || die "trace start"
start_daemon
trap '$PVCTL trace stop --session $S >/dev/null 2>&1; kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; rm -rf "$TMP"' EXIT
$PVCTL create "$(domcfg traced "prog=hello")" || die "create"
for i in $(seq 50); do $PVCTL list | grep -q "traced .*shutdown" && break; sleep 0.1; done
$PVCTL trace stop --session $S | tee "$TMP/stop" || die "trace stop"
grep -q "events lost" "$TMP/stop" || die "stop did not report lost events"
babeltrace2 "$TMP/tr" > "$TMP/tr.txt" || die "babeltrace2 cannot read the trace"
grep -q 'pvmon:domain_create: .*name = "traced"' "$TMP/tr.txt" || die "no domain_create"
grep -q "pvmon:hcall_exit:" "$TMP/tr.txt" || die "no hypercalls"
grep -q "pvmon:sched_switch:" "$TMP/tr.txt" && die "sched events were not asked for"
$PVCTL trace start --events bogus 2>"$TMP/err"; [ $? -eq 2 ] || die "bad --events: status not 2"
$PVCTL trace stop --session nosuch-$$ 2>/dev/null && die "stop of an unknown session succeeded"
$PVCTL trace --help | grep -q "usage: pvctl" || die "trace --help"
echo PASS
