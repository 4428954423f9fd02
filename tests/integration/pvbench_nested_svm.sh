# timeout: 900
# lane: 2 nokvm
# The issue's host, end to end: pvbench run and report on a host without
# /dev/kvm (scripts/without-kvm.sh). The pvos cells run in the real nested
# AMD-V host (scripts/nested-svm.sh: QEMU TCG, kvm_amd, nested paging)
# with a native cell measured there as their baseline, are stored as
# measured there (cells.env), and the report divides them by that native
# only, labelled emulated; native runs here, lmbench's native rows too.
. tests/lib.sh
PVBENCH=$BIN/pvbench
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
[ -z "${PVLAB_NESTED:-}" ] || skip "inside the nested host already"
need_without_kvm
q() { sqlite3 "$TMP/r.db" "$1"; }
cat >"$TMP/s.suite" <<'S'
native,pvos cpu 1 reps=2
pvos hcall 1 reps=2
native,pvos lmbench 1 reps=1
S
without_kvm $PVBENCH run --suite "$TMP/s.suite" --db "$TMP/r.db" >"$TMP/out" 2>&1 || { cat "$TMP/out"; die "pvbench run failed"; }
cat "$TMP/out"
why=$(q "SELECT reason FROM cells WHERE env = 'nested-svm' AND reason LIKE 'no nested AMD-V host:%' LIMIT 1")
[ -z "$why" ] || skip "$why"
got=$(q "SELECT platform || '@' || env || ' ' || workload || ' ' || status FROM cells ORDER BY seq" | tr '\n' ',')
[ "$got" = "native@hardware cpu done,native@nested-svm cpu done,pvos@nested-svm cpu done,pvos@nested-svm hcall done,native@hardware lmbench done,native@nested-svm lmbench done,pvos@nested-svm lmbench done," ] ||
  die "cells: $got ($(q "SELECT platform, env, reason FROM cells WHERE status <> 'done'"))"
# what the nested host was, and what pvos measured there
q "SELECT detail FROM cells WHERE platform = 'pvos' AND workload = 'cpu'" |
  grep -q "^nested=nested-svm kvm=svm kvm_amd_npt=Y l1_kernel=[^ ]* l1_cpus=[0-9]* .*memory_mib=32" ||
  die "pvos cpu's detail: $(q "SELECT detail FROM cells WHERE platform = 'pvos' AND workload = 'cpu'")"
[ "$(q "SELECT count(*) FROM domain_stats d JOIN cells c ON c.id = d.cell_id WHERE c.env = 'nested-svm' AND workload = 'cpu' AND hypercalls > 0")" = 2 ] ||
  die "pvos cpu: no pvmon statistics from the nested host"
for m in null_hcall_ns raw_exit_ns; do
  [ "$(q "SELECT count(*) FROM samples s JOIN cells c ON c.id = s.cell_id WHERE workload = 'hcall' AND metric = '$m' AND value > 0")" = 2 ] ||
    die "pvos hcall in the nested host: no $m in each repetition"
done
# lmbench: native rows here without KVM, both sides in the nested host
# from one measurement
[ "$(q "SELECT count(*) FROM samples s JOIN cells c ON c.id = s.cell_id WHERE workload = 'lmbench' AND env = 'hardware' AND instance = 1")" = 8 ] ||
  die "native lmbench here: not 8 rows"
[ "$(q "SELECT count(DISTINCT r.wall_s) FROM reps r JOIN cells c ON c.id = r.cell_id WHERE workload = 'lmbench' AND env = 'nested-svm' AND rep = 1")" = 1 ] ||
  die "lmbench in the nested host: native and pvos not one measurement"
# the report: pvos against the nested native, labelled, never against this host's
$PVBENCH report --db "$TMP/r.db" --out "$TMP/rep" >"$TMP/rout" 2>&1 || { cat "$TMP/rout"; die "report failed"; }
cat "$TMP/rep/relative.txt"
grep -Eq "^cpu +pvos \[emulated AMD-V\] +[0-9.]+\*? +2/2$" "$TMP/rep/relative.txt" || die "relative.txt: no emulated pvos cpu row"
! grep -Eq "^cpu +pvos +[0-9]" "$TMP/rep/relative.txt" || die "relative.txt: pvos set against this host's native"
grep -q "never divided by this host's hardware native" "$TMP/rep/index.html" || die "index.html does not say how emulated cells are compared"
grep -q "pvos \[emulated AMD-V\]" "$TMP/rep/index.html" || die "index.html: no emulated label"
echo PASS
