# A hostile Xen PV guest of our own (tests/xenpv/hostile_xen.c) against
# pvmon's Xen mode: bad pointers, page-table entries that would make a
# table writable or name frames outside RAM or pvmon's slots, bad pins and
# base pointers, descriptors, trap and callback addresses, batches, the
# balloon's reservations, event ports and vCPUs, a blkfront's and a
# netfront's rings (xen_blkback.c, xen_netback.c), VCPUOP_initialise's
# context (a second vCPU: it starts, wakes vCPU 0's poll with an IPI and
# takes itself down), one-entry page-table updates the entry stub serves
# itself (its writable counts checked by pins, its stores by reads
# through the remapped pages; and with the stub stopped under its lock,
# PVLAB_XEN_STUB_STOP), each answered as Xen answers (the guest prints each
# check and powers off: exit 0); then, with "crash", a direct write of a
# bad entry into its own L1 table: the domain crashes (125) in one report
# and pvmon stays up to report it (error code 0x3: present, write, and
# kernel mode as Xen reports it: the guest's mode, not the CPU's ring).
# Then the crashing run again under `pvmon run --trace` (LTTng): the trace
# holds Xen's events (xen_hcall_entry/exit by Xen's numbers, as many as
# --stats counts: none of its multicalls has an entry that runs, which the
# trace would show and --stats count once; no pvlab hcall events; the three emulated page-table
# writes, the last refused; its TLB flushes and console send; what the
# entry stub served itself, from its trace ring (xen_stub), of each kind
# as many as --stats counts; vm_exit,
# scheduler and domain events), and pvtrace names and counts them.
# Where this host cannot run Linux PV (PVM) it runs in the nested AMD-V
# host, with nested paging and with shadow paging (npt=0); skips where
# that host cannot be made.
# timeout: 600
# lane: 2
. tests/lib.sh
. tests/linux/lib.sh     # console_says
ELF=$BUILD/tests/xenpv/hostile_xen.elf
# The guest's mmu_update entries (one-entry calls of L1 entries, and of
# L2 entries in l2_checks; the entries of batches without a done pointer
# up to the first the stub leaves to pvmon, stub_batch_checks) and
# flush-less update_va_mappings that the stub serves (stub_mmu_checks and
# the others that are good), and its
# pairs of base pointers (base_checks), and its direct writes into its L1
# (the two plain ones, the seven of Linux's kinds after them, three more
# addressing forms, and a ds-prefixed andb and the mov back).
STUB_MMU=40
STUB_PTWR=14

# stub_counts FILE: the stub's page-table work in pvmon --stats's last
# line in FILE: "updates stops base-pointers writes batches".
stub_counts() {
  sed -n 's/^pvmon: domain hx (1) [a-z]* .* page-table updates \([0-9]*\) (stopped under the lock \([0-9]*\)), batches \([0-9]*\), base pointers \([0-9]*\), page-table writes \([0-9]*\),.*/\1 \2 \4 \5 \3/p' "$1"
}

# The stub's deadlines the watcher handled while the vCPU ran: kicked
# out to pvmon, or fired itself (KVM's APIC), from FILE's --stats.
timer_watch() {
  sed -n 's/^pvmon: domain hx (1) [a-z]* .* timers [0-9]* (watcher kicks \([0-9]*\), fired \([0-9]*\),.*/\1 \2/p' "$1" |
    awk '{ print $1 + $2 }'
}

run_hostile() {
  local cfg=$TMP/hx.cfg rc n
  # A disk for its blkfront of its own (cmdline "blk"): its first bytes are checked.
  printf 'hostile disk' > "$TMP/disk.img"
  truncate -s 1M "$TMP/disk.img"
  # And a VIF, rate-limited, for its netfront of its own (cmdline "net").
  printf 'name = "hx"\nmemory = 16\nvcpus = 2\nkernel = "%s"\ncmdline = "blk net"\ndisk = [ "file:%s,xvda,w" ]\nvif = [ "rate=100KB/s" ]\n' \
    "$(realpath "$ELF")" "$TMP/disk.img" > "$cfg"
  timeout 120 $PVMON --stats run "$cfg" > "$TMP/out" 2>&1; rc=$?
  cat "$TMP/out"
  grep -q '^\[hx\] hostile_xen: up' "$TMP/out" || die "the guest never started"
  grep -q '^pvmon: domain hx (1) exited code 0: .* hypercalls [1-9][0-9]* .*; xen: stub exits [1-9][0-9]* (hypercalls [1-9]' "$TMP/out" ||
    die "--stats does not count the Xen mode's exits and hypercalls"
  n=$(grep -c '^\[hx\] hostile_xen: .* = .* ok$' "$TMP/out")
  ! grep -q FAIL "$TMP/out" || die "pvmon answered a hostile call as Xen does not"
  grep -q '^\[hx\] hostile_xen: [0-9]* checks, 0 failed$' "$TMP/out" || die "the guest did not finish its checks"
  [ $rc = 0 ] || die "pvmon exit status $rc, expected 0 (the guest's poweroff)"
  grep -q '^pvmon: domain hx (1) exited code 0: .*; balloon: 0 frames out (given 1, taken 1)' "$TMP/out" ||
    die "pvmon's balloon count is not the one frame given back and taken again"
  echo "ok $n hostile calls answered as Xen does; poweroff is exit 0"
  # Its two kernel page faults and the irets from its handler: served by
  # the entry stub (no exit), and the same checks pass through pvmon alone.
  # And its 8 good set_segment_base calls and its stack_switch (the bad
  # ones, 4 and 1, go to pvmon), and its good one-entry mmu_updates and
  # update_va_mappings without a flush (the refused ones go to pvmon).
  # Under shadow paging the stub leaves every mmu_update to pvmon.
  local mmu=$STUB_MMU base=2 ptwr=$STUB_PTWR flush=16
  ! $PVMON info | grep -q '^kvm: page tables: .*shadow paging' || mmu=0 base=0 ptwr=0 flush=0
  # A signal may stop one of the page-table updates, base-pointer pairs
  # or direct writes under the stub's lock, before its commit: pvmon
  # serves that one (as run_stub_stops's "locked" does to all of them).
  local got stops base_got ptwr_got batches want_batches=2
  [ $mmu != 0 ] || want_batches=0
  read -r got stops base_got ptwr_got batches <<<"$(stub_counts "$TMP/out")"
  grep -q "^pvmon: domain hx (1) exited code 0: .*; xen: .* fast path on: system calls 1, page faults 2, irets 5, emulated [0-9]*, segment bases 8, stack switches 1, page-table updates [0-9]* (stopped under the lock [0-9]*), batches [0-9]*, base pointers [0-9]*, page-table writes [0-9]*, absent vCPUs 3, local TLB flushes $flush, timers 7 (watcher kicks [0-9]*, fired [0-9]*, parks [0-9]*), doorbells [0-9]*, xen_version [1-9][0-9]* (upcalls 1), event vectors [1-9][0-9]* (upcalls [1-9][0-9]*, by MSI [0-9]*, inside the stub [0-9]*)," "$TMP/out" &&
    [ "$(timer_watch "$TMP/out")" -ge 1 ] &&
    [ "${got:-x}" -le $mmu ] && [ "$base_got" -le $base ] && [ "$ptwr_got" -le $ptwr ] &&
    [ $((got + base_got + ptwr_got + stops)) -ge $((mmu + base + ptwr)) ] &&
    { [ "$batches" = $want_batches ] || [ "$stops" -gt 0 ]; } ||
    die "--stats: the stub's fast path did not serve the guest's system call, 2 page faults, 5 irets, 8 set_segment_base calls, 1 stack_switch, $mmu mmu_update entries, $base base-pointer pairs, $ptwr direct page-table writes, 3 vcpu_op calls on absent vCPUs, $flush local TLB flushes, 7 one-shot timers (two due while the vCPU ran: its watcher's kick or event) and xen_version with the event upcall it forced, the event vector bounced into the callback, $want_batches whole batches, less those stopped under the lock (updates, stops, pairs, writes, batches: '$got $stops $base_got $ptwr_got $batches')"
  PVLAB_FAST_PATH=off timeout 120 $PVMON --stats run "$cfg" > "$TMP/off" 2>&1; rc=$?
  grep -q '^\[hx\] hostile_xen: [0-9]* checks, 0 failed$' "$TMP/off" && [ $rc = 0 ] ||
    { tail -20 "$TMP/off"; die "with the fast path off: not every check passed (status $rc)"; }
  grep -q '^pvmon: domain hx (1) exited code 0: .*; xen: .* fast path off: system calls 0, page faults 0, irets 0, emulated 0, segment bases 0, stack switches 0, page-table updates 0 (stopped under the lock 0), batches 0, base pointers 0, page-table writes 0, absent vCPUs 0, local TLB flushes 0, timers 0 (watcher kicks 0, fired 0, parks 0), doorbells 0, xen_version 0 (upcalls 0), event vectors 0 (upcalls 0, by MSI [0-9]*, inside the stub [0-9]*),' "$TMP/off" ||
    die "--stats with the fast path off: the stub served something"
  echo "ok a system call from user mode, the kernel's page faults and an event upcall at xen_version delivered with Xen's frames, cr2 and GS bases by the stub (1 system call, 2 page faults, 2 upcalls, 5 irets, 8 segment bases, 1 stack switch, $got page-table updates, $base_got base-pointer pairs, $ptwr_got direct page-table writes ($stops stopped under the lock), $batches whole batches, 3 vcpu_op calls on absent vCPUs, $flush local TLB flushes, 7 one-shot timers, an event upcall at the event vector, no exit), and by pvmon with the fast path off"
  [ "$(grep -c '^pvmon: domain hx (1): xenstore: req_prod [0-9]* is more than a ring ahead of req_cons [0-9]*; its store connection is closed$' "$TMP/out")" = 1 ] ||
    die "the store ring's bad producer index was not said once"
  echo "ok a store ring's producer index 5000 ahead: one line, the connection closed, the domain went on"
  [ "$(grep -c "^pvmon: domain hx (1): disk xvda: the frontend's request producer index is more than a ring ahead: its disk is disconnected$" "$TMP/out")" = 1 ] ||
    die "the block ring's bad producer index was not said once"
  grep -q '^pvmon: domain hx (1) exited code 0: .*; blk: requests 7 (segments 2, 1024 bytes, flushes 0, errors 5, bad grants 2) in 7 batches' "$TMP/out" ||
    die "--stats: not the block requests the guest made (7, 5 refused, 2 of them for their grants)"
  echo "ok a hostile blkfront: bad sectors, grants, segments and operations refused, a producer index 100 ahead disconnects its disk"
  [ "$(grep -c "^pvmon: domain hx (1): vif 0: the frontend broke its TX ring .*: its vif is disconnected$" "$TMP/out")" = 1 ] ||
    die "the TX ring's bad producer index was not said once"
  grep -q '^pvmon: domain hx (1) exited code 0: .*; net: tx 41 packets (40060 bytes, errors 4, dropped 0) .*; bad grants 1, vfr drops 0, deferred [1-9]' "$TMP/out" ||
    die "--stats: not the packets the guest sent (41 sent, 4 refused, 1 for its grant, some deferred by rate=100KB/s)"
  echo "ok a hostile netfront: a bad grant, a zero-length packet, a slot bigger than its packet and 19 slots refused," \
       "a flood deferred by its rate ($(sed -n 's/.*; net: .* deferred \([0-9]*\).*/\1/p' "$TMP/out") packets), a producer index 300 ahead disconnects its vif"
  # Its 8 sends on the disk's port and 7 on the VIF's are that many
  # kicks of the back ends; the stub rings the ports' doorbells for them
  # (no exit), but for one it leaves to pvmon (a TLB flush owed to that
  # vCPU then).
  local bells
  bells=$(sed -n 's/^pvmon: domain hx (1) exited code 0: .*, doorbells \([0-9]*\), .*/\1/p' "$TMP/out")
  grep -q '^pvmon: domain hx (1) exited code 0: .*; blk: .* in 7 batches, [0-9]* events to the guest, 8 kicks from it,' "$TMP/out" &&
    grep -q '^pvmon: domain hx (1) exited code 0: .*; net: tx .* in [0-9]* batches, 7 kicks from the guest,' "$TMP/out" &&
    [ "${bells:-0}" -ge 1 ] && [ "$bells" -le 15 ] ||
    die "--stats: the guest's 8 sends on its disk's port and 7 on its VIF's are not 8 and 7 kicks of the back ends, 1 to 15 of them by the doorbell (doorbells '$bells')"
  echo "ok the blkfront's 8 kicks and the netfront's 7 reached the back ends, $bells of them by the stub's doorbells without an exit"
  printf 'name = "hx"\nmemory = 16\nkernel = "%s"\ncmdline = "crash"\n' "$(realpath "$ELF")" > "$cfg"
  timeout 120 $PVMON run "$cfg" > "$TMP/out" 2>&1; rc=$?
  tail -3 "$TMP/out"
  ! grep -q 'FAIL the write went through' "$TMP/out" || die "a write mapping the L4 writable went through"
  [ $rc = 125 ] || die "pvmon exit status $rc, expected 125 (a crashed domain)"
  [ "$(grep -c '^pvmon: domain hx (1) crashed: ' "$TMP/out")" = 1 ] || die "not one crash report"
  grep -q '^pvmon: domain hx (1) crashed: .*exception #PF (vector 14, error 0x3) with no handler registered' "$TMP/out" ||
    die "the refused write was not the guest's page fault"
  echo "ok a refused direct write of its L1 is the guest's #PF: it crashed, pvmon reported it (status 125)"
  # A bounce frame or an iret frame where the guest may not write or read:
  # the stub's fast path gives up, pvmon refuses, the domain crashes.
  local mode want
  for mode in pfstack pfstack-hv iretbad sysstack sysstack-hv evstack; do
    case $mode in
      evstack) want='cannot push a bounce frame at 0x[0-9a-f]*7c8 for event upcall' ;;
      sysstack-hv) want='cannot push a bounce frame at 0xffff808000011ec8 for system call' ;;
      sysstack) want='cannot push a bounce frame at 0x[0-9a-f]*7c8 for system call' ;;
      iretbad) want='iret: frame at 0xffff808000011e00 is not readable' ;;
      pfstack-hv) want='cannot push a bounce frame at 0xffff8000000027c0 for exception #PF (vector 14, error 0x0)' ;;
      *) want='cannot push a bounce frame at 0x[0-9a-f]*7c0 for exception #PF (vector 14, error 0x0)' ;;
    esac
    printf 'name = "hx"\nmemory = 16\nkernel = "%s"\ncmdline = "%s"\n' "$(realpath "$ELF")" "$mode" > "$cfg"
    timeout 120 $PVMON run "$cfg" > "$TMP/out" 2>&1; rc=$?
    ! grep -q 'FAIL it went on' "$TMP/out" || die "$mode: the guest went on"
    [ $rc = 125 ] && [ "$(grep -c '^pvmon: domain hx (1) crashed: ' "$TMP/out")" = 1 ] &&
      grep -q "^pvmon: domain hx (1) crashed: .*$want" "$TMP/out" ||
      { tail -3 "$TMP/out"; die "$mode: not one crash report saying '$want' (status $rc)"; }
    echo "ok $mode: $(grep -o "$want" "$TMP/out"): crashed (status 125)"
  done
}

# A frontend that never lets its disk go (cmdline "blkhold"): under
# `pvmon daemon`, pvctl block-detach waits its 10 s and fails in one line,
# the disk stays Closing, and --force takes it; the domain goes on.
run_detach() {
  local cfg=$TMP/hd.cfg t0 t1
  printf 'hostile disk' > "$TMP/hd.img"
  truncate -s 1M "$TMP/hd.img"
  printf 'name = "hx"\nmemory = 16\nkernel = "%s"\ncmdline = "blk blkhold"\ndisk = [ "file:%s,xvda,w" ]\n' \
    "$(realpath "$ELF")" "$TMP/hd.img" > "$cfg"
  start_daemon
  $PVCTL create "$cfg" >/dev/null || die "pvctl create of the holding guest failed"
  console_says hx "holding its disk" 60 || { $PVCTL console --no-follow hx | tail; die "the guest never connected its disk"; }
  t0=$(date +%s)
  ! $PVCTL block-detach hx xvda 2>"$TMP/err" || die "block-detach of a disk its frontend holds succeeded"
  t1=$(date +%s)
  [ "$(wc -l < "$TMP/err")" = 1 ] && grep -q "did not close in 10000 ms" "$TMP/err" ||
    die "block-detach of a held disk: not one line saying why: $(cat "$TMP/err")"
  [ $((t1 - t0)) -ge 9 ] || die "block-detach gave up after $((t1 - t0)) s, not 10"
  console_says hx "its back end is Closing; it keeps the disk" 10 || die "the guest never saw its back end Closing"
  $PVCTL block-detach hx xvda --force || die "block-detach --force failed"
  console_says hx "its disk was taken" 60 || die "the guest never saw its disk go"
  for _ in $(seq 60); do
    [ "$(json_field hx state)" = exited ] && break
    sleep 0.5
  done
  [ "$(json_field hx exit_code)" = 0 ] ||
    { $PVCTL console --no-follow hx | grep -v ' ok$' | tail; die "the holding guest did not power off (exit code $(json_field hx exit_code))"; }
  ! $PVCTL console --no-follow hx | grep -q FAIL || die "a check failed in the holding guest"
  kill $dpid; wait $dpid 2>/dev/null
  echo "ok a frontend holding its disk: block-detach failed after $((t1 - t0)) s in one line ($(cut -c1-60 "$TMP/err")...), --force took it, the guest powered off"
}

# count EVENT [PATTERN]: records of pvmon:EVENT in the trace's text matching PATTERN.
count() { grep "pvmon:$1: " "$TMP/trace.txt" | grep -c -e "${2:-.}"; }

run_traced() {
  local cfg=$TMP/hx.cfg rc hc n stops
  if ! command -v lttng-sessiond >/dev/null || ! command -v babeltrace2 >/dev/null || ! command -v jq >/dev/null; then
    echo "trace: not checked: LTTng, babeltrace2 or jq is not installed (make deps)"
    return 0
  fi
  printf 'name = "hx"\nmemory = 16\nkernel = "%s"\ncmdline = "crash"\n' "$(realpath "$ELF")" > "$cfg"
  timeout 120 $PVMON --stats --trace "$TMP/trace" run "$cfg" > "$TMP/out" 2>&1; rc=$?
  grep -v '^\[hx\] hostile_xen: .* ok$' "$TMP/out"
  [ $rc = 125 ] || die "traced run: pvmon exit status $rc, expected 125"
  grep -q "^pvmon: trace written to $TMP/trace: 0 events lost" "$TMP/out" || die "traced run: no trace, or events lost"
  babeltrace2 "$TMP/trace" > "$TMP/trace.txt" 2> "$TMP/bt.err" || die "babeltrace2 cannot read the trace: $(head -3 "$TMP/bt.err")"
  hc=$(sed -n 's/^pvmon: domain hx (1) crashed .* hypercalls \([0-9]*\) upcalls .*/\1/p' "$TMP/out")
  [ -n "$hc" ] && [ "$hc" -gt 50 ] || die "traced run: --stats counts no hypercalls"
  for ev in xen_hcall_entry xen_hcall_exit; do
    n=$(count $ev "dom = 1,")
    [ "$n" = "$hc" ] || die "pvmon:$ev: $n records, pvmon counted $hc hypercalls"
  done
  [ "$(count hcall_entry)" = 0 ] && [ "$(count hcall_exit)" = 0 ] || die "pvlab hcall events for a Xen domain"
  # Xen's numbers under Xen's names (libxen-dev's): 18 console_io, 3 never pvlab's event_channel_op.
  [ "$(count xen_hcall_entry 'nr = ( "console_io" : container = 18 )')" -gt 40 ] || die "console_io not named by Xen's number"
  [ "$(count xen_hcall_exit 'nr = ( "event_channel_op" : container = 32 ), result = -22')" -ge 2 ] || die "event_channel_op's refusals"
  # (the direct writes the stub serves are xen_stub events: the cmpxchg is pvmon's, and the refused one)
  # A signal (the slice's end, the timer watcher's kick) may stop one of
  # the stub's calls under its page-type lock; pvmon then serves that call
  # itself, traced (a direct write, a base-pointer pair: "stopped under
  # the lock" in --stats). The counts below are exact for a run with no
  # such stop, and may be up to that many more for one with stops.
  read -r _ stops _ <<<"$(stub_counts "$TMP/out")"
  [ -n "$stops" ] || die "traced run: --stats has no stops under the stub's lock"
  [ "$stops" = 0 ] || echo "note: the traced run: a signal stopped $stops of the stub's calls under its lock (pvmon served them: traced)"
  [ "$(count xen_ptwr 'err = 0 }')" -ge 1 ] && [ "$(count xen_ptwr 'err = 0 }')" -le $((1 + stops)) ] &&
    [ "$(count xen_ptwr 'err = -')" = 1 ] && [ "$(count xen_ptwr)" -le $((2 + stops)) ] ||
    die "expected 2 xen_ptwr events (pvmon's cmpxchg done, 1 refused): $(grep 'pvmon:xen_ptwr:' "$TMP/trace.txt")"
  [ "$(count tlb_flush 'kind = "local", addr = 0 }')" = 1 ] && [ "$(count tlb_flush 'kind = "all", addr = 0 }')" = 1 ] &&
    [ "$(count tlb_flush 'kind = "invlpg", addr = 18446744071[0-9]* }')" = 12 ] &&
    [ "$(count tlb_flush 'kind = "invlpg", addr = 9223372036854775808 }')" = 1 ] &&
    [ "$(count tlb_flush 'kind = "invlpg_multi", addr = 18446744071[0-9]* }')" = 1 ] &&
    [ "$(count tlb_flush 'kind = "user_baseptr", addr = [1-9][0-9]* }')" -ge 2 ] &&
    [ "$(count tlb_flush 'kind = "baseptr", addr = [1-9][0-9]* }')" -ge 1 ] &&
    [ "$(count tlb_flush 'kind = "baseptr"')" -le $((1 + stops)) ] && [ "$(count tlb_flush 'kind = "user_baseptr"')" -le $((2 + stops)) ] &&
    [ "$(count tlb_flush)" -ge 19 ] && [ "$(count tlb_flush)" -le $((19 + 2 * stops)) ] ||
    die "expected TLB flushes local (once, in a batch: the ones alone are the stub's, xen_stub events), invlpg (12 times, with the va: 2 mmuext, 10 update_va_mapping; and the non-canonical one, pvmon's), invlpg_multi (UVMF_MULTI), all, user_baseptr (its user L4, and the base pair the stub leaves to pvmon) and that pair's baseptr (and a pair for each stop: $stops): $(grep 'pvmon:tlb_flush:' "$TMP/trace.txt")"
  [ "$(count evtchn_send 'dom = 1, port = 1, remote_dom = 0, remote_port = 0 }')" = 1 ] || die "the console send is not traced"
  [ "$(count evtchn_send 'dom = 1, port = 2, remote_dom = 0, remote_port = 0 }')" = 3 ] || die "the 3 sends on the store's port are not traced"
  [ "$(count evtchn_send 'dom = 1, port = [0-9]*, remote_dom = 1, remote_port = [0-9]* }')" = 1 ] || die "the loopback send is not traced"
  # (good one-entry updates are the stub's, xen_stub events: a batch of two is pvmon's)
  [ "$(count mmu_update 'applied = 2, rejected = 0')" -ge 1 ] && [ "$(count mmu_update 'applied = 0, rejected = 1')" -ge 5 ] ||
    die "mmu_update batches not traced"
  [ "$(count domain_create 'name = "hx"')" = 1 ] && [ "$(count domain_destroy 'dom = 1, exit_code = 125, crashed = 1')" = 1 ] ||
    die "domain_create/destroy"
  [ "$(count vm_exit 'dom = 1,')" -ge "$hc" ] && [ "$(count sched_switch)" -ge 1 ] || die "vm_exit or sched_switch missing"
  check_stub_trace
  local shc sptwr sflush
  shc=$(grep 'pvmon:xen_stub: ' "$TMP/trace.txt" | grep -c 'hypercall = [0-9]')
  sptwr=$(count xen_stub 'what = "ptwr",')
  sflush=$(count xen_stub 'what = "[a-z_]*_local",')
  $BIN/pvtrace summary --json "$TMP/trace" > "$TMP/sum.json" || die "pvtrace summary --json failed"
  $BIN/pvtrace summary "$TMP/trace" > "$TMP/sum.txt" || die "pvtrace summary failed"
  sed -n '/^hypercalls/,/^$/p; /^Xen PV/,/^$/p; /^events by type/,$p' "$TMP/sum.txt"
  [ "$(jq '[.hypercalls[] | select(.abi == "xen") | .count] | add' "$TMP/sum.json")" = "$((hc + shc))" ] &&
    [ "$(jq '[.hypercalls[] | select(.abi == "xen") | .stub] | add' "$TMP/sum.json")" = "$shc" ] ||
    die "pvtrace counts $(jq -c '[.hypercalls[] | select(.abi == "xen") | [.count, .stub]] | transpose | map(add)' "$TMP/sum.json") Xen hypercalls (of them the stub's), pvmon $hc and the stub $shc"
  [ "$(jq '[.hypercalls[] | select(.abi != "xen")] | length' "$TMP/sum.json")" = 0 ] || die "pvtrace found pvlab hypercalls"
  [ "$(jq -r '.domains[0] | "\(.xen_ptwr) \(.xen_ptwr_refused) \(.tlb_flushes) \(.events_sent) \(.xen_stub)"' "$TMP/sum.json")" = "$(($(count xen_ptwr) + sptwr)) 1 $(($(count tlb_flush) + sflush)) 5 $(count xen_stub)" ] ||
    die "pvtrace's domain counts: $(jq -c '.domains[0] | [.xen_ptwr, .xen_ptwr_refused, .tlb_flushes, .events_sent, .xen_stub]' "$TMP/sum.json")"
  grep -q '^  xen:console_io ' "$TMP/sum.txt" || die "the text summary does not name xen:console_io"
  grep -q '^  dom 1: served by the entry stub, no exit (xen_stub, in the counts above) [1-9]' "$TMP/sum.txt" ||
    die "the text summary has no line of the stub's work"
  echo "ok the traced run: $hc Xen hypercalls by pvmon and $shc by the stub traced and named, $(count xen_ptwr) emulated page-table writes by pvmon (1 refused) and $sptwr by the stub, $(count tlb_flush) TLB flushes by pvmon and $sflush by the stub, 5 events sent (console, loopback, 3 to the store)"
}

# The stub's own work in the traced run, from its trace ring
# (pvmon:xen_stub): of each kind as many events as --stats counts, none
# lost; Xen's hypercall numbers and bounce vectors; times in order
# within a vCPU and inside the run.
check_stub_trace() {
  local line got want w
  line=$(grep '^pvmon: domain hx (1) crashed' "$TMP/out")
  counted() { sed -n "s/.*$1 \([0-9]*\).*/\1/p" <<<"$line"; }   # --stats' number after TEXT (not stat(1)'s name)
  ev() { local n=0 k; for k; do n=$((n + $(count xen_stub "what = \"$k\","))); done; echo $n; }
  for w in "syscall|fast path on: system calls" "page_fault|, page faults" "iret|, irets" "emulated|irets [0-9]*, emulated" \
           "set_segment_base|segment bases" "stack_switch|stack switches" "baseptr|base pointers" \
           "ptwr|page-table writes" "vcpu_op_absent|absent vCPUs" "singleshot_timer|, timers" "evtchn_send|doorbells" \
           "tlb_flush_local invlpg_local|local TLB flushes" "xen_version xen_version_upcall|, xen_version" \
           "xen_version_upcall|xen_version [0-9]* (upcalls" "event event_upcall|event vectors" \
           "event_upcall|event vectors [0-9]* (upcalls"; do
    # shellcheck disable=SC2086
    got=$(ev ${w%%|*}); want=$(counted "${w#*|}")
    [ -n "$want" ] && [ "$got" = "$want" ] || die "pvmon:xen_stub ${w%%|*}: $got events, --stats counts '$want' (${w#*|})"
  done
  # The page-table updates count entries: a one-entry call, an
  # update_va_mapping, a batch's (its count, arg1) when the stub did it
  # whole. Of two batches of stub_batch_checks the stub does the first
  # entry and leaves the rest to pvmon: a call of pvmon's (xen_hcall_*),
  # those two entries in --stats' count only.
  got=$(grep 'pvmon:xen_stub: ' "$TMP/trace.txt" |
        sed -n 's/.*what = "\(mmu_update\|update_va_mapping\)", .* arg1 = \(0x[0-9a-fA-F]*\),.*/\1 \2/p' |
        { n=0; while read -r kind a1; do [ "$kind" = mmu_update ] && n=$((n + a1)) || n=$((n + 1)); done; echo $n; })
  want=$(counted "page-table updates")
  [ -n "$want" ] && [ "$got" -le "$want" ] && [ "$got" -ge $((want - 2)) ] || die "pvmon:xen_stub: $got page-table entries in mmu_update and update_va_mapping events, --stats counts $want (2 more of batches pvmon finished): $(grep -m3 'pvmon:xen_stub: .*what = "[mu][mp][ud]' "$TMP/trace.txt")"
  [ "$(count xen_stub 'what = "syscall", hypercall = -1, bounce = 257,')" = "$(ev syscall)" ] &&
    [ "$(count xen_stub 'what = "page_fault", hypercall = -1, bounce = 14,')" = "$(ev page_fault)" ] &&
    [ "$(count xen_stub 'what = "iret", hypercall = 23, bounce = -1,')" = "$(ev iret)" ] &&
    [ "$(count xen_stub 'what = "set_segment_base", hypercall = 25,')" = "$(ev set_segment_base)" ] &&
    [ "$(count xen_stub 'what = "baseptr", hypercall = 26,')" = "$(ev baseptr)" ] ||
    die "pvmon:xen_stub: hypercall numbers or bounce vectors not Xen's"
  # time_ns: the stub's moment, on LTTng's clock: not after the event's
  # own stamp (taken when pvmon drained it), in order within the vCPU.
  babeltrace2 --clock-cycles "$TMP/trace" 2>/dev/null | grep 'pvmon:xen_stub: ' |
    sed -n 's/^\[\([0-9]*\)\].* time_ns = \([0-9]*\),.*/\1 \2/p' |
    awk '{ if ($2 > $1 + 1000000 || $2 < prev) bad++; prev = $2 } END { exit bad ? 1 : 0 }' ||
    die "pvmon:xen_stub: time_ns after the event's own time or out of order"
  echo "ok the stub's work traced (pvmon:xen_stub): $(count xen_stub) events, each kind as many as --stats counts"
}

[ -x "$PVMON" ] || die "pvmon not built"
# The event vector delivered again inside the stub (CPL0, its IF clear),
# as KVM did under nested SVM: PVLAB_XEN_STUB_STOP=event makes the
# stub's event path raise it there once a run. The stub sends it to
# itself again and goes on; every check passes and the count says so.
run_stub_event() {
  local cfg=$TMP/he.cfg
  $PVMON info | grep -q '^linux pv: yes' || return 0
  printf 'name = "hx"\nmemory = 16\nkernel = "%s"\ncmdline = ""\n' "$(realpath "$ELF")" > "$cfg"
  PVLAB_XEN_STUB_STOP=event timeout 120 $PVMON --stats run "$cfg" > "$TMP/ev" 2>&1 ||
    { tail -20 "$TMP/ev"; die "the vector inside the stub: pvmon exit status not 0"; }
  grep -q '^\[hx\] hostile_xen: [0-9]* checks, 0 failed$' "$TMP/ev" ||
    { grep FAIL "$TMP/ev" | head; die "the vector inside the stub: not every check passed"; }
  local n
  n=$(sed -n 's/^pvmon: domain hx (1) exited code 0: .* event vectors [0-9]* (upcalls [0-9]*, by MSI [0-9]*, inside the stub \([0-9]*\)).*/\1/p' "$TMP/ev")
  [ "${n:-0}" -ge 1 ] || die "the vector inside the stub: not counted ('$n')"
  echo "ok the event vector delivered inside the stub $n times: sent again, every check passes"
}

# The stub's mmu_update stopped under its lock, as a signal or an exit
# could stop it: a test's stop (PVLAB_XEN_STUB_STOP: an exit from the
# stub) where it has just taken the lock (pvmon sends it to the slow
# path, which serves the call) and halfway through its commit (pvmon does
# the commit's stores again and lets it go on). Each time the guest's checks all pass, and the counts
# say which way every call went.
run_stub_stops() {
  local cfg=$TMP/hs.cfg at
  printf 'name = "hx"\nmemory = 16\nvcpus = 2\nkernel = "%s"\ncmdline = ""\n' "$(realpath "$ELF")" > "$cfg"
  for at in locked commit; do
    PVLAB_XEN_STUB_STOP=$at timeout 120 $PVMON --stats run "$cfg" > "$TMP/stop" 2>&1 ||
      { tail -20 "$TMP/stop"; die "stopped at the stub's $at: pvmon exit status not 0"; }
    grep -q '^\[hx\] hostile_xen: [0-9]* checks, 0 failed$' "$TMP/stop" ||
      { grep FAIL "$TMP/stop" | head; die "stopped at the stub's $at: not every check passed"; }
    local n mmu stops base ptwr all=$((STUB_MMU + 2 + STUB_PTWR))
    read -r mmu stops base ptwr _ <<<"$(stub_counts "$TMP/stop")"
    n="$mmu $stops $base $ptwr"
    # locked: nothing served, every call stopped. commit: each call served
    # and stopped once; a signal or an exit may also stop one before its
    # commit (it goes to pvmon, one stop more: linux_boot's runs see a few
    # such stops), or pvmon may hold the lock when the stub tries it (it
    # goes to pvmon, no stop), or a signal may stop, under the lock, one
    # of the calls the stub's checks refuse (it goes to pvmon as it would:
    # one stop more, none served less): two of any allowed.
    case $at in
      locked) [ "$mmu $base $ptwr" = "0 0 0" ] && [ "${stops:-0}" -ge $all ] ;;
      commit) [ "${mmu:-0}" -le $STUB_MMU ] && [ "${base:-0}" -le 2 ] && [ "${ptwr:-0}" -le $STUB_PTWR ] &&
                [ $((mmu + base + ptwr)) -ge $((all - 2)) ] && [ "$stops" -ge $((mmu + base + ptwr)) ] && [ "$stops" -le $((all + 2)) ] ;;
    esac || die "stopped at the stub's $at: page-table updates, stops, base pointers and direct writes '$n', expected 0, at least $all, 0 and 0 (locked), or up to $STUB_MMU, $all, 2 and $STUB_PTWR, all but two served and each stopped (commit)"
    echo "ok every page-table update, base-pointer pair and direct write stopped at the stub's $at: served by the stub, stopped, base pointers, writes: '$n'; all checks pass"
  done
}

[ -f "$ELF" ] || die "$ELF not built"
if [ "${1:-}" = --vmx ]; then
  # nested_vmx.sh's, in its L1 on kvm_intel under Bochs (make check-vmx):
  # the guest's checks, with the fast path off too, and the stub's stops.
  $PVMON info | grep -q '^linux pv: yes' || die "kvm_intel here cannot run Linux PV: $($PVMON info | grep '^linux pv')"
  run_hostile
  run_stub_event
  $PVMON info | grep -q '^kvm: page tables: .*shadow paging' || run_stub_stops
  echo PASS
  exit 0
fi
if [ "${1:-}" = --inside ]; then
  $PVMON info | grep -q '^linux pv: yes' || die "the nested AMD-V host cannot run Linux PV: $($PVMON info | grep '^linux pv')"
  $PVMON info | grep '^kvm: page tables: '
  run_hostile
  run_stub_event
  # The stub's stops, the detach and the trace: once, with nested paging
  # (under shadow paging the stub leaves mmu_update to pvmon).
  if $PVMON info | grep -q '^kvm: page tables: .*shadow paging'; then
    echo "ok detach and trace: checked in the nested-paging pass"
  else
    run_stub_stops
    run_detach
    run_traced
  fi
  echo PASS
  exit 0
fi
need_kvm
if $PVMON info | grep -q '^linux pv: yes'; then
  run_hostile
  run_stub_event
  $PVMON info | grep -q '^kvm: page tables: .*shadow paging' || run_stub_stops
  run_detach
  run_traced
  echo PASS
  exit 0
fi
# In the nested host with nested paging, then with shadow paging (npt=0).
for npt in "" npt=0; do
  in_nested_svm "the hostile guest's checks (${npt:-npt=1})" --timeout 400 --mem 1024 --kvm-amd "$npt"
done
echo PASS
