# pvbench lmbench's native rows need no KVM: on a host without /dev/kvm
# (scripts/without-kvm.sh) every row has its native value and the pvos side
# says why it did not run; in pvbench run the native lmbench cell is done
# there and the pvos one unsupported with that reason. Where KVM is usable,
# the native and pvos cells of one repetition come from one pvbench lmbench
# run (measured_with=, the same wall time), not from two runs. The Linux PV
# column, with no KVM here and no nested host (PVBENCH_NESTED names none),
# says why it did not run, in the text and in --json.
. tests/lib.sh
PVBENCH=$BIN/pvbench
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
need_without_kvm
q() { sqlite3 "$1" "$2"; }
rows="null_syscall ctx_switch page_fault prot_fault mmap_16m fork_exit fork_exec pipe_bw"

export PVBENCH_NESTED=$TMP/no-nested-host
out=$(without_kvm $PVBENCH lmbench --quick) || die "pvbench lmbench without /dev/kvm failed"
echo "$out"
echo "$out" | grep -q "^pvbench lmbench (scale 1, --quick; native only: no usable KVM: /dev/kvm not found" ||
  die "no word on why pv did not run"
echo "$out" | grep -q "^Linux PV: not run: this host: linux pv: no (no KVM: .*); $TMP/no-nested-host is missing$" ||
  die "no word on why the Linux PV column did not run"
for r in $rows; do
  echo "$out" | grep -Eq "^  $r +[0-9]+ [a-zMB/s]+ +- +pv not run \(above\)$" || die "row $r: no native value"
done
json=$(without_kvm $PVBENCH lmbench --quick --json) || die "--json without /dev/kvm failed"
echo "$json" | grep -q '"raw_exit_ns": null,' || die "--json: the raw exit is not null"
echo "$json" | grep -q '"name": "fork_exec", "unit": "us", "native": [0-9]*, "pv_unsupported": "no usable KVM: ' ||
  die "--json: fork_exec lacks its native value or the pv reason"
echo "$json" | grep -q '"build16m": null' || die "--json: build16m is not null"
echo "$json" | grep -q '"linux": {"unsupported": "this host: linux pv: no (no KVM: ' || die "--json: the Linux PV part lacks its reason"
unset PVBENCH_NESTED

printf 'native,pvos lmbench 1 reps=2\n' >"$TMP/lm.suite"
without_kvm $PVBENCH run --suite "$TMP/lm.suite" --db "$TMP/nokvm.db" --no-nested >"$TMP/out" 2>&1 ||
  { cat "$TMP/out"; die "pvbench run without /dev/kvm failed"; }
[ "$(q "$TMP/nokvm.db" "SELECT status FROM cells WHERE platform = 'native'")" = done ] ||
  die "native lmbench without KVM: $(q "$TMP/nokvm.db" "SELECT status, reason FROM cells WHERE platform = 'native'")"
[ "$(q "$TMP/nokvm.db" "SELECT count(*) FROM samples WHERE instance = 1")" = 16 ] ||
  die "native lmbench without KVM: want 8 rows x 2 repetitions"
q "$TMP/nokvm.db" "SELECT status || ': ' || reason FROM cells WHERE platform = 'pvos'" | grep -q "^unsupported: no usable KVM: " ||
  die "pvos lmbench without KVM: $(q "$TMP/nokvm.db" "SELECT status, reason FROM cells WHERE platform = 'pvos'")"

if [ -c /dev/kvm ]; then
  $PVBENCH run --suite "$TMP/lm.suite" --db "$TMP/kvm.db" >"$TMP/out" 2>&1 || { cat "$TMP/out"; die "pvbench run failed"; }
  [ "$(q "$TMP/kvm.db" "SELECT group_concat(status) FROM cells")" = "done,done" ] ||
    die "lmbench cells: $(q "$TMP/kvm.db" "SELECT platform, status, reason FROM cells")"
  # one measurement per repetition: the two cells' repetitions share it
  [ "$(q "$TMP/kvm.db" "SELECT count(DISTINCT wall_s) FROM reps WHERE rep > 0")" = 2 ] ||
    die "the native and pvos repetitions do not share their measurements"
  [ "$(q "$TMP/kvm.db" "SELECT group_concat(detail, ' | ') FROM (SELECT c.platform || ': ' || c.detail AS detail FROM cells c ORDER BY seq)")" = \
    "native: host_kernel=$(uname -r) measured_with=pvos | pvos: $(q "$TMP/kvm.db" "SELECT detail FROM cells WHERE platform = 'pvos'" | sed 's/ measured_with=native$//') measured_with=native" ] ||
    die "cell details: $(q "$TMP/kvm.db" "SELECT platform, detail FROM cells")"
  [ "$(q "$TMP/kvm.db" "SELECT count(*) FROM samples s JOIN cells c ON c.id = s.cell_id WHERE c.platform = 'pvos' AND metric LIKE 'mmu_update_b%'")" = 8 ] ||
    die "pvos lmbench: want the mmu_update batches of both repetitions"
fi
echo PASS
