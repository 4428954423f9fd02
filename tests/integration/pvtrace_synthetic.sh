# pvtrace on traces of known content, no KVM needed: pvtrace-gen (a test
# program firing pvmon's tracepoints with fixed values, including the TLB,
# page-flip and mmu_update events) is recorded by `pvctl trace start --pid`,
# and every count pvtrace reports must be exactly what it sent: summary
# (text and --json), histogram bucket sums, export row counts (CSV and
# SQLite), the timeline, the events the tracer lost, bad directories; and
# a Linux PV domain's events beside a pvos domain's (pvtrace-gen xen):
# Xen's hypercall 3 apart from pvlab's 3, xen_ptwr, xen_bounce, flushes.
set -u
. tests/lib.sh
command -v lttng-sessiond >/dev/null || skip "LTTng is not installed (make deps)"
command -v jq >/dev/null || skip "jq is not installed (make deps)"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed (make deps)"
PVTRACE=$BIN/pvtrace GEN=$BUILD/tests/pvtrace-gen
trap '[ -n "${PV_GEN_SESSION:-}" ] && $PVCTL trace stop --session $PV_GEN_SESSION >/dev/null 2>&1; rm -rf "$TMP"' EXIT

# The generator's output, its pid-only session's stop line (lttng-session.sh).
. tracing/lttng-session.sh
export PV_GEN_OUT=$TMP/gen.out
record() { local mode=$1 n=$2 dir=$3; shift 3; pv_gen_record "$dir" "$mode" "$n" "$@" || die "recording pvtrace-gen $mode $n failed"; }
expect() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$TMP/gen.out" | head -1; }
eq() { [ "$1" = "$2" ] || die "$3: pvtrace says '$1', expected '$2'"; }
q() { jq -r "$1" "$J"; }

# ---- summary ---------------------------------------------------------------
record mix 400 "$TMP/mix"
cat "$TMP/gen.out"
J=$TMP/mix.json
$PVTRACE summary --json "$TMP/mix" > "$J" || die "summary --json failed"
$PVTRACE summary "$TMP/mix" > "$TMP/mix.txt" || die "summary failed"
cat "$TMP/mix.txt"
eq "$(q .events)" "$(expect events)" "events"
eq "$(q .events_lost)" 0 "events lost"
eq "$(q '.hypercalls[] | select(.name=="null") | .count')" "$(expect null)" "null count"
eq "$(q '.hypercalls[] | select(.name=="null") | .max_ns')" "$(expect null_max)" "null max"
eq "$(q '.hypercalls[] | select(.name=="sched_op") | "\(.count) \(.errors) \(.rejects) \(.p50_ns)"')" \
   "$(expect sched_op) $(expect errors) $(expect rejects) $(expect sched_op_p50)" "sched_op count/errors/rejects/p50"
eq "$(q '.hypercalls[] | select(.name=="mmu_update") | .count')" "$(expect mmu_update)" "mmu_update calls"
eq "$(q '.tlb_flushes | "\(.total) \(.by_kind.local) \(.by_kind.all) \(.by_kind.page)"')" \
   "$(expect tlb) $(expect tlb_local) $(expect tlb_all) $(expect tlb_page)" "TLB flushes by kind"
eq "$(q .page_flips)" "$(expect page_flips)" "page flips"
eq "$(q '.mmu_update | "\(.batches) \(.entries) \(.applied) \(.rejected)"')" \
   "$(expect mmu_batches) $(expect mmu_entries) $(expect mmu_applied) $(expect mmu_rejected)" "mmu_update batches"
eq "$(q '.vm_exits[] | select(.reason=="io") | .count')" "$(expect vm_exits)" "VM exits (io)"
eq "$(q '.domains[] | select(.name=="gen-b") | "\(.blocks) \(.wakes) \(.crashed) \(.exit_code) \(.page_flips_in)"')" \
   "$(expect blocks_b) $(expect wakes_b) true 3 $(expect page_flips)" "gen-b blocks/wakes/end/flips"
blocked=$(q '.domains[] | select(.name=="gen-b") | .blocked_ns')
[ "$blocked" -ge "$(expect min_blocked_b_ns)" ] || die "gen-b blocked ${blocked} ns, slept at least $(expect min_blocked_b_ns)"
grep -q "TLB flushes: $(expect tlb) (local $(expect tlb_local)" "$TMP/mix.txt" || die "text summary: TLB line"
grep -q "^page flips: $(expect page_flips)$" "$TMP/mix.txt" || die "text summary: page flips line"

# ---- hist: the buckets add up to the summary's counts ------------------------
for h in null sched_op mmu_update all; do
  $PVTRACE hist "$TMP/mix" --hypercall $h --csv > "$TMP/h.csv" || die "hist $h"
  head -1 "$TMP/h.csv" | grep -qx "lo_ns,hi_ns,count" || die "hist $h: no CSV header"
  sum=$(awk -F, 'NR > 1 { s += $3 } END { print s + 0 }' "$TMP/h.csv")
  want=$(q "[.hypercalls[] | select(\"$h\" == \"all\" or .name == \"$h\") | .count] | add")
  eq "$sum" "$want" "hist $h bucket sum"
done
$PVTRACE hist "$TMP/mix" --hypercall null | grep -q "$(expect null) calls" || die "hist text: no call count"
$PVTRACE hist "$TMP/mix" --hypercall nosuch 2>/dev/null; [ $? -eq 2 ] || die "hist of an unknown hypercall: status not 2"
$PVTRACE hist "$TMP/mix" 2>/dev/null; [ $? -eq 2 ] || die "hist without --hypercall: status not 2"

# ---- export: one row per event ---------------------------------------------
$PVTRACE export "$TMP/mix" --csv "$TMP/mix.csv" 2>/dev/null || die "export --csv"
eq "$(($(wc -l < "$TMP/mix.csv") - 1))" "$(q .events)" "CSV rows"
$PVTRACE export "$TMP/mix" --sqlite "$TMP/mix.db" 2>/dev/null || die "export --sqlite"
eq "$(sqlite3 "$TMP/mix.db" 'SELECT count(*) FROM events')" "$(q .events)" "SQLite rows"
sqlite3 -separator ' ' "$TMP/mix.db" 'SELECT event, count(*) FROM events GROUP BY event ORDER BY event' > "$TMP/by_event.db"
q '.event_counts | to_entries | sort_by(.key) | .[] | "\(.key) \(.value)"' > "$TMP/by_event.json"
cmp -s "$TMP/by_event.db" "$TMP/by_event.json" || die "per-event rows differ: $(diff "$TMP/by_event.db" "$TMP/by_event.json")"
eq "$(sqlite3 "$TMP/mix.db" "SELECT count(*) FROM events WHERE hcall = 'null' AND event = 'pvmon:hcall_exit'")" \
   "$(expect null)" "SQLite null exits"
eq "$(sqlite3 "$TMP/mix.db" "SELECT count(*) FROM events WHERE event = 'pvmon:tlb_flush' AND kind = 'local'")" \
   "$(expect tlb_local)" "SQLite local TLB flushes"
eq "$(sqlite3 "$TMP/mix.db" "SELECT value FROM trace_info WHERE key = 'events'")" "$(q .events)" "trace_info events"
$PVTRACE export "$TMP/mix" 2>/dev/null; [ $? -eq 2 ] || die "export without a format: status not 2"

# ---- timeline: gen-b's intervals add up to its run time -----------------------
$PVTRACE timeline "$TMP/mix" > "$TMP/tl.csv" || die "timeline"
head -1 "$TMP/tl.csv" | grep -qx "cpu,dom,name,vcpu,start_ns,end_ns,duration_ns,in_reason,out_reason" || die "timeline header"
eq "$(awk -F, '$3 == "gen-b" { s += $7 } END { print s + 0 }' "$TMP/tl.csv")" \
   "$(q '.domains[] | select(.name=="gen-b") | .run_ns')" "timeline of gen-b vs its run time"
eq "$(awk -F, '$3 == "gen-b" && $9 == "block"' "$TMP/tl.csv" | wc -l)" "$(expect blocks_b)" "timeline block ends"

# ---- lost events: what the tracer discarded is reported, never hidden -----------
record bulk 400000 "$TMP/lossy" --subbuf-size 4096 --events hypercall,exit,domain
sent=$(sed -n 's/^sent \([0-9]*\) events$/\1/p' "$TMP/gen.out")
lost=$(sed -n 's/.*stopped: \([0-9]*\) events lost.*/\1/p' "$TMP/lossy.stop")
J=$TMP/lossy.json
$PVTRACE summary --json "$TMP/lossy" > "$J" || die "summary of the lossy trace"
echo "lossy run: sent $sent, recorded $(q .events), lost $lost (pvctl) / $(q .events_lost) (pvtrace)"
[ "$lost" -gt 0 ] || echo "note: the tracer kept up with 4 KiB sub-buffers this time; nothing was lost"
eq "$(q .events_lost)" "$lost" "events lost (pvtrace vs the tracer)"
eq "$(($(q .events) + lost))" "$sent" "recorded + lost"
$PVTRACE summary "$TMP/lossy" | grep -q "events lost $lost" || die "text summary hides the lost events"

# ---- throughput, beside babeltrace2 (printed, never a pass/fail) ---------------
$PVTRACE bench "$TMP/mix" --reps 1 | tee "$TMP/bench" || die "bench"
grep -q "pvtrace summary .* M events/s" "$TMP/bench" || die "bench printed no rate"

# ---- bad input --------------------------------------------------------------
mkdir "$TMP/empty"
out=$($PVTRACE summary "$TMP/empty" 2>&1); [ $? -eq 1 ] || die "empty directory: status not 1"
echo "$out" | grep -q "no CTF trace here" || die "empty directory: $out"
cp -r "$TMP/mix" "$TMP/cut"
stream=$(find "$TMP/cut" -name 'pvmon_*' -type f -size +0 | head -1)
truncate -s 1000 "$stream"
out=$(timeout 20 $PVTRACE summary "$TMP/cut" 2>&1); [ $? -eq 1 ] || die "truncated stream: status not 1: $out"
echo "$out" | grep -qF "$stream: truncated" || die "truncated stream not named: $out"
cp -r "$TMP/mix" "$TMP/cutmeta"
meta=$(find "$TMP/cutmeta" -name metadata | head -1)
truncate -s 5000 "$meta"
out=$(timeout 20 $PVTRACE summary "$TMP/cutmeta" 2>&1); [ $? -eq 1 ] || die "truncated metadata: status not 1: $out"
echo "$out" | grep -qF "$meta: truncated" || die "truncated metadata not named: $out"
$PVTRACE summary 2>/dev/null; [ $? -eq 2 ] || die "summary without DIR: status not 2"
$PVTRACE frobnicate 2>/dev/null; [ $? -eq 2 ] || die "unknown command: status not 2"
for c in summary hist export timeline bench counters; do
  $PVTRACE $c --help | grep -q "^usage: pvtrace $c" || die "$c --help"
done

# ---- counters (libpvcounters end to end) ---------------------------------------
$PVTRACE counters -- sh -c 'exit 3' > "$TMP/cnt"; [ $? -eq 3 ] || die "counters: the command's status is not passed on"
cat "$TMP/cnt"
grep -qE "^pvtrace counters: (hardware events|no PMU .*software events)" "$TMP/cnt" || die "counters: no note on the PMU"
[ "$($PVTRACE counters --json -- true | jq '.counters | length')" -ge 4 ] || die "counters --json"
# ---- a Linux PV domain beside a pvos one: Xen's numbers apart from pvlab's ----
record xen 200 "$TMP/xen"
cat "$TMP/gen.out"
J=$TMP/xen.json
$PVTRACE summary --json "$TMP/xen" > "$J" || die "summary --json of the xen trace failed"
$PVTRACE summary "$TMP/xen" > "$TMP/xen.txt" || die "summary of the xen trace failed"
eq "$(q .events)" "$(expect events)" "xen: events"
eq "$(q '.hypercalls[] | select(.name=="xen:console_io") | "\(.abi) \(.nr) \(.count) \(.p50_ns)"')" \
   "xen 18 $(expect xen_console_io) 3000" "xen:console_io"
eq "$(q '.hypercalls[] | select(.name=="xen:mmu_update") | "\(.count) \(.errors)"')" \
   "$(expect xen_mmu_update) $(expect xen_mmu_update)" "xen:mmu_update count/errors"
# Number 3 in both ABIs: Xen's stack_switch and pvlab's event_channel_op, never added up.
eq "$(q '.hypercalls[] | select(.name=="xen:stack_switch") | "\(.abi) \(.nr) \(.count) \(.max_ns)"')" \
   "xen 3 $(expect xen_stack_switch) 700" "xen:stack_switch"
eq "$(q '.hypercalls[] | select(.name=="event_channel_op") | "\(.abi) \(.nr) \(.count) \(.max_ns)"')" \
   "pvlab 3 $(expect pv_evtchn) 500" "pvlab event_channel_op"
eq "$(q '.domains[] | select(.name=="gen-linux") | "\(.xen_ptwr) \(.xen_ptwr_refused) \(.xen_bounces) \(.xen_upcalls) \(.xen_syscalls) \(.xen_exceptions)"')" \
   "$(expect ptwr) $(expect ptwr_refused) $(expect bounces) $(expect upcalls) $(expect syscalls) $(expect exceptions)" \
   "gen-linux ptwr/bounces"
eq "$(q '.domains[] | select(.name=="gen-linux") | "\(.tlb_flushes) \(.tlb_by_kind.multi) \(.tlb_by_kind.invlpg_multi) \(.crashed)"')" \
   "$(expect tlb) $(expect tlb_multi) $(expect tlb_invlpg_multi) true" "gen-linux TLB flushes"
eq "$(q '.xen_ptwr | "\(.total) \(.refused)"')" "$(expect ptwr) $(expect ptwr_refused)" "xen_ptwr totals"
eq "$(q '.domains[] | select(.name=="gen-linux") | "\(.xen_emulated) \(.xen_emulated_by.cpuid) \(.xen_emulated_by.rdmsr)"')" \
   "$(expect emulated) $(expect emul_cpuid) $(expect emul_rdmsr)" "gen-linux emulated instructions"
grep -q "^  9    gen-linux *$(expect ptwr) *$(expect ptwr_refused) *$(expect bounces) " "$TMP/xen.txt" ||
  { cat "$TMP/xen.txt"; die "text summary: the Xen PV domains row"; }
$PVTRACE export "$TMP/xen" --sqlite "$TMP/xen.db" 2>/dev/null || die "export --sqlite of the xen trace failed"
eq "$(sqlite3 "$TMP/xen.db" "SELECT count(*) FROM events WHERE hcall = 'xen:stack_switch' AND event = 'pvmon:xen_hcall_exit'")" \
   "$(expect xen_stack_switch)" "export: xen:stack_switch rows"
eq "$(sqlite3 "$TMP/xen.db" "SELECT count(*) FROM events WHERE event = 'pvmon:xen_ptwr' AND err < 0")" \
   "$(expect ptwr_refused)" "export: refused xen_ptwr rows"
eq "$(sqlite3 "$TMP/xen.db" "SELECT name FROM hypercall_names WHERE nr = 4294967296 + 3")" "xen:stack_switch" \
   "export: Xen's names"
$PVTRACE hist "$TMP/xen" --hypercall xen:console_io --csv > "$TMP/xh.csv" || die "hist xen:console_io failed"
eq "$(tail -n +2 "$TMP/xh.csv" | awk -F, '{ s += $3 } END { print s }')" "$(expect xen_console_io)" "hist xen:console_io"
echo "PASS: a Linux PV domain's events (Xen's hypercalls apart from pvlab's, ptwr, bounces, flushes)"

echo PASS
