# pvbench lmbench end to end: every row native and pv (or the reason it
# cannot run), the mmu_update batch lines, the trapped-vs-batched build; no
# timing limits, only what must hold by construction (a batch of 2048
# shares one exit, so it costs less per entry than a batch of one).
. tests/lib.sh
need_kvm
PVBENCH=$BIN/pvbench
[ -x "$BIN/pvlm" ] || die "pvlm was not built"
$BIN/pvlm --help | grep -q "usage: pvlm" || die "pvlm --help"
$BIN/pvlm --scale 0 2>/dev/null; [ $? -eq 2 ] || die "pvlm --scale 0 accepted"
$PVBENCH lmbench --bogus 2>/dev/null; [ $? -eq 2 ] || die "unknown option: status not 2"
out=$($PVBENCH lmbench --quick) || die "pvbench lmbench failed"
echo "$out"
for r in null_syscall ctx_switch mmap_16m fork_exit fork_exec pipe_bw; do
  echo "$out" | grep -Eq "^  $r +[0-9]+ [a-zMB/s]+ +[0-9]+ [a-zMB/s]+ +[0-9.e+-]+" || die "row $r lacks native and pv values"
done
# Faults reach pvos only through the fast path: values with it, a reason without.
if $PVMON info | grep -q "^fast path: none"; then
  for r in page_fault prot_fault; do
    echo "$out" | grep -Eq "^  $r +[0-9]+ ns +- +not supported: .*baseline" || die "row $r: no native value or no reason"
  done
  echo "$out" | grep -q "^  pvos: baseline: .*fork copies eagerly" || die "no word on eager fork"
else
  for r in page_fault prot_fault; do
    echo "$out" | grep -Eq "^  $r +[0-9]+ ns +[0-9]+ ns +[0-9.e+-]+" || die "row $r lacks native and pv values"
  done
  echo "$out" | grep -q "^  pvos: fast path: .*fork is copy-on-write" || die "no word on copy-on-write fork"
  off=$(PVLAB_FAST_PATH=off $PVBENCH lmbench --quick) || die "pvbench lmbench with the fast path off failed"
  echo "$off" | grep -Eq "^  page_fault +[0-9]+ ns +- +not supported: .*baseline" || die "fast path off: page_fault not refused with a reason"
fi
for b in 1 16 256 2048; do
  echo "$out" | grep -Eq "^mmu_update batch $b: [0-9.]+ ns/entry, ratio [0-9.]+$" || die "no mmu_update batch $b line"
done
r=$(echo "$out" | sed -n 's/^mmu_update batch 2048: .*ratio \([0-9.]*\)$/\1/p')
awk -v r="$r" 'BEGIN { exit !(r < 0.5) }' || die "batch 2048 per entry is not below batch 1 ($r)"
# Trapped writes exist only behind a read-only pool slot (not under nested
# paging): measured there, a reason elsewhere. The --json run takes the
# other pool slot where it can (PVLAB_POOL_SLOT=rw), so both forms are seen.
trapped="^building a 16 MiB address space: trapped writes [0-9.]+ ms, batched mmu_update [0-9.]+ ms, ratio [0-9]+$"
untrapped="^building a 16 MiB address space: batched mmu_update [0-9.]+ ms; trapped writes not supported on this host: nested paging"
slot=ro
$PVMON info | grep -q "^kvm: page tables: writable pool slot" && slot=rw
if [ $slot = ro ]; then
  echo "$out" | grep -Eq "$trapped" || die "no trapped-vs-batched line"
else
  echo "$out" | grep -Eq "$untrapped" || die "nested paging: no batched line with the reason trapped writes are left out"
fi
json=$(PVLAB_POOL_SLOT=rw $PVBENCH lmbench --quick --json) || die "--json failed"
echo "$json" | grep -q '"name": "fork_exec", "unit": "us", "native": [0-9]*, "pv": [0-9]*' || die "--json lacks fork_exec"
echo "$json" | grep -q '"build16m": {"trap_ns": null, "batch_ns": [0-9]*, "trap_over_batch": null, "trap_note": "not supported on this host"}' \
  || die "--json with a writable pool slot: build16m does not say trapped writes are not supported"
echo PASS
