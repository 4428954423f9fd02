#!/usr/bin/env bash
# run.sh PLATFORM WORKLOAD [--quick] [--instances N]: one run of a workload
# on native (host processes), fullvirt (QEMU, KVM or TCG), uml (User-Mode
# Linux) or linuxpv (the same Debian kernel as a Xen PV domain of pvmon,
# where `pvmon info` says Linux PV runs). Prints the contract's lines on
# stdout (docs/platforms.md):
#   sample metric=NAME unit=UNIT higher=0|1 value=NUMBER
#   detail KEY=VALUE
#   unsupported REASON        (then exit 3)
# progress on stderr; exit 0 ok, 1 failure, 2 usage, 3 unsupported.
set -Eeuo pipefail
. "$(dirname "$0")/common.sh"

usage() {
  cat <<EOF
usage: run.sh PLATFORM WORKLOAD [--quick] [--instances N]
  PLATFORM: ${PLATFORMS// / | }
  WORKLOAD: ${WORKLOADS// / | }
  --quick        sizes for the short suite (scaled down further under TCG)
  --instances N  N concurrent copies: N processes natively, N guests on
                 fullvirt, uml and linuxpv (cpu only)
Environment: BUILD (default build), PVLAB_GUEST_MEM_MIB (1024),
PVLAB_IMAGE_READY (platforms whose detect.sh and image.sh need not run again),
PVLAB_TCG_SCALE (work factor under TCG, default 0.25), PVLAB_GUEST_TIMEOUT
(seconds per guest, default 1800).
EOF
}

PLATFORM="" WORKLOAD="" QUICK=0 INSTANCES=1
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --quick) QUICK=1 ;;
    --instances)
      [ $# -ge 2 ] || usage_error "--instances needs a number"
      INSTANCES=$2; shift ;;
    -*) usage_error "unknown option '$1' (see --help)" ;;
    *) if [ -z "$PLATFORM" ]; then PLATFORM=$1
       elif [ -z "$WORKLOAD" ]; then WORKLOAD=$1
       else usage_error "unexpected argument '$1'"; fi ;;
  esac
  shift
done
check_platform "$PLATFORM"
[ -n "$WORKLOAD" ] || usage_error "no WORKLOAD given (one of: $WORKLOADS)"
# shellcheck disable=SC2086
in_list "$WORKLOAD" $WORKLOADS || usage_error "unknown workload '$WORKLOAD' (one of: $WORKLOADS)"
[[ $INSTANCES =~ ^[0-9]+$ ]] && [ "$INSTANCES" -ge 1 ] && [ "$INSTANCES" -le 64 ] \
  || usage_error "--instances must be 1..64, not '$INSTANCES'"
if [ "$INSTANCES" -gt 1 ] && [ "$WORKLOAD" != cpu ]; then
  unsupported "--instances $INSTANCES: concurrent copies are implemented for the cpu workload only"
fi
wl_args=("$WORKLOAD")
[ $QUICK = 1 ] && wl_args+=(--quick)

echo "detail instances=$INSTANCES"
if [ "$PLATFORM" = native ]; then
  echo "detail host_kernel=$(uname -r)"
  echo "detail cpus=$(nproc)"
  PVLAB_BIN=$BIN exec "$PLAT_DIR/workload.sh" "${wl_args[@]}" --instances "$INSTANCES"
fi

# ---- guests ------------------------------------------------------------
# pvbench checked the platform and its image once for the run
# (PVLAB_IMAGE_READY lists the platforms it did); anyone else, every time
if [[ " ${PVLAB_IMAGE_READY:-} " != *" $PLATFORM "* ]]; then
  st=0
  det=$("$PLAT_DIR/detect.sh" "$PLATFORM") || st=$?
  [ $st != 3 ] || unsupported "${det#unsupported }"
  [ $st = 0 ] || fail "detect.sh $PLATFORM failed (status $st)"
  st=0
  img=$("$PLAT_DIR/image.sh" "$PLATFORM") || st=$?
  [ $st != 3 ] || unsupported "$(sed -n 's/^unsupported //p' <<<"$img")"
  [ $st = 0 ] || fail "image.sh $PLATFORM failed (status $st)"
fi

MEM=${PVLAB_GUEST_MEM_MIB:-1024}
GUEST_TIMEOUT=${PVLAB_GUEST_TIMEOUT:-1800}
SCALE=1
RUN=$(mktemp -d /tmp/pvlab-run.XXXXXX) || fail "cannot make a run directory"
cleanup() {
  local f
  # each guest's timeout(1) passes the signal on to its QEMU or UML
  for f in "$RUN"/vmpid.*; do
    if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
  done
  rm -rf "$RUN"
  clear_err_note
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$PLATFORM" = linuxpv ]; then
  # checked in every run, never taken from an earlier one: a Linux PV
  # figure must not come from a host where pvmon cannot run it
  pv=$(linux_pv_answer)
  [ "${pv%% *}" = yes ] || unsupported "linux pv: $pv"
  echo "detail guest=linux-pv"
  echo "detail linux_pv=$pv"
  echo "detail pvmon=$(pvmon_version)"
  echo "detail vcpus=1"
  echo "detail disk=xvda ro + overlay tmpfs"
  if [ -n "${PVLAB_NESTED:-}" ]; then
    # in the nested host every guest instruction runs under TCG: as for
    # fullvirt there, smaller runs keep the suite short (rates compare)
    echo "detail emulated=nested-$PVLAB_NESTED host under TCG"
    SCALE=${PVLAB_TCG_SCALE:-0.25}
  fi
elif [ "$PLATFORM" = fullvirt ]; then
  read -r ACCEL why <"$(accel_file)"
  echo "detail accel=$ACCEL"
  echo "detail qemu=$(qemu_version)"
  echo "detail vcpus=1"
  if [ "$ACCEL" = tcg ]; then
    echo "detail kvm_probe=$why"
    # TCG runs guest code 10-50x slower: smaller runs keep the suite short
    SCALE=${PVLAB_TCG_SCALE:-0.25}
  fi
else
  echo "detail uml=$(uml_version)"
  echo "detail xstate_shim=umlxstate.so"
fi
cmdline="pvlab.workload=$WORKLOAD pvlab.scale=$SCALE pvlab.instances=1"
[ $QUICK = 1 ] && cmdline+=" pvlab.quick=1"

# guest I: boots one guest, its console in $RUN/console.I, the seconds from
# launch to the guest's first line in $RUN/boot.I.
guest() {
  local i=$1 t0=$EPOCHREALTIME line seen=0
  local -a cmd
  if [ "$PLATFORM" = fullvirt ]; then
    local cpu=max
    [ "$ACCEL" = kvm ] && cpu=host
    cmd=("$QEMU" -accel "$ACCEL" -cpu "$cpu" -smp 1 -m "$MEM" -nodefaults -no-user-config
         -display none -no-reboot -serial stdio
         -kernel "$IMAGES/vmlinuz" -initrd "$IMAGES/initrd.cpio.gz"
         -drive "file=$IMAGES/rootfs.img,format=raw,if=virtio,snapshot=on"
         -append "console=ttyS0 quiet loglevel=3 panic=-1 $cmdline")
  elif [ "$PLATFORM" = linuxpv ]; then
    # the shared image read-only; the guest's writes go to a tmpfs overlay
    # its initramfs puts over it (guest/initramfs.sh). --stats: the block
    # back end's requests, batches and events after the run.
    { echo "name = \"linuxpv$i\""; echo "memory = $MEM"; echo "vcpus = 1"
      echo "kernel = \"$IMAGES/vmlinuz\""; echo "ramdisk = \"$IMAGES/initrd-linuxpv.cpio.gz\""
      echo "cmdline = \"console=hvc0 quiet loglevel=3 panic=-1 pvlab.root=xvda pvlab.overlay=tmpfs $cmdline\""
      echo "disk = [ \"file:$IMAGES/rootfs.img,xvda,r\" ]"; } >"$RUN/linuxpv$i.cfg"
    cmd=("$BIN/pvmon" --stats --xenstore "$RUN/xenstore.$i" run "$RUN/linuxpv$i.cfg")
  else
    # the guest writes to a copy-on-write file, never to the shared image
    cmd=(env LD_PRELOAD="$UMLXSTATE" "$LINUX_UML" "mem=${MEM}M" "ubd0=$RUN/cow.$i,$IMAGES/rootfs.img"
         root=/dev/ubda rw init=/sbin/pvlab-init con=null con0=null,fd:1 "umid=pvlab-$$-$i"
         "uml_dir=$RUN/uml" quiet loglevel=3 $cmdline)
  fi
  local tag=$PLATFORM
  [ "$INSTANCES" -gt 1 ] && tag+=.$i
  mkfifo "$RUN/fifo.$i"
  TMPDIR=$MEMDIR timeout -k 10 "$GUEST_TIMEOUT" "${cmd[@]}" </dev/null >"$RUN/fifo.$i" 2>&1 &
  echo $! >"$RUN/vmpid.$i"
  while IFS= read -r line; do
    line=${line%$'\r'}          # the serial console ends lines with CR LF
    line=${line#"[linuxpv$i] "}  # pvmon's prefix on the domain's console
    if [ $seen = 0 ] && [[ $line == "pvlab: "* ]]; then
      seen=1
      awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f\n", b - a }' >"$RUN/boot.$i"
    fi
    echo "$line" >>"$RUN/console.$i"
    # progress: the guest's own lines, not the contract's
    [[ $line == "pvlab: "* ]] || echo "[$tag] $line" >&2
  done <"$RUN/fifo.$i"
  wait
}

# blk_details CONSOLE: the block back end's counters from pvmon's --stats
# line ("blk: requests N (segments N, N bytes, flushes N, errors N, bad
# grants N) in N batches, N events to the guest") as details.
blk_details() {
  sed -n 's/.*; blk: requests \([0-9]*\) (segments \([0-9]*\), \([0-9]*\) bytes, flushes \([0-9]*\), errors \([0-9]*\), bad grants \([0-9]*\)) in \([0-9]*\) batches, \([0-9]*\) events.*/\1 \2 \3 \4 \5 \6 \7 \8/p' "$1" |
    tail -1 | while read -r req seg bytes fl err bad bat ev; do
      echo "detail blk_requests=$req"; echo "detail blk_segments=$seg"; echo "detail blk_bytes=$bytes"
      echo "detail blk_flushes=$fl"; echo "detail blk_errors=$err"; echo "detail blk_bad_grants=$bad"
      echo "detail blk_batches=$bat"; echo "detail blk_events=$ev"
    done
}

mkdir -p "$RUN/uml"
# UML keeps guest memory in a file under TMPDIR: tmpfs, or the host would
# write guest memory back to disk. QEMU puts its snapshot overlay (the
# guest's disk writes) under TMPDIR: the run directory, on disk.
MEMDIR=$RUN
[ "$PLATFORM" = uml ] && [ -d /dev/shm ] && [ -w /dev/shm ] && MEMDIR=/dev/shm
log "booting $INSTANCES $PLATFORM guest(s) for $WORKLOAD (scale $SCALE)"
for ((i = 1; i <= INSTANCES; i++)); do
  guest "$i" &
done
wait

# Relay the contract lines. One guest: as it printed them. Several: every
# guest's samples, the details of the first, and the cell's aggregate
# rate as the sum of the guests' own rates (they ran side by side).
status=0 reason=""
for ((i = 1; i <= INSTANCES; i++)); do
  c=$RUN/console.$i
  end=$(sed -n 's/^pvlab: end status=\([0-9]*\).*/\1/p' "$c" 2>/dev/null | tail -1) || end=""
  if [ -z "$end" ]; then
    log "guest $i ended without finishing its workload; its last console lines:"
    tail -n 20 "$c" >&2 2>/dev/null || true
    fail "the $PLATFORM guest did not finish (timeout ${GUEST_TIMEOUT}s, crash or panic)"
  fi
  if [ "$end" = 3 ]; then
    reason=$(sed -n '/^pvlab: unsupported /{s///;p;q}' "$c")
    unsupported "${reason:-the workload in the guest reported unsupported}"
  fi
  if [ "$end" != 0 ]; then
    # the workload's own last word (workload.sh's die) says why
    why=$(sed -n 's/^workload: //p' "$c" | tail -1)
    [ $status = 1 ] || reason="guest $i: ${why:-its workload exited with status $end}"
    status=1
    log "guest $i: workload exited with status $end"
    continue
  fi
  [ -f "$RUN/boot.$i" ] && [ "$i" = 1 ] && echo "detail boot_s=$(cat "$RUN/boot.$i")"
  [ "$PLATFORM" = linuxpv ] && [ "$i" = 1 ] && blk_details "$c"
  if [ "$INSTANCES" = 1 ]; then
    sed -n 's/^pvlab: \(sample\|detail\) /\1 /p' "$c"
  else
    [ "$i" != 1 ] || sed -n 's/^pvlab: detail /detail /p' "$c"
    sed -n '/^pvlab: sample metric=\(wall_s\|aggregate_passes_per_s\) /d; s/^pvlab: sample /sample /p' "$c"
  fi
done
[ $status = 0 ] || fail "$reason"
if [ "$INSTANCES" -gt 1 ]; then
  cat "$RUN"/console.* | awk '
    /^pvlab: sample metric=wall_s / { sub(/.*value=/, ""); if ($0 > w) w = $0 }
    /^pvlab: sample metric=aggregate_passes_per_s / { sub(/.*value=/, ""); r += $0 }
    END { printf "sample metric=wall_s unit=s higher=0 value=%.2f\n", w
          printf "sample metric=aggregate_passes_per_s unit=passes/s higher=1 value=%.4f\n", r }'
fi
exit 0
