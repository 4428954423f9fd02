# BVT: two CPU-bound domains with weights 1:2 on one physical CPU get CPU
# time 1:2 within 10%; round-robin gives them 1:1 within 10%.
# Measured while both run: pvmon's run time of each (pvctl list --json's
# run_ns) over a window that starts once both have run, so that a domain
# that boots later (its build, under a loaded host, can take a few
# hundred ms more) is not counted alone at the start or at the end.
. tests/lib.sh
need_kvm
a=$(domcfg light "prog=spin ms=60000" "weight = 1")
b=$(domcfg heavy "prog=spin ms=60000" "weight = 2")
run_ns() { list_field "$list" "$1" run_ns; }
ratio() {  # ratio SCHED: R = run(heavy)/run(light) over 3 s while both run
  local l0 h0 l1 h1 t0 t1 list
  start_daemon --sched "$1" --pcpus 1
  $PVCTL create "$a" >/dev/null && $PVCTL create "$b" >/dev/null || die "$1: create failed"
  for _ in $(seq 100); do
    list=$($PVCTL list --json)
    [ "$(run_ns light)" -gt 0 ] 2>/dev/null && [ "$(run_ns heavy)" -gt 0 ] 2>/dev/null && break
    sleep 0.1
  done
  l0=$(run_ns light) h0=$(run_ns heavy) t0=$(list_field "$list" light time_ns)
  sleep 3
  list=$($PVCTL list --json)
  t1=$(list_field "$list" light time_ns)
  l1=$(run_ns light) h1=$(run_ns heavy)
  [ "$(list_field "$list" light state) $(list_field "$list" heavy state)" = "running running" ] || die "$1: a domain stopped inside the window"
  kill $dpid; wait $dpid 2>/dev/null
  echo "$1: light ran $(( (l1 - l0) / 1000000 )) ms, heavy $(( (h1 - h0) / 1000000 )) ms of the $(( (t1 - t0) / 1000000 )) ms window (pvmon's clock)"
  R=$(awk -v l=$((l1 - l0)) -v h=$((h1 - h0)) 'BEGIN { if (l <= 0) exit 1; printf "%.3f\n", h / l }') || die "$1: light did not run in the window"
}
ratio bvt; r=$R; echo "bvt heavy/light = $r"
awk -v r="$r" 'BEGIN { exit !(r >= 1.8 && r <= 2.2) }' || die "BVT ratio $r not within 10% of 2"
ratio rr; r=$R; echo "rr heavy/light = $r"
awk -v r="$r" 'BEGIN { exit !(r >= 0.9 && r <= 1.1) }' || die "RR ratio $r not within 10% of 1"
echo PASS
