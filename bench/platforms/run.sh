#!/usr/bin/env bash
# run.sh PLATFORM WORKLOAD [--quick] [--instances N]: one run of a workload
# on native (host processes), fullvirt (QEMU, KVM or TCG), uml (User-Mode
# Linux) or linuxpv (the same Debian kernel as a Xen PV domain of pvmon,
# where `pvmon info` says Linux PV runs). Prints the contract's lines on
# stdout (docs/platforms.md):
#   sample metric=NAME unit=UNIT higher=0|1 value=NUMBER [instance=K]
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
PVLAB_TCG_SCALE (work factor under TCG and, for every platform, in the
nested host, default 0.25), PVLAB_EMULATED_HTTPERF_SCALE (httperf's
connections in the nested host, default 0.01), PVLAB_SCRATCH_MIB (linuxpv's scratch disk,
default 2048), PVLAB_GUEST_TIMEOUT (seconds per guest, default 1800).
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
if [ "$INSTANCES" -gt 1 ] && [ "$WORKLOAD" != cpu ] && [ "$WORKLOAD $PLATFORM" != "httperf-vif linuxpv" ]; then
  unsupported "--instances $INSTANCES: concurrent copies are implemented for cpu (and linuxpv's httperf-vif) only"
fi
if [ "$WORKLOAD" = httperf-vif ] && [ "$PLATFORM" != linuxpv ]; then
  unsupported "httperf-vif: Domain 0's httperf against a guest over its VIF is linuxpv's; httperf compares every platform"
fi
wl_args=("$WORKLOAD")
[ $QUICK = 1 ] && wl_args+=(--quick)

# The work's size. In the nested host every instruction of a guest runs
# under TCG, so runs there are smaller; native, fullvirt and linuxpv
# there all run the same size (a ratio divides like work by like work;
# the report refuses one where the scales differ). httperf's connections
# far smaller still: 5000 x 10 calls outlasted 250 s in a Linux PV guest.
SCALE=1
if [ -n "${PVLAB_NESTED:-}" ]; then
  SCALE=${PVLAB_TCG_SCALE:-0.25}
  [[ $WORKLOAD != httperf* ]] || SCALE=${PVLAB_EMULATED_HTTPERF_SCALE:-0.01}
fi

echo "detail instances=$INSTANCES"
if [ "$PLATFORM" = native ]; then
  echo "detail host_kernel=$(uname -r)"
  echo "detail cpus=$(nproc)"
  PVLAB_BIN=$BIN exec "$PLAT_DIR/workload.sh" "${wl_args[@]}" --scale "$SCALE" --instances "$INSTANCES"
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
NETNS=""
RUN=$(mktemp -d /tmp/pvlab-run.XXXXXX) || fail "cannot make a run directory"
cleanup() {
  local f
  # each guest's timeout(1) passes the signal on to its QEMU, UML or pvmon
  for f in "$RUN"/vmpid.*; do
    if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
  done
  for ((i = 1; i <= INSTANCES; i++)); do
    [ -z "$NETNS" ] || ip netns del "$NETNS-$i" 2>/dev/null || true
  done
  rm -rf "$RUN"          # with linuxpv's scratch disks
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
  SCRATCH_MIB=${PVLAB_SCRATCH_MIB:-2048}
  [[ $SCRATCH_MIB =~ ^[0-9]+$ ]] && [ "$SCRATCH_MIB" -ge 256 ] ||
    usage_error "PVLAB_SCRATCH_MIB must be a number of MiB, 256 or more, not '$SCRATCH_MIB'"
  echo "detail disk=xvda ro + xvdb scratch ext4 ${SCRATCH_MIB} MiB (overlay upper)"
  [ -z "${PVLAB_NESTED:-}" ] || echo "detail emulated=nested-$PVLAB_NESTED host under TCG"
  if [ "$WORKLOAD" = httperf-vif ]; then
    # each guest's VIF has its TAP device in a network namespace of its
    # own (pvmon I runs in NETNS-I, and so does the httperf against it):
    # every guest can have the same addresses and domain id
    NETNS=pvlab-run-$$ GUEST_IP=10.201.0.2 HOST_IP=10.201.0.1
    for ((i = 1; i <= INSTANCES; i++)); do
      ip netns add "$NETNS-$i" 2>"$RUN/netns.err" ||
        unsupported "httperf-vif needs a network namespace: ip netns add failed: $(head -1 "$RUN/netns.err")"
      ip -n "$NETNS-$i" link set lo up
    done
    echo "detail vif=guest $GUEST_IP, Domain 0 $HOST_IP on pvif<dom>.0 in a network namespace (one a guest)"
    [ -f "$SELECTWAIT" ] || fail "$SELECTWAIT is missing: run make (BUILD=$BUILD) first"
    echo "detail client_select=waits_1ms"
  fi
elif [ "$PLATFORM" = fullvirt ]; then
  read -r ACCEL why <"$(accel_file)"
  echo "detail accel=$ACCEL"
  echo "detail qemu=$(qemu_version)"
  echo "detail vcpus=1"
  if [ "$ACCEL" = tcg ]; then
    echo "detail kvm_probe=$why"
    # TCG runs guest code 10-50x slower: smaller runs keep the suite short
    # (against native at full size here: the report gives no ratio)
    [ -n "${PVLAB_NESTED:-}" ] || SCALE=${PVLAB_TCG_SCALE:-0.25}
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
    # the shared image read-only; the guest's writes go to the overlay its
    # initramfs puts over it (guest/initramfs.sh), on this run's scratch
    # disk: through the block back end, as fullvirt's reach QEMU's
    # snapshot file. --stats: the back ends' counters after the run.
    scratch_disk "$RUN/scratch.$i.img"
    local net=""
    [ -z "$NETNS" ] || net=" pvlab.net=$GUEST_IP/24"
    { echo "name = \"linuxpv$i\""; echo "memory = $MEM"; echo "vcpus = 1"
      echo "kernel = \"$IMAGES/vmlinuz\""; echo "ramdisk = \"$IMAGES/initrd-linuxpv.cpio.gz\""
      echo "cmdline = \"console=hvc0 quiet loglevel=3 panic=-1 pvlab.root=xvda pvlab.overlay=xvdb $cmdline$net\""
      echo "disk = [ \"file:$IMAGES/rootfs.img,xvda,r\", \"file:$RUN/scratch.$i.img,xvdb,w\" ]"
      [ -z "$NETNS" ] || echo "vif = [ \"mac=00:16:3e:70:00:01,ip=$GUEST_IP\" ]"; } >"$RUN/linuxpv$i.cfg"
    cmd=("$BIN/pvmon" --stats --xenstore "$RUN/xenstore.$i" run "$RUN/linuxpv$i.cfg")
    [ -z "$NETNS" ] || cmd=(ip netns exec "$NETNS-$i" "${cmd[@]}")
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
    if [ -n "$NETNS" ] && [[ $line =~ ^workload:\ serving\ on\ port\ ([0-9]+) ]]; then
      vif_client "$i" "${BASH_REMATCH[1]}" &
    fi
  done <"$RUN/fifo.$i"
  wait
}

# scratch_disk FILE: linuxpv's writable xvdb, a sparse file with a fresh
# ext4 (inode tables and journal written now, not by the guest's
# ext4lazyinit during the workload); rm -rf $RUN deletes it.
scratch_disk() {
  truncate -s "${SCRATCH_MIB}M" "$1"
  mkfs.ext4 -q -F -L pvlab-scratch -m 0 -N 65536 -J size=32 \
    -E lazy_itable_init=0,lazy_journal_init=0,nodiscard "$1" >&2
}

# vif_client I PORT: httperf-vif's client, Domain 0's httperf in guest
# I's namespace against its nginx on PORT over its VIF, once every guest
# serves (or one has ended), so that the servers are measured side by
# side; its lines in $RUN/client.I, its status in client.I.rc. Then it
# lets the guest's server end (a connection to its port 5003).
vif_client() {
  local i=$1 port=$2 ns=$NETNS-$1 links tap="" rc=0
  # N guests share the host's CPUs: each answers up to N times as slowly
  local -a args=(httperf-vif --client "$GUEST_IP:$port" --scale "$SCALE" --wait $((10 * INSTANCES)))
  [ $QUICK = 1 ] && args+=(--quick)
  : >"$RUN/serving.$i"
  until [ "$(ls "$RUN"/serving.* | wc -l)" -ge "$INSTANCES" ] ||
        grep -qs '^pvlab: end status=' "$RUN"/console.*; do
    sleep 0.5
  done
  links=$(ip -n "$ns" -o link show)
  [[ $links =~ (pvif[0-9]+\.0)[:@] ]] && tap=${BASH_REMATCH[1]}
  if [ -z "$tap" ] || ! ip -n "$ns" addr add "$HOST_IP/24" dev "$tap"; then
    echo "workload: no TAP device pvif<dom>.0 to give $HOST_IP in $ns" >"$RUN/client.$i.err"
    rc=1
  else
    # selectwait.so: httperf sleeps in select() rather than spinning on
    # the CPUs the domains it measures need
    ip netns exec "$ns" env PVLAB_TMP="$RUN" LD_PRELOAD="$SELECTWAIT" "$PLAT_DIR/workload.sh" "${args[@]}" \
      >"$RUN/client.$i" 2>"$RUN/client.$i.err" || rc=$?
  fi
  echo "$rc" >"$RUN/client.$i.rc"
  ip netns exec "$ns" timeout 60 bash -c "exec 3<>/dev/tcp/$GUEST_IP/5003" 2>/dev/null ||
    log "guest $i: its port 5003 did not answer: its server will not end"
}

# stats_details CONSOLE PATTERN NAME...: numbers from pvmon's --stats
# line, the groups \(...\) of the sed PATTERN in order, as "detail
# NAME=N" (nothing where the line has no such part).
stats_details() {
  local console=$1 re=$2 refs="" n i=0
  shift 2
  for n in "$@"; do i=$((i + 1)); refs+=" \\$i"; done
  local -a v
  v=($(sed -n "s/$re/${refs# }/p" "$console" | tail -1))
  [ ${#v[@]} = $# ] || return 0
  i=0
  for n in "$@"; do echo "detail $n=${v[i]}"; i=$((i + 1)); done
}
D='\([0-9]*\)'    # a number, as a sed group
# the block back end's part ("blk: requests N (segments N, N bytes,
# flushes N, errors N, bad grants N) in N batches, N events to the guest,
# N kicks from it")
blk_details() {
  stats_details "$1" ".*; blk: requests $D (segments $D, $D bytes, flushes $D, errors $D, bad grants $D) in $D batches, $D events to the guest, $D kicks.*" \
    blk_requests blk_segments blk_bytes blk_flushes blk_errors blk_bad_grants blk_batches blk_events blk_kicks
}
# the network back end's ("net: tx N packets (N bytes, errors N, dropped
# N) in N batches, N kicks from the guest, N events; rx N packets (N
# bytes, dropped N) in N batches, N events; ...")
net_details() {
  stats_details "$1" ".*; net: tx $D packets ($D bytes, errors $D, dropped [0-9]*) in [0-9]* batches, $D kicks from the guest, [0-9]* events; rx $D packets ($D bytes, dropped $D) in [0-9]* batches, $D events.*" \
    net_tx_packets net_tx_bytes net_tx_errors net_tx_kicks net_rx_packets net_rx_bytes net_rx_dropped net_rx_events
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
# guest's samples (instance=I), the details of the first, and the cell's
# aggregate rate as the sum of the guests' own rates (side by side).
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
  copy=""                             # several guests: whose sample it is
  [ "$INSTANCES" = 1 ] || copy=" instance=$i"
  if [ "$PLATFORM" = linuxpv ] && [ "$i" = 1 ]; then
    blk_details "$c"
    echo "detail scratch_written_mib=$(du -m "$RUN/scratch.$i.img" | cut -f1)"
  fi
  if [ -n "$NETNS" ]; then
    # Domain 0's side: httperf's lines, or why it failed
    crc=$(cat "$RUN/client.$i.rc" 2>/dev/null) || crc=""
    if [ "$crc" != 0 ]; then
      why=$(sed -n 's/^workload: //p' "$RUN/client.$i.err" 2>/dev/null | tail -1) || why=""
      cat "$RUN/client.$i.err" >&2 2>/dev/null || true
      status=1 reason="Domain 0's httperf: ${why:-it never started (status ${crc:-none})}"
      continue
    fi
    if [ "$i" = 1 ]; then
      net_details "$c"
      sed -n '/^pvlab: detail scale=/d; s/^pvlab: detail /detail /p' "$c"   # the client says it too
      sed -n '/^detail /p' "$RUN/client.$i"
    fi
    sed -n "s/^sample .*/&$copy/p" "$RUN/client.$i"
  elif [ "$INSTANCES" = 1 ]; then
    sed -n 's/^pvlab: \(sample\|detail\) /\1 /p' "$c"
  else
    [ "$i" != 1 ] || sed -n 's/^pvlab: detail /detail /p' "$c"
    sed -n "/^pvlab: sample metric=\\(wall_s\\|aggregate_passes_per_s\\) /d; s/^pvlab: sample \\(.*\\)/sample \\1$copy/p" "$c"
  fi
done
[ $status = 0 ] || fail "$reason"
if [ "$INSTANCES" -gt 1 ] && [ -n "$NETNS" ]; then
  # the servers' rates, each over its own httperf run, side by side
  for ((i = 1; i <= INSTANCES; i++)); do cat "$RUN/client.$i"; done | awk '/^sample metric=reply_rate / { sub(/.*value=/, ""); r += $0 }
    END { printf "sample metric=aggregate_reply_rate unit=replies/s higher=1 value=%.1f\n", r }'
elif [ "$INSTANCES" -gt 1 ]; then
  cat "$RUN"/console.* | awk '
    /^pvlab: sample metric=wall_s / { sub(/.*value=/, ""); if ($0 > w) w = $0 }
    /^pvlab: sample metric=aggregate_passes_per_s / { sub(/.*value=/, ""); r += $0 }
    END { printf "sample metric=wall_s unit=s higher=0 value=%.2f\n", w
          printf "sample metric=aggregate_passes_per_s unit=passes/s higher=1 value=%.4f\n", r }'
fi
exit 0
