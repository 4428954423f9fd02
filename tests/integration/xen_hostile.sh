# A hostile Xen PV guest of our own (tests/xenpv/hostile_xen.c) against
# pvmon's Xen mode: bad pointers, page-table entries that would make a
# table writable or name frames outside RAM or pvmon's slots, bad pins and
# base pointers, descriptors, trap and callback addresses, batches, the
# balloon's reservations, event ports and vCPUs, VCPUOP_initialise's
# context (a second vCPU: it starts, wakes vCPU 0's poll with an IPI and
# takes itself down), each answered as Xen answers (the guest prints each
# check and powers off: exit 0); then, with "crash", a direct write of a
# bad entry into its own L1 table: the domain crashes (125) in one report
# and pvmon stays up to report it (error code 0x3: present, write, and
# kernel mode as Xen reports it: the guest's mode, not the CPU's ring).
# Where this host cannot run Linux PV (PVM) it runs in the nested AMD-V
# host, with nested paging and with shadow paging (npt=0); skips where
# that host cannot be made.
# timeout: 600
. tests/lib.sh
ELF=$BUILD/tests/xenpv/hostile_xen.elf

run_hostile() {
  local cfg=$TMP/hx.cfg rc n
  printf 'name = "hx"\nmemory = 16\nvcpus = 2\nkernel = "%s"\n' "$(realpath "$ELF")" > "$cfg"
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
  printf 'name = "hx"\nmemory = 16\nkernel = "%s"\ncmdline = "crash"\n' "$(realpath "$ELF")" > "$cfg"
  timeout 120 $PVMON run "$cfg" > "$TMP/out" 2>&1; rc=$?
  tail -3 "$TMP/out"
  ! grep -q 'FAIL the write went through' "$TMP/out" || die "a write mapping the L4 writable went through"
  [ $rc = 125 ] || die "pvmon exit status $rc, expected 125 (a crashed domain)"
  [ "$(grep -c '^pvmon: domain hx (1) crashed: ' "$TMP/out")" = 1 ] || die "not one crash report"
  grep -q '^pvmon: domain hx (1) crashed: .*exception #PF (vector 14, error 0x3) with no handler registered' "$TMP/out" ||
    die "the refused write was not the guest's page fault"
  echo "ok a refused direct write of its L1 is the guest's #PF: it crashed, pvmon reported it (status 125)"
}

[ -x "$PVMON" ] || die "pvmon not built"
[ -f "$ELF" ] || die "$ELF not built"
if [ "${1:-}" = --inside ]; then
  $PVMON info | grep -q '^linux pv: yes' || die "the nested AMD-V host cannot run Linux PV: $($PVMON info | grep '^linux pv')"
  $PVMON info | grep '^kvm: page tables: '
  run_hostile
  echo PASS
  exit 0
fi
need_kvm
if $PVMON info | grep -q '^linux pv: yes'; then
  run_hostile
  echo PASS
  exit 0
fi
# In the nested host with nested paging, then with shadow paging (npt=0).
for npt in "" npt=0; do
  scripts/nested-svm.sh --timeout 400 --mem 1024 --kvm-amd "$npt" -- bash tests/integration/xen_hostile.sh --inside | tee "$TMP/inside"
  rc=${PIPESTATUS[0]}
  [ $rc = 77 ] && skip "$(grep -m1 SKIP "$TMP/inside" || echo 'the nested AMD-V host cannot be made here')"
  [ $rc = 0 ] && grep -q '^PASS$' "$TMP/inside" || die "the hostile guest's checks in the nested AMD-V host (${npt:-npt=1}) failed (status $rc)"
done
echo PASS
