# Validated page tables end to end: processes (fork, exec, wait, pipes,
# mmap) built through batched mmu_update and through trapped direct
# writes; a hostile guest breaking every memory rule beside a worker
# domain; bad direct writes and touching a given-back frame crash only the
# guest. pvmon rechecks its page-table accounting when each domain ends.
# Where the host has nested paging (pvmon info: a writable pool slot)
# trapped writes do not exist and pvos must refuse pt=trap; on a host with
# a read-only slot the nested-paging rule runs too (PVLAB_POOL_SLOT=rw
# forces it, and it works on any MMU).
. tests/lib.sh
need_kvm
export PVLAB_MM_CHECK=1
info=$($PVMON info 2>&1) || die "pvmon info failed: $info"
echo "$info" | grep '^kvm: page tables: '
slots=host
echo "$info" | grep -q '^kvm: page tables: read-only pool slot' && slots="host rw"

run_mm() {   # $1: host or rw (PVLAB_POOL_SLOT=rw)
  local trap_ok=1 mode out rc kind
  local slot=$info
  [ "$1" = rw ] && { export PVLAB_POOL_SLOT=rw; slot=$($PVMON info 2>&1); }
  echo "$slot" | grep -q '^kvm: page tables: writable pool slot' && trap_ok=0
  echo "== pool slot: $1 (trapped writes: $([ $trap_ok = 1 ] && echo yes || echo no))"
  for mode in batch trap; do
    out=$($PVMON --stats run "$(domcfg ptest$mode "prog=ptest kids=5 pt=$mode")" 2>&1); rc=$?
    echo "$out"
    if [ $mode = trap ] && [ $trap_ok = 0 ]; then
      [ $rc -eq 2 ] || die "pt=trap on a writable pool slot: exit status $rc, expected 2"
      [ "$(echo "$out" | grep -c 'pvos: pt=trap not supported on this host: ')" = 1 ] ||
        die "pt=trap on a writable pool slot: no one-line refusal"
      continue
    fi
    [ $rc -eq 0 ] || die "ptest ($mode): exit status $rc"
    echo "$out" | grep -q "ptest: ok" || die "ptest ($mode) did not pass"
    echo "$out" | grep -q "page-table accounting checked" || die "ptest ($mode): accounting not consistent"
    if [ $mode = batch ]; then
      echo "$out" | grep -q "mm: updates [1-9][0-9]* rejected 0 trapped writes 0 " || die "batch mode did not use mmu_update alone"
    else
      echo "$out" | grep -q "mm: updates 0 rejected 0 trapped writes [1-9]" || die "trap mode did not trap its writes"
    fi
  done
  h=$(domcfg hostilemm "prog=hostile_mm")
  w=$(domcfg worker "prog=procs")
  out=$($PVMON run "$h" "$w" 2>&1); rc=$?
  echo "$out"
  [ $rc -eq 0 ] || die "hostile_mm + worker: exit status $rc"
  echo "$out" | grep -q "hostile_mm: [0-9]* checks, 0 failed" || die "hostile_mm checks failed"
  echo "$out" | grep -q "\[worker\] procs: pid 1 exit 11, pid 2 exit 22" || die "the worker domain did not finish"
  [ "$(echo "$out" | grep -c "page-table accounting checked")" = 2 ] || die "accounting not consistent in both domains"
  for kind in ptwrite balloon; do
    out=$($PVMON run "$(domcfg crash$kind "prog=crash kind=$kind")" "$(domcfg worker "prog=procs")" 2>&1); rc=$?
    echo "$out"
    [ $rc -eq 125 ] || die "crash $kind: status $rc, expected 125"
    echo "$out" | grep -q "pvmon: domain crash$kind (1) crashed" || die "crash $kind: no crash report"
    echo "$out" | grep -q "\[worker\] procs: pid 1 exit 11" || die "crash $kind: the worker did not finish"
    # A direct write is refused by pvmon where it traps, and is a page
    # fault the guest does not handle where the pool is mapped read-only
    # (on the baseline pvmon's fault reporter names it).
    if [ $kind = ptwrite ] && [ $trap_ok = 1 ]; then
      echo "$out" | grep -q "page-table write .* rejected" || die "crash ptwrite: pvmon did not reject the write"
    elif [ $kind = ptwrite ]; then
      echo "$out" | grep -q "#PF (vector 14) error 0x[0-9a-f]*[2367abef] .* not handled by the guest" ||
        die "crash ptwrite: the write did not fault"
    fi
  done
  # Touching the given-back frame faults: a page fault pvos cannot handle,
  # reported by pvmon on the baseline and under the fast path alike.
  echo "$out" | grep -q "page-table write .* rejected\|#PF (vector 14) .* not handled by the guest" \
    || die "no reason in the crash report"
  unset PVLAB_POOL_SLOT
}
for s in $slots; do run_mm $s; done
echo PASS
