# A hostile guest calls every hypercall with bad arguments and must get
# errors; guests that fault crash alone. pvmon and a second domain go on.
. tests/lib.sh
need_kvm
h=$(domcfg hostile "prog=hostile")
w=$(domcfg worker "prog=cpu")
out=$(timeout 120 $PVMON run "$h" "$w" 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] || die "exit status $rc"
echo "$out" | grep -q "hostile: [0-9]* checks, 0 failed" || die "hostile checks failed"
echo "$out" | grep -q "\[worker\] cpu: sort .* ok" || die "the second domain did not finish"
for kind in kernel user; do
  c=$(domcfg crash$kind "prog=crash kind=$kind")
  w=$(domcfg worker "prog=cpu")
  out=$(timeout 120 $PVMON run "$c" "$w" 2>&1); rc=$?
  echo "$out"
  [ $rc -eq 125 ] || die "crash $kind: status $rc, expected 125"
  # The report names the fault and where the guest was, on the baseline
  # too (its fault reporter), never the registers of a reset vCPU.
  echo "$out" | grep -q "pvmon: domain crash$kind (1) crashed: vcpu 0: exception #PF (vector 14) error 0x[0-9a-f]* address 0x[0-9a-f]* not handled by the guest.*; rip=0x[0-9a-f]* .*cr3=0x[0-9a-f]* $kind mode" \
    || die "crash $kind: no crash report naming the #PF, rip and cr3"
  echo "$out" | grep -q "crashed: .*rip=0xfff0 rsp=0x0 " && die "crash $kind: the report shows a reset vCPU"
  echo "$out" | grep -q "\[worker\] cpu: sort .* ok" || die "crash $kind: the second domain did not finish"
done
echo PASS
