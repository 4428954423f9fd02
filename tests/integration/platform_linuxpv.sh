# The linuxpv guest platform (bench/platforms/run.sh linuxpv): Debian's
# kernel ($BUILD/images/vmlinuz, fullvirt's) as a Xen PV domain of pvmon
# on the shared rootfs.img attached read-only (xvda), its initramfs
# putting an overlay over it whose writes go to the run's own scratch
# ext4 disk (xvdb, a sparse file run.sh makes and deletes). Quick
# workloads of the pv platform run each in a guest of its own, one after
# another in one boot of the nested host: pgbench-tpcb, dbench and
# httperf-vif (Domain 0's httperf against the guest's nginx over its
# VIF, in a network namespace run.sh makes); PVLAB_LINUXPV_WORKLOADS=all
# adds pgbench-ro and httperf (client and server in the guest), which
# `make report`'s suite runs (make check's time: each is a guest boot). Each must give its sample, the Linux
# PV details, the block back end's counters (writes and flushes through
# the scratch disk where the workload writes) and, for httperf-vif, the
# network back end's; run.sh exits 0 only when the guest said "pvlab:
# end status=0", and leaves no run directory or namespace behind. The
# host's image is left as it was. Where this host cannot run Linux PV
# (pvmon info), run.sh says unsupported (status 3) here and the runs go
# to the nested AMD-V host (scripts/nested-svm.sh), as pvbench moves the
# pv cells there.
# timeout: 900
# lane: 2
. tests/lib.sh
P=bench/platforms
WORKLOADS="pgbench-tpcb dbench httperf-vif"
[ "${PVLAB_LINUXPV_WORKLOADS:-}" = all ] && WORKLOADS="pgbench-ro pgbench-tpcb dbench httperf httperf-vif"

# want PATTERN...: each a line of $TMP/out
want() {
  local w
  for w in "$@"; do grep -q "^$w" "$TMP/out" || die "$wl: no '$w' line"; done
}

# one WORKLOAD: run.sh linuxpv WORKLOAD --quick, its lines checked
one() {
  local wl=$1 rc t0=$SECONDS
  # the image was checked on the host a moment ago (as pvbench does)
  PVLAB_IMAGE_CHECKED=1 timeout 300 $P/run.sh linuxpv "$wl" --quick >"$TMP/out" 2>"$TMP/err"; rc=$?
  grep '^\[linuxpv\] \(pvmon: domain\|workload: \)' "$TMP/err" | cut -c1-300
  [ $rc = 0 ] || { cat "$TMP/out"; tail -30 "$TMP/err"; die "run.sh linuxpv $wl --quick: status $rc"; }
  want 'detail guest=linux-pv$' 'detail disk=xvda ro + xvdb scratch ext4 [0-9]* MiB (overlay upper)$' \
       'detail guest_kernel=6\.' 'detail boot_s=[0-9.]*$' 'detail blk_requests=[1-9]' 'detail blk_batches=[1-9]' \
       'detail blk_errors=0$' 'detail blk_bad_grants=0$' 'detail scratch_written_mib=[0-9]*$'
  case $wl in
    pgbench-*) want 'sample metric=tps unit=tps higher=1 value=[0-9.]*$' 'sample metric=latency_ms unit=ms ' ;;
    dbench) want 'sample metric=throughput unit=MB/s higher=1 value=[0-9.]*$' 'detail fs=overlay$' ;;
    httperf*) want 'sample metric=reply_rate unit=replies/s higher=1 value=[0-9.]*$' 'detail errors=0$' ;;
  esac
  # the writers' writes and fsyncs reach the block back end, not memory
  case $wl in
    pgbench-tpcb|dbench) want 'detail blk_flushes=[1-9]' ;;
  esac
  case $wl in
    httperf) want 'detail client=loopback_same_system$' ;;
    httperf-vif) want 'detail client=dom0_over_vif$' 'detail net_tx_packets=[1-9]' 'detail net_rx_packets=[1-9]' \
                      'detail net_tx_errors=0$' ;;
  esac
  ! ls -d /tmp/pvlab-run.* >/dev/null 2>&1 || die "$wl: run.sh left $(ls -d /tmp/pvlab-run.*) (its scratch disk) behind"
  ! ip netns list 2>/dev/null | grep -q '^pvlab-run-' || die "$wl: run.sh left its network namespace behind"
  echo "ok $wl in $((SECONDS - t0)) s: $(grep '^sample' "$TMP/out" | sed 's/ unit=.*value=/=/' | tr '\n' ' ')" \
       "$(grep -o '^detail \(boot_s\|blk_requests\|blk_flushes\|scratch_written_mib\|net_rx_packets\|net_rx_events\)=.*' "$TMP/out" | cut -c8- | tr '\n' ' ')"
}

inside() {
  local wl
  for wl in $WORKLOADS; do one "$wl"; done
  echo "ok $WORKLOADS each in a Linux PV domain on the read-only rootfs.img, writing to a scratch disk"
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
# httperf-vif is linuxpv's alone: the others say so in one line, status 3
for p in native fullvirt uml; do
  out=$($P/run.sh $p httperf-vif --quick 2>"$TMP/err"); rc=$?
  [ $rc = 3 ] && [ "$(grep -c . <<<"$out")" = 1 ] && grep -q '^unsupported httperf-vif: ' <<<"$out" ||
    { echo "$out"; cat "$TMP/err"; die "run.sh $p httperf-vif: status $rc, not one unsupported line (3)"; }
done
echo "ok native, fullvirt, uml: $(grep '^unsupported' <<<"$out" | cut -c1-90)..."
# The image: built or found up to date here (the nested host only reads it).
$P/image.sh linuxpv >"$TMP/img" 2>&1; rc=$?
[ $rc = 3 ] && skip "the linuxpv image cannot be built here: $(sed -n 's/^unsupported //p' "$TMP/img")"
[ $rc = 0 ] || skip "the linuxpv image cannot be built here (image.sh status $rc): $(tail -1 "$TMP/img")"
img=$BUILD/images/rootfs.img
before=$(stat -c '%s %Y' "$img")
in_nested_svm "the pv workloads in Linux PV domains" --timeout 860 --mem 3072
[ "$(stat -c '%s %Y' "$img")" = "$before" ] || die "rootfs.img changed (size and mtime were $before)"
echo "ok rootfs.img untouched (size and mtime $before)"
echo PASS
