#!/usr/bin/env bash
# The LTTng provider end to end: `test_trace --emit N` under a 'pvmon:*'
# session must leave exactly N records of every pvmon event, none lost, with
# the field values it sent (see emit_all in tests/unit/test_trace.c).
set -u
. tests/lib.sh
. tracing/lttng-session.sh
trap 'pv_trace_stop >/dev/null; rm -rf "$TMP"' EXIT

command -v lttng >/dev/null || skip "lttng is not installed (make deps)"
command -v babeltrace2 >/dev/null || skip "babeltrace2 is not installed (make deps)"
EMIT=$BUILD/tests/unit/test_trace TP=$BUILD/lib/libpvmon-tp.so
[ -x "$EMIT" ] || die "$EMIT is missing; run make first"
[ -f "$TP" ] || die "$TP is missing; run make first"
N=1000
EVENTS="hcall_entry hcall_exit hcall_reject sched_switch sched_wake evtchn_send
        vm_exit domain_create domain_destroy tlb_flush mmu_update page_flip
        xen_hcall_entry xen_hcall_exit xen_ptwr xen_bounce xen_emulate"

pv_trace_start "$TMP/trace" 'pvmon:*' || die "could not start an LTTng session"
PVLAB_TP_LIB=$TP PVLAB_TRACE_VERBOSE=1 "$EMIT" --emit "$N" >"$TMP/emit.out" 2>&1 ||
  die "test_trace --emit failed: $(cat "$TMP/emit.out")"
pv_trace_stop >"$TMP/stop.out"
cat "$TMP/emit.out"
grep -q "lost events" "$TMP/stop.out" && die "$(cat "$TMP/stop.out") (raise PV_TRACE_SUBBUF_SIZE)"

grep -qx "hcall_enabled 1" "$TMP/emit.out" || die "trace_hcall_enabled() was false under a pvmon:* session"
emitted=$(sed -n 's/^emitted \([0-9]*\)$/\1/p' "$TMP/emit.out")
[ "$emitted" = "$N" ] || die "test_trace said it emitted '$emitted', expected $N"

babeltrace2 "$TMP/trace" >"$TMP/trace.txt" 2>"$TMP/bt.err" ||
  die "babeltrace2 could not read the trace: $(head -5 "$TMP/bt.err")"
for ev in $EVENTS; do
  got=$(grep -c "pvmon:$ev:" "$TMP/trace.txt")
  [ "$got" = "$emitted" ] || die "pvmon:$ev: $got records in the trace, $emitted emitted"
done
echo "all $(echo $EVENTS | wc -w) events: $emitted records each"

# Field names and values, as pvtrace will read them.
expect() {
  grep -q -F -- "$1" "$TMP/trace.txt" || die "no record contains: $1"
}
expect 'pvmon:hcall_entry: { cpu_id = '
# Hypercall numbers are an enumeration named from the ABI's list.
expect '{ dom = 7, vcpu = 3, nr = ( "console_io" : container = 0 ), a0 = 4096, a1 = 2, a2 = 3, a3 = 4, a4 = 18446744073709551615 }'
expect '{ dom = 7, vcpu = 3, nr = ( <unknown> : container = 999 ), result = -22, latency_ns = 2499 }'
expect '{ dom = 7, vcpu = 3, nr = ( "set_callbacks" : container = 5 ), what = "pointer", value = 3735928559, err = -14 }'
expect '{ dom = 7, vcpu = 3, nr = ( "grant_table_op" : container = 15 ), '
expect '{ cpu = 1, prev_dom = 7, prev_vcpu = 3, next_dom = -1, next_vcpu = -1, reason = "block", slice_ns = 30000000 }'
expect '{ dom = 7, vcpu = 3, why = "event" }'
expect '{ dom = 7, port = 5, remote_dom = 8, remote_port = 6 }'
expect '{ dom = 7, vcpu = 3, kvm_reason = 2, rip = 131073 }'
expect '{ dom = 7, name = "dom-test", mem_mib = 16, vcpus = 2 }'
expect '{ dom = 7, exit_code = -1, crashed = 1 }'
expect '{ dom = 7, vcpu = 3, kind = "all", addr = 0 }'
expect '{ dom = 7, vcpu = 3, size = 2048, applied = 2047, rejected = 1, latency_ns = 90000 }'
expect '{ dom = 7, remote_dom = 8, gfn = 291, remote_gfn = 1110 }'
# Xen's numbers have their own enumeration (libxen-dev's names): 3 is stack_switch there.
expect 'pvmon:xen_hcall_entry: { cpu_id = '
expect '{ dom = 7, vcpu = 3, nr = ( "stack_switch" : container = 3 ), a0 = 4096, a1 = 2, a2 = 3, a3 = 4, a4 = 18446744073709551615 }'
expect '{ dom = 7, vcpu = 3, nr = ( "stack_switch" : container = 3 ), result = -38, latency_ns = 700 }'
expect '{ dom = 7, vcpu = 3, va = 0xFFFF888000123008, maddr = 0x4A85008, old = 0x8000000000123067, new = 0x8000000000123065, rip = 0xFFFFFFFF81071234, err = -22 }'
expect '{ dom = 7, vcpu = 3, vector = 14, rip = 0x401000, handler = 0xFFFFFFFF81E00B90, what = "exception #PF" }'
expect '{ dom = 7, vcpu = 3, rip = 0xFFFFFFFF81001234, what = "rdmsr", value = 0xC0000080 }'
echo "PASS: field values as emitted"
