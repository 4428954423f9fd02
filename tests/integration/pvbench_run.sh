# pvbench run end to end on a tiny suite into a temporary results.db: real
# native and pvos cells, a stub platform driver (in $TMP, through
# PVBENCH_PLATFORMS_DIR) for fullvirt, uml and pv (the contract's
# linuxpv), unsupported cells recorded
# with their reason, usage errors, --new.
. tests/lib.sh
PVBENCH=$BIN/pvbench
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
q() { sqlite3 -cmd ".timeout 5000" "$TMP/r.db" "$1"; }

# A stand-in for bench/platforms/ that follows the platform contract.
mkdir -p "$TMP/plat"
cat > "$TMP/plat/detect.sh" <<'S'
#!/bin/sh
case $1 in
  fullvirt) echo "ok qemu accel=kvm";;
  linuxpv) echo "unsupported linux pv: no (the stub's host)"; exit 3;;
  *) echo "unsupported linux.uml is not installed"; exit 3;;
esac
S
cat > "$TMP/plat/image.sh" <<'S'
#!/bin/sh
echo "image for $1 ready" >&2
S
cat > "$TMP/plat/run.sh" <<'S'
#!/bin/sh
[ "$2" = httperf ] && { echo "sample metric=half unit=x higher=1 value=1"; echo "the server did not start" >&2; exit 1; }
[ "$2" = cpu ] || { echo "unsupported $2 is not in this stub"; exit 3; }
echo "booting" >&2
n=$(($(cat "$PVBENCH_PLATFORMS_DIR/calls" 2>/dev/null || echo 0) + 1)); echo $n > "$PVBENCH_PLATFORMS_DIR/calls"
echo "detail accel=kvm"
echo "detail boot_s=1.$n"
echo "sample metric=sort_ms unit=ms higher=0 value=12.5"
echo "sample metric=crc_ms unit=ms higher=0 value=30"
S
chmod +x "$TMP/plat/"*.sh
export PVBENCH_PLATFORMS_DIR=$TMP/plat

cat > "$TMP/tiny.suite" <<'S'
reps 2
native cpu 1,2
pvos cpu 1 reps=1
pvos hcall 1 reps=1
native hcall 1
fullvirt,uml cpu 1 quick
fullvirt dbench 1
fullvirt httperf 1
pv httperf 1
pv cpu 1 reps=1
pvos pgbench-ro 1
S

# usage errors: exit 2 with one line
$PVBENCH run 2>/dev/null; [ $? -eq 2 ] || die "no --suite: status not 2"
$PVBENCH run --no-nested --suite nosuch --db "$TMP/r.db" 2>"$TMP/err"; [ $? -eq 2 ] || die "unknown suite: status not 2"
grep -q "no suite 'nosuch'" "$TMP/err" || die "unknown suite: $(cat "$TMP/err")"
printf 'native cpu 1\nnative cpu 1\n' > "$TMP/dup.suite"
$PVBENCH run --no-nested --suite "$TMP/dup.suite" --db "$TMP/r.db" 2>"$TMP/err"; [ $? -eq 2 ] || die "duplicate cell accepted"
grep -q "dup.suite:2: native cpu 1 is already listed on line 1" "$TMP/err" || die "duplicate: $(cat "$TMP/err")"
$PVBENCH run --no-nested --suite "$TMP/tiny.suite" --platforms xen --db "$TMP/r.db" 2>/dev/null; [ $? -eq 2 ] || die "--platforms xen accepted"
$PVBENCH run --no-nested --suite "$TMP/tiny.suite" --reps 0 --db "$TMP/r.db" 2>/dev/null; [ $? -eq 2 ] || die "--reps 0 accepted"
[ ! -e "$TMP/r.db" ] || die "a usage error created the database"

$PVBENCH run --no-nested --suite "$TMP/tiny.suite" --db "$TMP/r.db" --counters > "$TMP/out" 2>&1 || { cat "$TMP/out"; die "pvbench run failed"; }
cat "$TMP/out"
grep -q "pvbench: \[1/12\] native cpu x1" "$TMP/out" || die "no plain progress lines"
grep -q "run 1 finished" "$TMP/out" || die "run did not finish"

[ "$(q "SELECT count(*) FROM cells")" = 12 ] || die "not every cell recorded"
[ "$(q "SELECT count(*) FROM cells WHERE status IN ('pending','running')")" = 0 ] ||
  die "cells left: $(q "SELECT platform, workload, status, reason FROM cells WHERE status <> 'done'")"
# a failing repetition fails its cell, with the driver's last words, and the run goes on
[ "$(q "SELECT status || ': ' || reason FROM cells WHERE workload = 'httperf' AND platform = 'fullvirt'")" = \
  "failed: bench/platforms/run.sh exited with status 1: the server did not start" ] ||
  die "fullvirt httperf: $(q "SELECT status, reason FROM cells WHERE workload = 'httperf' AND platform = 'fullvirt'")"
[ "$(q "SELECT count(*) FROM samples JOIN cells ON cells.id = cell_id WHERE workload = 'httperf'")" = 0 ] ||
  die "a failed repetition left samples"
[ "$(q "SELECT count(*) FROM cells WHERE status = 'failed'")" = 1 ] || die "other cells failed"
# native: two processes, nine kernels each, per-process and aggregate throughput
nk=$(q "SELECT count(DISTINCT metric) FROM samples JOIN cells ON cells.id = cell_id WHERE platform = 'native' AND domains = 2 AND metric LIKE '%\_ms' ESCAPE '\\'")
[ "$nk" -ge 6 ] || die "native cpu: only $nk kernel metrics"
[ "$(q "SELECT count(*) FROM samples JOIN cells ON cells.id = cell_id WHERE platform = 'native' AND domains = 2 AND metric = 'passes_per_s'")" = 4 ] ||
  die "native cpu x2: want passes_per_s for 2 processes x 2 repetitions"
[ "$(q "SELECT count(*) FROM samples JOIN cells ON cells.id = cell_id WHERE platform = 'native' AND domains = 2 AND metric = 'aggregate_passes_per_s' AND instance = 0 AND derived = 1 AND value > 0")" = 2 ] ||
  die "native cpu x2: no aggregate throughput"
# the stub platform: samples, detail, unsupported with the reason
# a detail that differs between repetitions keeps every repetition's value
# (call 1 of the stub was the platform's warm-up); each repetition has its own
[ "$(q "SELECT status || ' ' || detail FROM cells WHERE platform = 'fullvirt' AND workload = 'cpu'")" = "done qemu accel=kvm boot_s=1.2,1.3" ] ||
  die "fullvirt cpu: $(q "SELECT status, reason, detail FROM cells WHERE platform = 'fullvirt' AND workload = 'cpu'")"
[ "$(q "SELECT group_concat(detail, ' | ') FROM (SELECT r.detail FROM reps r JOIN cells c ON c.id = r.cell_id WHERE platform = 'fullvirt' AND workload = 'cpu' ORDER BY ord)")" = \
  "accel=kvm boot_s=1.1 | accel=kvm boot_s=1.2 | accel=kvm boot_s=1.3" ] || die "fullvirt cpu: the repetitions' own details"
# the cells of one workload and domain count run round-robin after one
# warm-up per platform (rep 0, samples not kept); the order is recorded
order=$(q "SELECT group_concat(platform || r.rep, ' ') FROM (SELECT * FROM reps ORDER BY ord) r JOIN cells c ON c.id = r.cell_id WHERE workload = 'cpu' AND domains = 1")
want="native0 pvos0 fullvirt0 native1 pvos1 fullvirt1 native2 fullvirt2"
[ -c /dev/kvm ] || want="native0 fullvirt0 native1 fullvirt1 native2 fullvirt2"
[ "$order" = "$want" ] || die "cpu x1 ran in the order '$order', not '$want'"
[ "$(q "SELECT group_concat(r.rep, ' ') FROM reps r JOIN cells c ON c.id = r.cell_id WHERE platform = 'native' AND domains = 2")" = "1 2" ] ||
  die "native cpu x2: warmed up again"
[ "$(q "SELECT count(*) FROM samples WHERE rep = 0")" = 0 ] || die "a warm-up's samples were kept"
[ "$(q "SELECT count(*) FROM reps WHERE status = 'failed' AND reason LIKE '%the server did not start'")" = 1 ] ||
  die "the failed repetition is not in reps with its reason"
[ "$(q "SELECT count(*) FROM samples JOIN cells ON cells.id = cell_id WHERE platform = 'fullvirt'")" = 4 ] || die "fullvirt samples"
[ "$(q "SELECT reason FROM cells WHERE platform = 'uml'")" = "linux.uml is not installed" ] || die "uml: reason lost"
[ "$(q "SELECT reason FROM cells WHERE platform = 'fullvirt' AND workload = 'dbench'")" = "dbench is not in this stub" ] || die "fullvirt dbench: reason lost"
[ "$(q "SELECT status FROM cells WHERE platform = 'native' AND workload = 'hcall'")" = unsupported ] || die "native hcall"
# pv (Linux PV, every workload through the contract as linuxpv): the
# stub's detect.sh answer for cpu as for httperf, KVM or not
want="unsupported: linux pv: no (the stub's host)"
for w in httperf cpu; do
  [ "$(q "SELECT status || ': ' || reason FROM cells WHERE platform = 'pv' AND workload = '$w'")" = "$want" ] ||
    die "pv $w: $(q "SELECT status || ': ' || reason FROM cells WHERE platform = 'pv' AND workload = '$w'")"
done
# --counters: libpvcounters around every workload process (software events without a PMU)
[ "$(q "SELECT count(DISTINCT rep) FROM counters JOIN cells ON cells.id = cell_id WHERE platform = 'native' AND domains = 2 AND name = 'task-clock' AND value > 0")" = 2 ] ||
  die "--counters: no task-clock for native cpu x2"
[ -n "$(q "SELECT note FROM counters LIMIT 1")" ] || die "--counters: no note on the counter set"
[ -n "$(q "SELECT cpu_model FROM runs WHERE id = 1 AND cores > 0 AND mem_mib > 0 AND pvlab_version <> ''")" ] || die "host facts"
if [ -c /dev/kvm ]; then
  [ "$(q "SELECT status FROM cells WHERE platform = 'pvos' AND workload = 'cpu'")" = done ] ||
    die "pvos cpu: $(q "SELECT reason FROM cells WHERE platform = 'pvos' AND workload = 'cpu'")"
  [ "$(q "SELECT count(*) FROM domain_stats JOIN cells ON cells.id = cell_id WHERE workload = 'cpu' AND hypercalls > 0 AND run_ns > 0")" = 1 ] ||
    die "pvos cpu: no pvmon statistics"
  for m in null_hcall_ns multicall_b256_ns raw_exit_ns; do
    [ -n "$(q "SELECT 1 FROM samples JOIN cells ON cells.id = cell_id WHERE workload = 'hcall' AND metric = '$m' AND value > 0")" ] || die "pvos hcall: no $m"
  done
  # a workload that needs Linux: pvos says so in one line, pointing to pv
  [ "$(q "SELECT status || ': ' || reason FROM cells WHERE platform = 'pvos' AND workload = 'pgbench-ro'")" = \
    "unsupported: pgbench-ro needs Linux (pvos has no TCP/IP stack or block devices): the pv platform runs it in a Linux PV domain" ] ||
    die "pvos pgbench-ro: $(q "SELECT status, reason FROM cells WHERE platform = 'pvos' AND workload = 'pgbench-ro'")"
else
  [ -n "$(q "SELECT 1 FROM cells WHERE platform = 'pvos' AND workload = 'cpu' AND status = 'unsupported' AND reason LIKE '%KVM%'")" ] ||
    die "pvos without KVM: not unsupported with the reason"
fi

# a finished run is not resumed: the same command starts run 2; so does --new
$PVBENCH run --no-nested --suite "$TMP/tiny.suite" --db "$TMP/r.db" --platforms fullvirt >/dev/null || die "second run"
[ "$(q "SELECT count(*) FROM runs")" = 2 ] || die "no second run"
[ "$(q "SELECT count(*) FROM cells WHERE run_id = 2")" = 3 ] || die "--platforms fullvirt: want 3 cells"
# a damaged results database: the run stops with SQLite's reason and the file's name
cp "$TMP/r.db" "$TMP/damaged.db"
damage_table "$TMP/damaged.db" samples
damage_table "$TMP/damaged.db" samples_cell
$PVBENCH run --no-nested --suite "$TMP/tiny.suite" --db "$TMP/damaged.db" --platforms fullvirt >/dev/null 2>"$TMP/err"; rc=$?
cat "$TMP/err"
[ $rc = 1 ] || die "damaged database: status $rc, not 1"
[ "$(wc -l < "$TMP/err")" = 1 ] && grep -q "^pvbench: $TMP/damaged.db: .*database disk image is malformed" "$TMP/err" ||
  die "damaged database: not one line with the file and SQLite's reason"
echo PASS
