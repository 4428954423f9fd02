# A hostile guest calls every hypercall with bad arguments and must get
# errors; guests that fault crash alone. pvmon and a second domain go on.
. tests/lib.sh
need_kvm
h=$(domcfg hostile "prog=hostile")
w=$(domcfg worker "prog=cpu")
out=$($PVMON run "$h" "$w" 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] || die "exit status $rc"
echo "$out" | grep -q "hostile: [0-9]* checks, 0 failed" || die "hostile checks failed"
echo "$out" | grep -q "\[worker\] cpu: sort .* ok" || die "the second domain did not finish"
for kind in kernel user; do
  c=$(domcfg crash$kind "prog=crash kind=$kind")
  w=$(domcfg worker "prog=cpu")
  out=$($PVMON run "$c" "$w" 2>&1); rc=$?
  echo "$out"
  [ $rc -eq 125 ] || die "crash $kind: status $rc, expected 125"
  echo "$out" | grep -q "pvmon: domain crash$kind (1) crashed: vcpu 0: .*rip=0x[0-9a-f]* .*cr3=0x[0-9a-f]* $kind mode" \
    || die "crash $kind: no crash report with rip and cr3"
  echo "$out" | grep -q "\[worker\] cpu: sort .* ok" || die "crash $kind: the second domain did not finish"
done
echo PASS
