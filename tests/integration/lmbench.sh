# pvbench lmbench end to end: every row native and pv (or the reason it
# cannot run), the mmu_update batch lines, the trapped-vs-batched build; no
# timing limits, only what must hold by construction (a batch of 2048
# shares one exit, so it costs less per entry than a batch of one). Then
# the Linux PV column of the same run: pvlm (static) natively and in a
# Linux PV domain of Debian's kernel, here or, where pvmon info says
# "linux pv: no", both in the nested AMD-V host and said to be emulated;
# every row with both values, its ops as lmbench.c counts them and its
# counters per op as pvmon stamped them (a fork pins page tables: at
# least one hypercall). About 70 s more where the nested host is needed.
# timeout: 600
. tests/lib.sh
need_kvm
PVBENCH=$BIN/pvbench
[ -x "$BIN/pvlm" ] || die "pvlm was not built"
$BIN/pvlm --help | grep -q "usage: pvlm" || die "pvlm --help"
$BIN/pvlm --scale 0 2>/dev/null; [ $? -eq 2 ] || die "pvlm --scale 0 accepted"
file "$BIN/pvlm" | grep -q 'statically linked' || die "pvlm is not statically linked (the initramfs has no C library)"
$PVBENCH lmbench --bogus 2>/dev/null; [ $? -eq 2 ] || die "unknown option: status not 2"
t0=$(date +%s)
out=$($PVBENCH lmbench --quick) || die "pvbench lmbench failed"
echo "$out"
echo "pvbench lmbench --quick with the Linux PV column: $(( $(date +%s) - t0 )) s"
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
  off=$(PVLAB_FAST_PATH=off $PVBENCH lmbench --quick --no-linux) || die "pvbench lmbench with the fast path off failed"
  echo "$off" | grep -Eq "^  page_fault +[0-9]+ ns +- +not supported: .*baseline" || die "fast path off: page_fault not refused with a reason"
fi
# pvos rows carry exits and hypercalls per op (pvmon --console-counters)
echo "$out" | grep -Eq "^  null_syscall +[0-9]+ ns +[0-9]+ ns +[0-9.e+-]+ +[0-9.]+ +[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2}$" ||
  die "pvos null_syscall row lacks exits/op and hcalls/op"
# the stamps themselves: every line of a pvos domain, counters that never go back
$PVMON --console-counters run "$(domcfg hello prog=hello)" > "$TMP/stamped" || die "pvmon --console-counters run failed"
cat "$TMP/stamped"
grep -q '^\[hello\] {exits=[0-9]* hypercalls=[0-9]* pt_writes=[0-9]* mmu_updates=[0-9]*} hello from pvos' "$TMP/stamped" ||
  die "no stamped greeting"
! grep -v '^\[hello\] {exits=[0-9]* hypercalls=[0-9]* pt_writes=[0-9]* mmu_updates=[0-9]*} ' "$TMP/stamped" | grep -q '^\[hello\]' ||
  die "an unstamped console line"
sed 's/^\[hello\] {exits=\([0-9]*\) hypercalls=\([0-9]*\) .*/\1 \2/' "$TMP/stamped" |
  awk '{ if ($1 < e || $2 < h) bad = 1; e = $1; h = $2 } END { exit bad || e < 1 || h < 1 }' ||
  die "stamps went back, or no exit or hypercall was counted"
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
json=$(PVLAB_POOL_SLOT=rw $PVBENCH lmbench --quick --json --no-linux) || die "--json failed"
echo "$json" | grep -q '"name": "fork_exec", "unit": "us", "native": [0-9]*, "pv": [0-9]*' || die "--json lacks fork_exec"
echo "$json" | grep -q '"build16m": {"trap_ns": null, "batch_ns": [0-9]*, "trap_over_batch": null, "trap_note": "not supported on this host"}' \
  || die "--json with a writable pool slot: build16m does not say trapped writes are not supported"
echo "$json" | grep -q '"linux"' && die "--no-linux: the JSON has a Linux PV part"

# The Linux PV column.
linux_pv() {
  local lpv
  lpv=$($PVMON info | grep '^linux pv: ')
  if echo "$out" | grep -q '^Linux PV: not run: '; then
    # only where it cannot be had: no Debian kernel, no static busybox, no nested host
    echo "$out" | grep -Eq '^Linux PV: not run: .*(no Debian kernel|busybox|no nested AMD-V host|nested-svm.sh is missing)' ||
      die "the Linux PV column did not run: $(echo "$out" | grep '^Linux PV: ')"
    echo "SKIP (Linux PV column): $(echo "$out" | grep '^Linux PV: ')"
    return
  fi
  echo "$out" | grep -q "^Linux PV (Debian's kernel 6\.1\.[^ ]* as a Xen PV domain of pvmon" || die "no Linux PV header naming the kernel"
  if [ -n "${PVLAB_NESTED:-}" ] || echo "$lpv" | grep -q '^linux pv: no'; then
    echo "$out" | grep -Eq "^nested AMD-V host under QEMU TCG \(kvm=svm kvm_amd_npt=Y .*\), against native measured there; raw KVM exit there [1-9][0-9]* ns$" ||
      die "$lpv, yet the column is not said to be emulated in the nested host with its raw exit"
  else
    echo "$out" | grep -Eq '^\(kvm=(vmx|svm) .*\); raw KVM exit [1-9][0-9]* ns$' || die "no host words and raw exit for the Linux PV column"
  fi
  local ops=(600 200 256 256 2 5 5 512) i=0 r line
  num='[0-9]+\.[0-9]{2}'
  for r in null_syscall ctx_switch page_fault prot_fault mmap_16m fork_exit fork_exec pipe_bw; do
    line=$(echo "$out" | sed -n '/^Linux PV (/,$p' | grep -E "^  $r ")
    echo "$line" | grep -Eq "^  $r +[0-9]+ [a-zMB/s]+ +[0-9]+ [a-zMB/s]+ +[0-9.e+-]+ +${ops[$i]}( +$num){7}$" ||
      die "Linux PV row $r: not native, linux-pv, ratio, ${ops[$i]} ops and seven counts per op: '$line'"
    i=$((i + 1))
  done
  # by construction: a fork pins the child's page tables (mmuext_op) and
  # exec builds a new address space: hypercalls, each an exit to pvmon
  # (the stub serves only the iret)
  for r in fork_exit fork_exec; do
    line=$(echo "$out" | sed -n '/^Linux PV (/,$p' | grep -E "^  $r ")
    echo "$line" | awk '{ exits = $(NF-6); hc = $(NF-5); exit !(hc >= 1 && exits >= hc) }' ||
      die "Linux PV row $r: fewer than one hypercall per fork, or fewer exits than hypercalls: '$line'"
  done
  # and by construction of the stub's fast path: a null system call is
  # delivered and returned from by the stub (two entries), with no exit
  # but the row's timer events and console lines
  line=$(echo "$out" | sed -n '/^Linux PV (/,$p' | grep -E "^  null_syscall ")
  echo "$line" | awk '{ exit !($(NF-6) < 0.5 && $NF >= 1.9) }' ||
    die "Linux PV null_syscall: not served by the stub (exits/op under 0.5, stub/op 2): '$line'"
  echo "ok the Linux PV column: 8 rows with values, ops and counts per op"
}
linux_pv
echo PASS
