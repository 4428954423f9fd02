# SIGKILL of `pvbench run` in the middle of a cell: no process the run
# started survives it. Two cells: a stub platform driver (in $TMP, through
# PVBENCH_PLATFORMS_DIR) that leaves a helper in its process group and a
# daemon in a session of its own (as pg_ctl and nginx do), and native cpu
# x16, whose `pvbench worker cpu` forks its workers.
. tests/lib.sh
PVBENCH=$BIN/pvbench
mkdir -p "$TMP/plat"
printf '#!/bin/sh\necho "ok stub"\n' > "$TMP/plat/detect.sh"
printf '#!/bin/sh\nexit 0\n' > "$TMP/plat/image.sh"
cat > "$TMP/plat/run.sh" <<'S'
#!/bin/sh
sleep 600 &
setsid sleep 600 &
sleep 600
S
chmod +x "$TMP/plat/"*.sh
export PVBENCH_PLATFORMS_DIR=$TMP/plat

# procs: "pid ppid starttime" of every process (a pid reused later is not
# the same process), from one read of /proc: cat goes on past a process
# that ends meanwhile, where mawk would stop at it.
procs() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk '{ pid = $1; sub(/^.*\) /, ""); print pid, $2, $20 }'   # after "(comm) ": state ppid ...
}
# descendants PID: every process below PID, as "pid:starttime".
descendants() {
  procs | awk -v root="$1" '
    { par[$1] = $2; start[$1] = $3 }
    END { for (p in par) { q = par[p]; while (q in par && q != root) q = par[q]; if (q == root) print p ":" start[p] } }'
}
alive() {  # alive LIST: the entries of LIST still running, with their command lines
  local p
  for p in $(procs | awk -v list=" $(echo $1) " 'index(list, " " $1 ":" $3 " ") { print $1 }'); do
    echo "$p $(tr '\0' ' ' 2>/dev/null < "/proc/$p/cmdline")"
  done
}
kill_mid_cell() {  # kill_mid_cell SUITE-LINE PATTERN N: SIGKILL once N descendants match PATTERN
  printf '%s\n' "$1" > "$TMP/s.suite"
  $PVBENCH run --no-nested --suite "$TMP/s.suite" --db "$TMP/r.db" --new > "$TMP/out" 2>&1 & local pid=$! list=""
  for _ in $(seq 200); do
    list=$(descendants $pid)
    [ "$(for e in $list; do { tr '\0' ' ' < "/proc/${e%%:*}/cmdline"; } 2>/dev/null; echo; done | grep -c -- "$2")" -ge "$3" ] && break
    sleep 0.05
  done
  echo "$1: $(echo "$list" | wc -w) processes below pvbench"
  [ -n "$list" ] || { cat "$TMP/out"; die "$1: nothing started"; }
  kill -KILL $pid; wait $pid 2>/dev/null
  for _ in $(seq 40); do [ -z "$(alive "$list")" ] && break; sleep 0.05; done
  left=$(alive "$list")
  [ -z "$left" ] || die "$1: survived the SIGKILL of pvbench run: $left"
}
kill_mid_cell "fullvirt cpu 1 reps=1" "^sleep 600" 3
kill_mid_cell "native cpu 16 reps=1" "worker cpu" 17
echo PASS
