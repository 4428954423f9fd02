# A guest platform end to end: the image is built (or found cached in
# $BUILD/images), a guest boots it and runs the cpu workload, and run.sh
# relays one checked sample per kernel. UML where it works (boots in a
# second or two), else full virtualization.
. tests/lib.sh
P=bench/platforms
plat=""
for p in uml fullvirt; do
  if $P/detect.sh $p >"$TMP/detect"; then plat=$p; break; fi
  echo "$p: $(cat "$TMP/detect")"
done
[ -n "$plat" ] || skip "no guest platform here: $(cat "$TMP/detect")"
if [ ! -f "$BUILD/images/rootfs.img" ]; then
  echo "building the guest image once (cached in $BUILD/images afterwards)"
fi
$P/image.sh $plat || die "image.sh $plat failed"
# every block group's inode table is zeroed already: no guest runs
# ext4lazyinit in the background during a benchmark
groups=$(dumpe2fs "$BUILD/images/rootfs.img" 2>/dev/null | grep -c "^Group [0-9]*:")
zeroed=$(dumpe2fs "$BUILD/images/rootfs.img" 2>/dev/null | grep "^Group [0-9]*:" | grep -c "ITABLE_ZEROED")
[ "$groups" -gt 0 ] && [ "$zeroed" = "$groups" ] || die "rootfs.img: $zeroed of $groups block groups have their inode tables zeroed"
# inputs unchanged: the second call reuses the image
before=$(stat -c %Y "$BUILD/images/rootfs.img")
t0=$SECONDS
$P/image.sh $plat 2>"$TMP/image.log" || die "image.sh $plat (cached) failed"
[ "$(stat -c %Y "$BUILD/images/rootfs.img")" = "$before" ] || die "the unchanged image was rebuilt"
grep -q "building" "$TMP/image.log" && die "image.sh rebuilt: $(cat "$TMP/image.log")"
echo "cached image.sh: $((SECONDS - t0)) s"
out=$($P/run.sh $plat cpu --quick) || die "run.sh $plat cpu --quick failed"
echo "$out"
for k in $($BIN/pvcpu --list); do
  v=$(echo "$out" | sed -n "s/^sample metric=${k}_ms unit=ms higher=0 value=//p")
  [ -n "$v" ] || die "$plat: no sample for $k"
  awk -v v="$v" 'BEGIN { exit !(v > 0 && v < 600000) }' || die "$plat: $k: $v ms is not sane"
done
echo "$out" | grep -q "^detail guest_kernel=." || die "$plat: the guest did not report its kernel"
echo "$out" | grep -q "^detail boot_s=[0-9.]*$" || die "$plat: no boot time"
[ $plat = fullvirt ] && { echo "$out" | grep -q "^detail accel=\(kvm\|tcg\)$" || die "fullvirt: no accel detail"; }
# On a host with no /dev/kvm at all the full-virt image is made and its
# probe records why QEMU runs without KVM (image.sh once died on the
# probe's stamp, which stat'ed the missing /dev/kvm, under set -e).
if scripts/without-kvm.sh true >/dev/null && $P/detect.sh fullvirt >/dev/null; then
  without_kvm $P/image.sh fullvirt 2>"$TMP/image.log"; rc=$?
  [ $rc = 0 ] || { cat "$TMP/image.log"; die "image.sh fullvirt without /dev/kvm: status $rc"; }
  grep -q "accel tcg no_/dev/kvm" "$TMP/image.log" || die "image.sh fullvirt without /dev/kvm: $(tail -1 "$TMP/image.log")"
fi
echo PASS
