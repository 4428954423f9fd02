# Exceptions under the fast path (and what the baseline does instead):
# every vector a guest can raise, from the pvos kernel and from a process,
# reaches its handler with the right vector, error code, rip and #PF
# address (prog=traps); an unregistered vector crashes only that domain;
# handlers in the stub, at the hypercall entry or outside the domain are
# refused; a callback frame on a bad stack is refused; a kernel region is
# demand-paged; fork is copy-on-write.
# Run as it comes (fast path where the host has one) and by fastpath_off.sh
# with PVLAB_FAST_PATH=off.
. tests/lib.sh
need_kvm
fast=0 kind=$($PVMON info | sed -n 's/^fast path: \([a-z]*\) .*/\1/p')
[ "$kind" != none ] && fast=1
echo "fast path in use: $fast ($kind)"
# Raisers for this back end: #BR (`int $5`) only where the gate's DPL is
# honoured, and the refused far return to 32-bit code, on VT-x/AMD-V; a
# call into the upper half (#PF delivered to the guest, not a stub fault) on all.
# PVLAB_TRAPS_SKIP=key,... leaves some out, for a CPU model that does not
# raise them (nested_svm.sh: QEMU TCG's).
raisers=17
case $kind in vmx|svm) raisers=19 ;; esac
skip=${PVLAB_TRAPS_SKIP:-}
if [ -n "$skip" ]; then
  raisers=$((raisers - $(echo "$skip" | tr , '\n' | wc -l)))
  skip=" skip=$skip"
  echo "skipped raisers: ${PVLAB_TRAPS_SKIP}"
fi
run() {  # run NAME CMDLINE: one domain, output in $out, status in $rc
  out=$($PVMON run "$(domcfg "$1" "$2")" 2>&1); rc=$?
  echo "$out" | sed 's/^/  /'
}
run traps "prog=traps$skip"
[ $rc = 0 ] || die "prog=traps: status $rc"
echo "$out" | grep -q "traps: [0-9]* checks, 0 failed" || die "prog=traps: checks failed"
if [ $fast = 1 ]; then
  echo "$out" | grep -q "traps: $raisers exceptions raised from the kernel and from a process" || die "not every vector was raised"
else
  echo "$out" | grep -q "traps: baseline: exceptions are not delivered" || die "baseline: no word on delivery"
fi
# An exception with no handler: that domain crashes, reported; the other runs on.
for m in unreg unreg_user; do
  out=$($PVMON run "$(domcfg $m "prog=traps mode=$m$skip")" "$(domcfg worker "prog=cpu")" 2>&1); rc=$?
  echo "$out" | sed 's/^/  /'
  echo "$out" | grep -q "\[worker\] cpu: sort .* ok" || die "$m: the second domain did not finish"
  if [ $fast = 1 ]; then
    [ $rc = 125 ] || die "$m: status $rc, expected 125"
    mode=kernel; [ $m = unreg_user ] && mode=user
    echo "$out" | grep -q "pvmon: domain $m (1) crashed: vcpu 0: exception #UD (vector 6) error 0x0 address 0x0 with no handler registered; rip=0x[0-9a-f]* .* $mode mode" \
      || die "$m: no crash report naming #UD in $mode mode"
  else
    [ $rc = 0 ] || die "$m (baseline): status $rc"
  fi
done
# A kernel stack the stub cannot write, or one pointing at the stub's own
# stack: the callback frame is refused, the domain crashes, the stub holds.
if [ $fast = 1 ]; then
  for m in badstack stubstack; do
    run $m "prog=traps mode=$m"
    [ $rc = 125 ] || die "$m: status $rc, expected 125"
    echo "$out" | grep -q "pvmon: domain $m (1) crashed: vcpu 0: cannot push a callback frame at 0x" || die "$m: no report"
  done
  echo "$out" | grep -q "outside the guest's half" || die "stubstack: the stub's own stack was not refused as such"
fi
run demand "prog=demand pages=64"
[ $rc = 0 ] || die "prog=demand: status $rc"
if [ $fast = 1 ]; then
  echo "$out" | grep -q "demand: 64 pages mapped on 64 faults, ns_per_fault=[0-9]* ok" || die "demand paging"
else
  echo "$out" | grep -q "demand: not supported: the baseline does not deliver page faults" || die "demand (baseline)"
fi
export PVLAB_MM_CHECK=1       # pvmon rechecks its page-table accounting at the end
run cow "prog=cow pages=16"
[ $rc = 0 ] || die "prog=cow: status $rc"
echo "$out" | grep -q "page-table accounting checked" || die "cow: pvmon's page-table accounting"
if [ $fast = 1 ]; then
  echo "$out" | grep -q "cow: copy-on-write, process check ok" || die "cow"
else
  echo "$out" | grep -q "cow: eager copy, process check ok (exit 0), 0 pages copied" || die "cow (baseline)"
fi
echo PASS
