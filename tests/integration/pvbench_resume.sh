# pvbench run is resumable: interrupted (SIGINT) and killed (SIGKILL) runs
# continue where they stopped, finished cells are skipped and keep their
# samples, a cell cut short loses its partial repetitions, and other
# options are refused while the run is unfinished. Uses a stub platform
# driver in $TMP (PVBENCH_PLATFORMS_DIR) whose repetitions take 0.4 s.
. tests/lib.sh
PVBENCH=$BIN/pvbench
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
q() { sqlite3 -cmd ".timeout 5000" "$TMP/r.db" "$1"; }
mkdir -p "$TMP/plat"
printf '#!/bin/sh\necho "ok stub"\n' > "$TMP/plat/detect.sh"
printf '#!/bin/sh\nexit 0\n' > "$TMP/plat/image.sh"
cat > "$TMP/plat/run.sh" <<'S'
#!/bin/sh
sleep 0.4
echo "sample metric=t_ms unit=ms higher=0 value=$$"
S
chmod +x "$TMP/plat/"*.sh
export PVBENCH_PLATFORMS_DIR=$TMP/plat
printf 'reps 2\nfullvirt cpu 1,2,3,4,5,6\n' > "$TMP/s.suite"
run() { $PVBENCH run --no-nested --suite "$TMP/s.suite" --db "$TMP/r.db" "$@"; }
wait_done() {   # wait_done N: until N cells are done
  for _ in $(seq 100); do
    [ "$(q "SELECT count(*) FROM cells WHERE status = 'done'" 2>/dev/null)" -ge "$1" ] 2>/dev/null && return
    sleep 0.1
  done
  die "no progress"
}

$PVBENCH run --no-nested --suite "$TMP/s.suite" --db "$TMP/r.db" > "$TMP/out1" 2>&1 & pid=$!   # not run(): $! must be pvbench
wait_done 2
kill -INT $pid; wait $pid; rc=$?
cat "$TMP/out1"
[ $rc -eq 130 ] || die "SIGINT: status $rc, not 130"
grep -q "interrupted; run the same command again" "$TMP/out1" || die "no resume hint"
[ "$(q "SELECT status FROM runs")" = running ] || die "interrupted run marked finished"
done1=$(q "SELECT count(*) FROM cells WHERE status = 'done'")
before=$(q "SELECT group_concat(cell_id || ':' || value) FROM samples WHERE cell_id IN (SELECT id FROM cells WHERE status = 'done')")
fin=$(q "SELECT group_concat(finished) FROM cells WHERE status = 'done'")

# other options while unfinished: refused with status 2
run --reps 1 2>"$TMP/err"; [ $? -eq 2 ] || die "other options accepted"
grep -q "add --new" "$TMP/err" || die "no hint about --new: $(cat "$TMP/err")"

# SIGKILL in the middle of a cell: it stays 'running' and is redone
$PVBENCH run --no-nested --suite "$TMP/s.suite" --db "$TMP/r.db" > "$TMP/out2" 2>&1 & pid=$!
wait_done $((done1 + 1))
sleep 0.5
kill -KILL $pid; wait $pid 2>/dev/null
cat "$TMP/out2"
grep -q "resuming run 1: $done1 of 6 cells finished earlier are skipped" "$TMP/out2" || die "second run did not resume"
run > "$TMP/out3" 2>&1 || { cat "$TMP/out3"; die "third run failed"; }
cat "$TMP/out3"
grep -q "run 1 finished" "$TMP/out3" || die "third run did not finish run 1"
[ "$(q "SELECT count(*) FROM runs")" = 1 ] || die "resume created a new run"
[ "$(q "SELECT status FROM runs")" = done ] || die "run not done"
[ "$(q "SELECT count(*) FROM cells WHERE status = 'done'")" = 6 ] || die "not all cells done"
# every cell has exactly its two repetitions: partial ones were dropped
[ "$(q "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM samples GROUP BY cell_id)")" = "2,2,2,2,2,2" ] ||
  die "samples per cell: $(q "SELECT cell_id, count(*) FROM samples GROUP BY cell_id")"
# the cells finished before the interruption were not run again
[ "$(q "SELECT group_concat(cell_id || ':' || value) FROM samples WHERE cell_id IN (SELECT id FROM cells ORDER BY seq LIMIT $done1)")" = "$before" ] ||
  die "finished cells were rerun"
[ "$(q "SELECT group_concat(finished) FROM cells WHERE id IN (SELECT id FROM cells ORDER BY seq LIMIT $done1)")" = "$fin" ] ||
  die "finished cells changed"
# --new starts another run even though none is unfinished
run --new --reps 1 >/dev/null || die "--new failed"
[ "$(q "SELECT count(*) FROM runs WHERE status = 'done'")" = 2 ] || die "--new: no second run"
echo PASS
