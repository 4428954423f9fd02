# BVT: two CPU-bound domains with weights 1:2 on one physical CPU get CPU
# time 1:2 within 10%; round-robin gives them 1:1 within 10%.
. tests/lib.sh
need_kvm
a=$(domcfg light "prog=spin ms=3000" "weight = 1")
b=$(domcfg heavy "prog=spin ms=3000" "weight = 2")
ratio() {  # ratio SCHED -> run(heavy)/run(light) from pvmon's accounting
  $PVMON --sched "$1" --pcpus 1 --stats run "$a" "$b" > "$TMP/out" 2>&1 || { cat "$TMP/out"; die "$1 run failed"; }
  cat "$TMP/out" >&2
  l=$(sed -n 's/.*domain light .* run \([0-9.]*\)s.*/\1/p' "$TMP/out")
  h=$(sed -n 's/.*domain heavy .* run \([0-9.]*\)s.*/\1/p' "$TMP/out")
  awk -v l="$l" -v h="$h" 'BEGIN { printf "%.3f\n", h / l }'
}
r=$(ratio bvt); echo "bvt heavy/light = $r"
awk -v r="$r" 'BEGIN { exit !(r >= 1.8 && r <= 2.2) }' || die "BVT ratio $r not within 10% of 2"
r=$(ratio rr); echo "rr heavy/light = $r"
awk -v r="$r" 'BEGIN { exit !(r >= 0.9 && r <= 1.1) }' || die "RR ratio $r not within 10% of 1"
echo PASS
