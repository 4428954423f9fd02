# The linuxpv guest platform (bench/platforms/run.sh linuxpv): Debian's
# kernel ($BUILD/images/vmlinuz, fullvirt's) as a Xen PV domain of pvmon on
# the shared rootfs.img attached read-only (xvda), its initramfs putting a
# tmpfs overlay over it, runs one quick dbench and the contract's lines
# come back: a sample, the Linux PV details and the block back end's
# counters; run.sh exits 0 only when the guest said "pvlab: end status=0".
# The host's image is left as it was. Where this host cannot run Linux PV
# (pvmon info), run.sh says unsupported (status 3) here and the run goes
# to the nested AMD-V host (scripts/nested-svm.sh), as pvbench moves the
# pv cells there.
# timeout: 600
# lane: 2
. tests/lib.sh
P=bench/platforms

inside() {
  local rc
  # the image was checked on the host a moment ago (as pvbench does)
  PVLAB_IMAGE_CHECKED=1 timeout 400 $P/run.sh linuxpv dbench --quick >"$TMP/out" 2>"$TMP/err"; rc=$?
  cat "$TMP/out"
  grep '^\[linuxpv\] \(pvmon: domain\|workload: \)' "$TMP/err" | cut -c1-400
  [ $rc = 0 ] || { tail -30 "$TMP/err"; die "run.sh linuxpv dbench --quick: status $rc"; }
  grep -q '^sample metric=throughput unit=MB/s higher=1 value=[0-9.]*$' "$TMP/out" || die "no dbench sample line"
  for want in 'detail guest=linux-pv' 'detail disk=xvda ro + overlay tmpfs' 'detail guest_kernel=6\.' \
              'detail boot_s=[0-9.]*$' 'detail fs=overlay$' 'detail blk_requests=[1-9]' 'detail blk_batches=[1-9]' \
              'detail blk_errors=0$' 'detail blk_bad_grants=0$'; do
    grep -q "^$want" "$TMP/out" || die "no '$want' line"
  done
  echo "ok dbench in a Linux PV domain on the read-only rootfs.img under a tmpfs overlay: end status=0"
}

[ -x "$PVMON" ] || die "pvmon not built"
if [ "${1:-}" = --inside ]; then
  inside
  echo PASS
  exit 0
fi
# Here: where Linux PV cannot run, the platform says so and nothing else.
pv=$($PVMON info | sed -n 's/^linux pv: //p')
if [ "${pv%% *}" != yes ]; then
  out=$($P/run.sh linuxpv dbench --quick 2>"$TMP/err"); rc=$?
  [ $rc = 3 ] && grep -q "^unsupported linux pv: no (" <<<"$out" && ! grep -q '^sample' <<<"$out" ||
    { echo "$out"; cat "$TMP/err"; die "run.sh linuxpv on a host without Linux PV: status $rc, not unsupported (3)"; }
  echo "ok here: $(grep '^unsupported' <<<"$out" | cut -c1-100)..."
fi
# The image: built or found up to date here (the nested host only reads it).
$P/image.sh linuxpv >"$TMP/img" 2>&1; rc=$?
[ $rc = 3 ] && skip "the linuxpv image cannot be built here: $(sed -n 's/^unsupported //p' "$TMP/img")"
[ $rc = 0 ] || skip "the linuxpv image cannot be built here (image.sh status $rc): $(tail -1 "$TMP/img")"
img=$BUILD/images/rootfs.img
before=$(stat -c '%s %Y' "$img")
in_nested_svm "dbench in a Linux PV domain" --timeout 560 --mem 2560
[ "$(stat -c '%s %Y' "$img")" = "$before" ] || die "rootfs.img changed (size and mtime were $before)"
echo "ok rootfs.img untouched (size and mtime $before)"
echo PASS
