# Where pvbench run measures each cell, with a stand-in for the nested
# AMD-V host (PVBENCH_NESTED: it runs the command here and says it is an
# AMD-V host with nested paging, as scripts/nested-svm.sh's L1 would) and a
# stub platform driver: pvos moves to the nested host where this host has
# no KVM, pv (Linux PV) and fullvirt where its KVM is not VT-x/AMD-V, each
# with a native cell measured there as its baseline; a suite may name an
# environment (pvos@nested-svm); the cells of a nested environment share one boot per
# round; --no-nested keeps them here; a nested host that cannot be made
# or is not what the cells need makes them unsupported, with why.
# tests/integration/pvbench_nested_svm.sh runs the real nested host.
. tests/lib.sh
PVBENCH=$BIN/pvbench
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
[ -z "${PVLAB_NESTED:-}" ] || skip "inside the nested host: pvbench makes no nested host there"
q() { sqlite3 -cmd ".timeout 5000" "$1" "$2"; }

mkdir -p "$TMP/plat"
printf '#!/bin/sh\necho "ok qemu accel=kvm"\n' >"$TMP/plat/detect.sh"
printf '#!/bin/sh\nexit 0\n' >"$TMP/plat/image.sh"
cat >"$TMP/plat/run.sh" <<'S'
#!/bin/sh
echo "$*" >>"$STUB_CALLS"
echo "detail accel=kvm"
echo "sample metric=sort_ms unit=ms higher=0 value=20"
echo "sample metric=crc_ms unit=ms higher=0 value=40"
S
# the nested host: NPT=Y|N is what its kvm_amd says; FAKE_SKIP makes it
# unavailable; every boot is counted
cat >"$TMP/nested" <<'S'
#!/bin/bash
echo boot >>"$STUB_BOOTS"
[ -z "${FAKE_SKIP:-}" ] || { echo "SKIP: nested-svm: $FAKE_SKIP"; exit 77; }
while [ "$1" != -- ]; do shift; done; shift
PVLAB_NESTED=svm "$@" 2>&1 | sed "s/^pvbench-rep: env .*/pvbench-rep: env kvm=svm kvm_amd_npt=${NPT:-Y} l1_kernel=stub l1_cpus=1/"
S
chmod +x "$TMP/plat/"*.sh "$TMP/nested"
export PVBENCH_PLATFORMS_DIR=$TMP/plat PVBENCH_NESTED=$TMP/nested STUB_BOOTS=$TMP/boots STUB_CALLS=$TMP/calls

# without KVM: pvos, pv and fullvirt in the nested host with a native
# baseline there; native and uml here; hcall gets no baseline (native has
# none); pv (a Linux PV domain) goes where fullvirt goes
cat >"$TMP/s.suite" <<'S'
native,pvos cpu 1 reps=2
fullvirt cpu 1 reps=3 quick
pvos hcall 1 reps=1
native,pv dbench 1 reps=1
fullvirt lmbench 1 reps=1
S
need_without_kvm
without_kvm $PVBENCH run --suite "$TMP/s.suite" --db "$TMP/a.db" >"$TMP/out" 2>&1 || { cat "$TMP/out"; die "run without KVM"; }
cat "$TMP/out"
grep -q "pvos, pv and fullvirt cells run in the nested AMD-V host .*this host's KVM is missing" "$TMP/out" ||
  die "the run does not say where pvos, pv and fullvirt went"
# (the stand-in runs pvbench rep here, where KVM is hidden too: its pvos
# cells say so; the real nested host runs them; pv's stub driver runs)
want="native hardware cpu 2 done
native nested-svm cpu 3 done
pvos nested-svm cpu 2 unsupported
fullvirt nested-svm cpu 3 done
pvos nested-svm hcall 1 unsupported
native hardware dbench 1 done
native nested-svm dbench 1 done
pv nested-svm dbench 1 done
native nested-svm lmbench 1 unsupported
fullvirt nested-svm lmbench 1 unsupported"
got=$(q "$TMP/a.db" "SELECT platform, env, workload, reps, status FROM cells ORDER BY seq" | tr '|' ' ')
[ "$got" = "$want" ] || die "cells without KVM:
$got
want:
$want"
# a baseline whose cells cannot run is not run
[ "$(q "$TMP/a.db" "SELECT reason FROM cells WHERE platform = 'native' AND env = 'nested-svm' AND workload = 'lmbench'")" = \
  "the baseline of cells that cannot run here: none of this group's other cells runs in this nested host" ] ||
  die "native lmbench in the nested host, without a cell to compare: not said why"
# one boot per round for every nested cell of it: the probe, a warm-up
# round, three rounds of cpu, one of hcall, pv's dbench a warm-up and a
# round, none for lmbench
[ "$(wc -l <"$TMP/boots")" = 8 ] || die "$(wc -l <"$TMP/boots") boots of the nested host, want 8"
order=$(q "$TMP/a.db" "SELECT group_concat(c.platform || '@' || c.env || r.rep, ' ') FROM (SELECT * FROM reps ORDER BY ord) r JOIN cells c ON c.id = r.cell_id WHERE workload = 'cpu'")
[ "$order" = "native@hardware0 native@nested-svm0 pvos@nested-svm0 fullvirt@nested-svm0 native@hardware1 native@nested-svm1 fullvirt@nested-svm1 native@hardware2 native@nested-svm2 fullvirt@nested-svm2 native@nested-svm3 fullvirt@nested-svm3" ] ||
  die "cpu ran in the order $order"
# the nested cells say where they were measured, and what it was
d=$(q "$TMP/a.db" "SELECT detail FROM cells WHERE platform = 'fullvirt' AND workload = 'cpu'")
[[ $d == "nested=nested-svm kvm=svm kvm_amd_npt=Y l1_kernel=stub l1_cpus=1"*"accel=kvm" ]] || die "fullvirt's detail: $d"
[ "$(q "$TMP/a.db" "SELECT count(*) FROM samples s JOIN cells c ON c.id = s.cell_id WHERE c.env = 'nested-svm' AND c.platform = 'fullvirt' AND s.metric = 'sort_ms'")" = 3 ] ||
  die "fullvirt in the nested host: not 3 samples"

# a suite may name the environment; --no-nested keeps the rest here (pvos
# unsupported without KVM, with why); a cell named twice after placement
# is kept once
printf 'native,pvos,pvos@nested-svm cpu 1 reps=1\n' >"$TMP/n.suite"
without_kvm $PVBENCH run --suite "$TMP/n.suite" --db "$TMP/b.db" --no-nested >"$TMP/out" 2>&1 || { cat "$TMP/out"; die "--no-nested"; }
got=$(q "$TMP/b.db" "SELECT platform || '@' || env FROM cells ORDER BY seq" | tr '\n' ' ')
[ "$got" = "native@hardware pvos@hardware native@nested-svm pvos@nested-svm " ] || die "--no-nested: $got"
q "$TMP/b.db" "SELECT reason FROM cells WHERE platform = 'pvos' AND env = 'hardware'" | grep -q "^no usable KVM: " ||
  die "--no-nested: pvos here without its reason"
without_kvm $PVBENCH run --suite "$TMP/n.suite" --db "$TMP/c.db" >/dev/null 2>&1 || die "pvos and pvos@nested-svm"
[ "$(q "$TMP/c.db" "SELECT group_concat(platform || '@' || env, ' ') FROM cells")" = "native@hardware native@nested-svm pvos@nested-svm" ] ||
  die "pvos placed in the nested host and pvos@nested-svm: not one cell"
printf 'pv@bogus cpu 1\n' >"$TMP/bad.suite"
$PVBENCH run --suite "$TMP/bad.suite" --db "$TMP/d.db" 2>"$TMP/err"; [ $? = 2 ] || die "pv@bogus accepted"
grep -q "unknown environment '@bogus'" "$TMP/err" || die "pv@bogus: $(cat "$TMP/err")"

# a nested host that cannot be made, or that is not what the cells need:
# every nested cell unsupported with why, the others unaffected
printf 'native cpu 1 reps=1\npvos@nested-svm,pvos@nested-svm-shadow cpu 1 reps=1\n' >"$TMP/e.suite"
FAKE_SKIP="no SVM under TCG" $PVBENCH run --suite "$TMP/e.suite" --db "$TMP/e.db" >/dev/null 2>&1 || die "nested host that skips"
[ "$(q "$TMP/e.db" "SELECT count(*) FROM cells WHERE env LIKE 'nested%' AND status = 'unsupported' AND reason = 'no nested AMD-V host: nested-svm: no SVM under TCG'")" = 4 ] ||
  die "no nested host: $(q "$TMP/e.db" "SELECT platform, env, status, reason FROM cells")"
[ "$(q "$TMP/e.db" "SELECT status FROM cells WHERE env = 'hardware'")" = done ] || die "no nested host: the native cell"
$PVBENCH run --suite "$TMP/e.suite" --db "$TMP/f.db" >/dev/null 2>&1 || die "nested host with nested paging"
q "$TMP/f.db" "SELECT reason FROM cells WHERE env = 'nested-svm-shadow' AND platform = 'pvos'" |
  grep -q "^the nested host's kvm_amd has npt=Y; nested-svm-shadow needs npt=N" || die "npt=Y taken for the shadow-paging host"
# (the stand-in runs pvos here: without KVM it is unsupported, with why)
want=done,done; [ -c /dev/kvm ] || want=done,unsupported
[ "$(q "$TMP/f.db" "SELECT group_concat(status) FROM (SELECT status FROM cells WHERE env = 'nested-svm' ORDER BY seq)")" = $want ] ||
  die "nested-svm cells: $(q "$TMP/f.db" "SELECT platform, status, reason FROM cells WHERE env = 'nested-svm'")"
if [ -c /dev/kvm ]; then
  # pvos measured in the (stand-in) nested host: its samples, pvmon's
  # accounting and where it ran
  d=$(q "$TMP/f.db" "SELECT detail FROM cells WHERE platform = 'pvos' AND env = 'nested-svm'")
  [[ $d == "nested=nested-svm kvm=svm kvm_amd_npt=Y l1_kernel=stub l1_cpus=1 "*" memory_mib=32" ]] || die "pvos@nested-svm's detail: $d"
  [ "$(q "$TMP/f.db" "SELECT count(*) FROM samples s JOIN cells c ON c.id = s.cell_id WHERE c.env = 'nested-svm' AND c.platform = 'pvos' AND s.metric LIKE '%\_ms' ESCAPE '\\'")" -ge 9 ] ||
    die "pvos@nested-svm: not every kernel's sample"
  [ "$(q "$TMP/f.db" "SELECT count(*) FROM domain_stats d JOIN cells c ON c.id = d.cell_id WHERE c.env = 'nested-svm' AND hypercalls > 0")" = 1 ] ||
    die "pvos@nested-svm: no pvmon statistics"

  # this host's own KVM: pvos's hcall where pvos runs (here), pv's cpu (a
  # Linux PV domain, run.sh linuxpv) here on VT-x/AMD-V, else in the
  # nested host beside a native baseline measured there
  printf 'pvos hcall 1 reps=1\npv cpu 1 reps=1\n' >"$TMP/g.suite"
  : >"$TMP/calls"
  $PVBENCH run --suite "$TMP/g.suite" --db "$TMP/g.db" >"$TMP/out" 2>&1 || { cat "$TMP/out"; die "pvos hcall, pv cpu"; }
  case $("$BIN/pvmon" info | sed -n 's/^kvm: backend \([a-z]*\).*/\1/p') in
    vmx|svm) want="pvos@hardware:hcall:done pv@hardware:cpu:done" ;;
    *) want="pvos@hardware:hcall:done native@nested-svm:cpu:done pv@nested-svm:cpu:done" ;;
  esac
  got=$(q "$TMP/g.db" "SELECT group_concat(platform || '@' || env || ':' || workload || ':' || status, ' ') FROM (SELECT * FROM cells ORDER BY seq)")
  [ "$got" = "$want" ] || die "pvos hcall and pv cpu placed as '$got', not '$want'"
  grep -qx "linuxpv cpu" "$TMP/calls" || die "pv cpu did not run through run.sh linuxpv: $(cat "$TMP/calls")"
fi
echo PASS
