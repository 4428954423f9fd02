#!/usr/bin/env bash
# detect.sh PLATFORM: can this host run PLATFORM? One line on stdout:
#   ok DETAIL            exit 0
#   unsupported REASON   exit 3
# Quick: it checks the tools and what image.sh found (the KVM probe for
# fullvirt runs when the image is built; before that accel=unprobed).
set -Eeuo pipefail
. "$(dirname "$0")/common.sh"

case ${1:-} in
  -h|--help)
    echo "usage: detect.sh PLATFORM   (PLATFORM: $PLATFORMS)"
    echo "Prints 'ok DETAIL' (exit 0) or 'unsupported REASON' (exit 3)."
    exit 0 ;;
esac
[ $# -eq 1 ] || usage_error "usage: detect.sh PLATFORM (one of: $PLATFORMS)"
check_platform "$1"

need_image_tools() {
  local t
  for t in mkfs.ext4 busybox; do
    command -v "$t" >/dev/null || unsupported "$t is missing, needed to build the guest image (bench/deps.txt)"
  done
  [ -n "$(pg_bindir)" ] || unsupported "PostgreSQL is not installed, needed in the guest image (bench/deps.txt)"
  [ -x "$BIN/pvcpu" ] || unsupported "$BIN/pvcpu is not built (make BUILD=${BUILD#"$ROOT"/})"
}

case $1 in
  native)
    echo "ok host_kernel=$(uname -r) cpus=$(nproc)" ;;
  fullvirt)
    command -v "$QEMU" >/dev/null || unsupported "$QEMU is not installed (Debian package qemu-system-x86)"
    need_image_tools
    accel_at=$(accel_file)
    if [ -f "$IMAGES/vmlinuz" ] && [ -f "$accel_at" ]; then
      read -r accel why <"$accel_at"
      [ "$accel" = tcg ] || why=""
      echo "ok qemu=$(qemu_version) guest_kernel=$(cat "$IMAGES/kernel.version") accel=$accel${why:+ kvm_probe=$why}"
    else
      kp=$(kernel_package) || unsupported "apt knows no linux-image-amd64 to boot (run apt-get update)"
      pkg=${kp%% *}
      echo "ok qemu=$(qemu_version) guest_kernel=${pkg#linux-image-} accel=unprobed kvm_probe=at_first_image_build"
    fi ;;
  uml)
    command -v "$LINUX_UML" >/dev/null || unsupported "$LINUX_UML is not installed (Debian package user-mode-linux)"
    [ -f "$UMLXSTATE" ] || unsupported "$UMLXSTATE is not built (make BUILD=${BUILD#"$ROOT"/})"
    need_image_tools
    # UML's processes are ptraced host processes: a container may forbid it
    if [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" = 3 ]; then
      unsupported "ptrace is disabled on this host (kernel.yama.ptrace_scope=3), UML needs it"
    fi
    echo "ok uml=$(uml_version) xstate_shim=umlxstate.so" ;;
  linuxpv)
    [ -x "$BIN/pvmon" ] || unsupported "$BIN/pvmon is not built (make BUILD=${BUILD#"$ROOT"/})"
    need_image_tools
    pv=$(linux_pv_answer)
    [ "${pv%% *}" = yes ] || unsupported "linux pv: $pv"
    echo "ok pvmon=$(pvmon_version) guest=linux-pv" ;;
esac
exit 0
