# 128 concurrent domains in one pvmon (the DESIGN.md budget on 2 cores):
# every one boots, runs and exits 0.
. tests/lib.sh
need_kvm
N=${PVLAB_SCALE_DOMAINS:-128}
cfgs=()
for i in $(seq 1 "$N"); do
  printf 'name = "d%d"\nmemory = 4\nkernel = "%s"\ncmdline = "prog=spin ms=300"\n' "$i" "$PVOS" > "$TMP/d$i.cfg"
  cfgs+=("$TMP/d$i.cfg")
done
$PVMON --quiet --stats run "${cfgs[@]}" 2>"$TMP/err"; rc=$?
ok=$(grep -c "exited code 0" "$TMP/err")
echo "$ok of $N domains exited 0 (status $rc)"
[ $rc -eq 0 ] && [ "$ok" -eq "$N" ] || { head -20 "$TMP/err"; die "not all $N domains ran"; }
echo PASS
