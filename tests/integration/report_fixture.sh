# pvbench report on the fixture database (a real short run, see
# tests/fixtures/README.md) produces every plot as PNG and SVG and one
# self-contained index.html with them embedded, the host facts, the
# unsupported cells with their reasons, and the cells measured in the
# nested AMD-V host beside, never divided by, this host's hardware.
. tests/lib.sh
PVBENCH=$BIN/pvbench
FIX=tests/fixtures/fixture.db
command -v Rscript >/dev/null || skip "R is not installed (r-base-core; make deps)"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
Rscript -e 'for (p in c("ggplot2", "RSQLite", "DBI")) if (!requireNamespace(p, quietly = TRUE)) quit(status = 1)' 2>/dev/null ||
  skip "R packages ggplot2/RSQLite/DBI missing (r-cran-ggplot2 r-cran-rsqlite; make deps)"

$PVBENCH report 2>/dev/null; [ $? -eq 2 ] || die "no --db: status not 2"
$PVBENCH report --db "$TMP/none.db" --out "$TMP/x" 2>"$TMP/err"; [ $? -eq 1 ] || die "missing db: status not 1"
grep -q "cannot read" "$TMP/err" || die "missing db: $(cat "$TMP/err")"
echo "not a database" > "$TMP/bad.db"
$PVBENCH report --db "$TMP/bad.db" --out "$TMP/x" 2>"$TMP/err" && die "a text file made a report"
# a damaged database: one line naming the file and what SQLite found
cp $FIX "$TMP/damaged.db"
damage_table "$TMP/damaged.db" cells
$PVBENCH report --db "$TMP/damaged.db" --out "$TMP/x" 2>"$TMP/err"; rc=$?
cat "$TMP/err"
[ $rc -eq 1 ] || die "damaged database: status $rc, not 1"
[ "$(wc -l < "$TMP/err")" = 1 ] && grep -q "damaged.db: cannot read it: database disk image is malformed" "$TMP/err" ||
  die "damaged database: not one line naming the file and the damage"
$PVBENCH report --db $FIX --out "$TMP/x" --run 99 2>"$TMP/err" && die "--run 99 made a report"
grep -q "no run 99" "$TMP/err" || die "--run 99: $(cat "$TMP/err")"

cp $FIX "$TMP/fixture.db"
sum=$(md5sum < "$TMP/fixture.db")
$PVBENCH report --db "$TMP/fixture.db" --out "$TMP/rep" > "$TMP/out" 2>&1 || { cat "$TMP/out"; die "report failed"; }
cat "$TMP/out"
grep -q "wrote .*/rep/index.html and relative.txt" "$TMP/out" || die "no path printed"
[ "$(md5sum < "$TMP/fixture.db")" = "$sum" ] || die "the report changed the database"
for p in relative scaling scaling-per-domain hcall hcall-trace; do
  [ "$(head -c 8 "$TMP/rep/$p.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || die "$p.png is not a PNG"
  [ "$(stat -c %s "$TMP/rep/$p.png")" -gt 10000 ] || die "$p.png is nearly empty"
  grep -q "<svg" "$TMP/rep/$p.svg" || die "$p.svg is not SVG"
done
html=$TMP/rep/index.html
[ "$(grep -o 'src="data:image/png;base64,' "$html" | wc -l)" -eq 5 ] || die "index.html does not embed the 5 plots"
! grep -q 'src="[^d]' "$html" || die "index.html refers to outside files"
for s in "Host and run" "Relative performance" "Scaling" "Hypercalls" "lmbench" "pvmon's accounting" \
         "Welch" "Not supported or failed" "paper (SOSP 2003)" "Counters" "Where the cells were measured" \
         "are never divided by this host's hardware native" "Pairs are drawn within one environment only"; do
  grep -q "$s" "$html" || die "index.html lacks '$s'"
done
# per figure: how many repetitions ran and in which order (the fixture's
# cells ran interleaved, after warm-ups), and why an interval is missing
# (each environment's cells apart: their ratios are to their own native)
emu="[emulated AMD-V]"
# (the fixture is of schema version 4: its pv cells of cpu, hcall and
# lmbench ran pvos, and the report names them so)
for fig in "<b>cpu</b>: Repetitions: native 5, pvos 5, uml 2; interleaved, rounds 1-2: native, pvos, uml; rounds 3-5: native, pvos; before them a warm-up repetition of native, pvos, uml" \
           "<b>cpu</b> (emulated: nested AMD-V host (QEMU TCG, kvm_amd, nested paging)): Repetitions: native $emu 5, pvos $emu 5, fullvirt $emu 2; interleaved, rounds 1-2: native $emu, pvos $emu, fullvirt $emu; rounds 3-5: native $emu, pvos $emu" \
           "<b>N = 4</b>: Repetitions: native 3, pvos 3; interleaved, rounds 1-3: native, pvos" \
           "Repetitions: pvos 8, pvos $emu 3; interleaved, rounds 1-3: pvos, pvos $emu; rounds 4-8: pvos"; do
  grep -qF "$fig" "$html" || die "no '$fig' in index.html"
done
grep -q '<td>uml</td><td>this host.s hardware</td><td class="n">[0-9.]*</td><td class="n"></td><td class="n"></td><td>2 repetitions: an interval needs 5 on each side</td>' "$html" ||
  die "no reason for uml's missing interval"
for where in "this host.s hardware" "emulated: nested AMD-V host (QEMU TCG, kvm_amd, nested paging)"; do
  grep -q "<td>pvos</td><td>$where</td><td class=\"n\">[0-9.]*</td><td class=\"n\">[0-9.]*</td><td class=\"n\">[0-9.]*</td><td></td>" "$html" ||
    die "pvos cpu ($where, 5 repetitions a side) has no interval"
done
# the closing note's table: the emulated cells labelled, and in their own rows
rel=$TMP/rep/relative.txt
for row in "cpu +native +1 +5/5" "cpu +pvos +[0-9.]+\*? +\[[0-9.]+, [0-9.]+\] +5/5" "cpu +pvos \[emulated AMD-V\] +[0-9.]+\*? +\[[0-9.]+, [0-9.]+\] +5/5" \
           "cpu +fullvirt \[emulated AMD-V\] +[0-9.]+\*? +2/5" "dbench +fullvirt \[emulated AMD-V\] +[0-9.]+\*? +2/2"; do
  grep -Eq "^$row$" "$rel" || die "relative.txt has no row '$row': $(cat "$rel")"
done
! grep -Eq "^[a-z-]+ +fullvirt +[0-9]" "$rel" || die "relative.txt: fullvirt (nested) set against this host's native"
! grep -Eq "^(cpu|hcall|lmbench) +pv( |$)" "$rel" || die "relative.txt: pvos's cells of schema version 4 named pv"
# the pvos column: the CPU scaling table and the lmbench table, labelled as
# pvlab's own kernel; pv (Linux PV) keeps the paper's X
grep -q "<th>pvos passes/s</th>" "$html" && grep -q "<th>pvos/native</th>" "$html" || die "index.html: no pvos scaling column"
grep -q "<th>pvos</th>" "$html" && grep -q "<th>pv/native</th>" "$html" || die "index.html: lmbench has no pv and pvos columns"
grep -q "pvlab's own small paravirtual kernel under pvmon, not XenoLinux" "$html" || die "index.html: pvos not labelled"
grep -q "<h2>Hypercalls (pvos)</h2>" "$html" || die "index.html: the hypercall section is not pvos's"
# opened by pvbench (here: a run of one cell that is unsupported at
# once), the same database is migrated to schema version 6: the same
# report of the fixture's run from its renamed rows
cp $FIX "$TMP/v6.db"
printf 'native hcall 1 reps=1\n' >"$TMP/none.suite"
$PVBENCH run --no-nested --suite "$TMP/none.suite" --db "$TMP/v6.db" >/dev/null 2>&1 || die "a run in a copy of the fixture"
[ "$(sqlite3 "$TMP/v6.db" "SELECT max(version) FROM schema_version")" = 6 ] || die "pvbench did not migrate the copy"
[ "$(sqlite3 "$TMP/v6.db" "SELECT group_concat(DISTINCT platform || ' ' || workload) FROM (SELECT * FROM cells WHERE platform LIKE 'pv%' ORDER BY platform, workload)")" = \
  "pv dbench,pvos cpu,pvos hcall,pvos lmbench" ] || die "migration: $(sqlite3 "$TMP/v6.db" "SELECT DISTINCT platform, workload FROM cells")"
$PVBENCH report --db "$TMP/v6.db" --out "$TMP/rep6" --run "$(sqlite3 $FIX "SELECT max(id) FROM runs")" >/dev/null 2>&1 ||
  die "report of the migrated database failed"
diff <(sed 's/[0-9.]*//g' "$rel") <(sed 's/[0-9.]*//g' "$TMP/rep6/relative.txt") >/dev/null ||
  die "the migrated database reads otherwise: $(diff "$rel" "$TMP/rep6/relative.txt")"
# a database from before schema version 3 (no reps table): the order is said to be unknown
cp $FIX "$TMP/v2.db"
sqlite3 "$TMP/v2.db" "DROP TABLE reps; DELETE FROM schema_version WHERE version = 3"
$PVBENCH report --db "$TMP/v2.db" --out "$TMP/rep2" >/dev/null 2>&1 || die "report of a version-2 database failed"
grep -qF "Repetitions: native 5, pvos 5, uml 2; their order was not recorded" "$TMP/rep2/index.html" ||
  die "version 2: the order is not said to be unrecorded"
# a database from before schema version 4: its fullvirt cells ran under
# TCG on the host, and get no ratio to the hardware native
cp tests/fixtures/fixture-v3.db "$TMP/v3.db"
$PVBENCH report --db "$TMP/v3.db" --out "$TMP/rep3" >/dev/null 2>&1 || die "report of a version-3 database failed"
grep -qF "No ratio (no native measured in the same environment; an emulated figure is never divided by a hardware one): cpu on fullvirt [emulated, TCG], dbench on fullvirt [emulated, TCG]" "$TMP/rep3/index.html" ||
  die "version 3: TCG fullvirt not listed without a ratio"
! grep -q "fullvirt" "$TMP/rep3/relative.txt" || die "version 3: TCG fullvirt divided by the hardware native"
# host facts and the unsupported cells with their reasons, from the database
cpu=$(sqlite3 $FIX "SELECT cpu_model FROM runs ORDER BY id DESC LIMIT 1")
grep -qF "$cpu" "$html" || die "CPU model missing"
n=$(sqlite3 $FIX "SELECT count(*) FROM cells WHERE status <> 'done' AND run_id = (SELECT max(id) FROM runs)")
[ "$n" -gt 0 ] || die "the fixture has no unsupported cell to show"
sqlite3 $FIX "SELECT DISTINCT reason FROM cells WHERE status <> 'done'" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g' |
  while IFS= read -r why; do grep -qF "$why" "$html" || die "reason not in the report: $why"; done || exit 1
echo PASS
