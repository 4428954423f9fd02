#!/usr/bin/env bash
# nested-svm.sh: runs a command on an AMD-V (SVM) KVM host made on the spot.
# QEMU's TCG emulates SVM with nested paging; a Debian 6.1 kernel booted
# under it loads kvm_amd, so inside that L1 VM /dev/kvm is a hardware-
# virtualization KVM (not this machine's PVM back end). The host's / is
# shared read-only over 9p and the L1 chroots into it, so the command sees
# the host's binaries and libraries; the repository is shared writable.
set -euo pipefail

NESTED=svm KVM_MODULE=kvm_amd CACHE_NAME=nested
. "$(dirname "$0")/nested-lib.sh"
QEMU=${QEMU:-qemu-system-x86_64}
TIMEOUT=${PVLAB_NESTED_TIMEOUT:-600}
CPU=${PVLAB_NESTED_CPU:-max}
MEM=${PVLAB_NESTED_MEM:-1024}
SMP=${PVLAB_NESTED_SMP:-1}
KVM_AMD_PARAMS=${PVLAB_NESTED_KVM_AMD:-}
OWN_OPTS=([--smp]=SMP [--kvm-amd]=KVM_AMD_PARAMS)

usage() {
  cat <<EOF
usage: scripts/nested-svm.sh [options] [--] COMMAND [ARG...]
       scripts/nested-svm.sh --prepare

Boots an L1 VM under QEMU TCG with an SVM CPU, loads kvm and kvm_amd in it
and runs COMMAND there (as root, chrooted into the host's / shared over
9p), so COMMAND's /dev/kvm is an AMD-V KVM. Prints COMMAND's output
(stdout and stderr together) on stdout and exits with COMMAND's status.

Inside the L1: / is the host's, read-only; the repository ($REPO)
is shared writable and ../shared beside it read-only, at their own paths
even under /tmp; /tmp, /root, /run and /var/tmp are the L1's own tmpfs; PVLAB_NESTED=svm is set; BUILD, BIN, PATH and PVLAB_* come from
the caller's environment. COMMAND starts in the repository directory.
The built binaries must exist on the host first (make BUILD=...).

options:
  --timeout S      whole run, boot included (default $TIMEOUT; PVLAB_NESTED_TIMEOUT)
  --cpu MODEL      QEMU -cpu model (default $CPU; PVLAB_NESTED_CPU), e.g. EPYC,+svm,+npt
  --mem MIB        L1 memory (default $MEM; PVLAB_NESTED_MEM)
  --smp N          L1 vCPUs, one TCG thread each (default $SMP; PVLAB_NESTED_SMP)
  --kvm-amd PARAMS kvm_amd module parameters, e.g. "npt=0" (PVLAB_NESTED_KVM_AMD)
  --env NAME=VALUE set NAME in COMMAND's environment (repeatable)
  -C DIR           start COMMAND in DIR instead of the repository
  --build DIR      build directory holding the cache DIR/nested/ (default \$BUILD or build)
  --console FILE   keep the L1's serial console log in FILE
  -v               copy the L1's console to stderr as it boots
  --prepare        only fetch the kernel and build the initramfs, then exit
  -h, --help       this text

The kernel is Debian's linux-image-amd64 (6.1), taken from the installed
package when present, else fetched with apt-get download (about 70 MB)
when the cache is built and unpacked into it (10 MB kept); nothing is
installed on the host.

exit status: COMMAND's; 77 with "SKIP: reason" when the SVM host cannot be
made (no QEMU, no SVM under TCG, kvm_amd refuses to load, no kernel);
124 when the timeout expires; 2 for usage errors; 1 when the L1 failed.
EOF
}

nested_options "$@"
[[ $SMP =~ ^[1-9][0-9]*$ ]] || usage_error "--smp wants a positive integer, not '$SMP'"
module_params "$KVM_AMD_PARAMS" --kvm-amd

[ -z "${PVLAB_NESTED:-}" ] || skip "already inside the nested SVM host (no L2 hosts)"
command -v "$QEMU" >/dev/null || skip "$QEMU is not installed (Debian package qemu-system-x86)"
command -v busybox >/dev/null || skip "busybox is not installed (Debian package busybox-static)"
[ "$(id -u)" = 0 ] || skip "needs root: the L1 shares / over 9p with the host's owners and modes"

# ---- the kernel and the initramfs (cached) -------------------------------
# Modules the L1 loads; modprobe pulls their dependencies from modules.dep.
# tun: the TAP devices of pvmon's network back end (xen_netback.c).
MODULES="virtio_pci 9pnet_virtio 9p kvm_amd tun"

initramfs_extra() { mkdir -p "$1"/{ctl,host}; }

# The L1's /init (busybox sh). Its control share /ctl holds config (what to
# run), cmd (the command) and receives out, rc, times and skip.
init_script() {
  init_prologue /bin
  cat <<'EOF'
halt() { sync; poweroff -f; }
# a skip goes to the console too: the control share may not be there yet
skip() { say "skip: $*"; [ ! -f /ctl/config ] || echo "$*" >/ctl/skip; halt; }
grep -qw svm /proc/cpuinfo || skip "the L1 CPU has no svm flag"
modprobe virtio_pci && modprobe 9pnet_virtio && modprobe 9p || { say "9p modules failed"; halt; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 ctl /ctl || { say "no control share"; halt; }
. /ctl/config
echo "boot $(up)" >/ctl/times
if ! err=$(modprobe kvm_amd $KVM_AMD_PARAMS 2>&1); then
  skip "kvm_amd did not load ($err); dmesg: $(dmesg | grep -iE 'kvm|svm|ccp' | tail -5 | tr '\n' ';')"
fi
[ -c /dev/kvm ] || skip "kvm_amd loaded but /dev/kvm is missing"
[ -d /sys/module/kvm_amd ] || skip "/dev/kvm is there but kvm_amd is not loaded"
dmesg | grep -iE 'kvm|svm' >/ctl/dmesg
for p in /sys/module/kvm_amd/parameters/*; do echo "${p##*/}=$(cat "$p")"; done >/ctl/kvm_amd
echo "kvm $(up)" >>/ctl/times
# the host's / read-only, its repository writable, the L1's own scratch
H=/host
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro,cache=loose root $H || { say "no root share"; halt; }
mount -t proc proc $H/proc
mount -t sysfs sys $H/sys
mount -t devtmpfs dev $H/dev
mkdir -p $H/dev/pts $H/dev/shm
mount -t devpts devpts $H/dev/pts
for d in /tmp /root /run /var/tmp /dev/shm; do mount -t tmpfs -o mode=1777 tmp "$H$d"; done
chmod 700 $H/root
# after the scratch mounts: a repository (and the ../shared beside it)
# under /tmp would be hidden by them otherwise
mkdir -p "$H$REPO"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 repo "$H$REPO" || { say "no repository share"; halt; }
if [ -n "$SHARED" ]; then
  mkdir -p "$H$SHARED"
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro shared "$H$SHARED" || { say "no ../shared share"; halt; }
fi
mkdir -p $H/run/pvlab-nested
mount --bind /ctl $H/run/pvlab-nested
ip link set lo up 2>/dev/null || say "cannot bring up lo"   # loopback for the tests' servers
modprobe tun 2>/dev/null || say "no tun module: no TAP devices"   # pvmon's VIFs (the chroot has no modules)
say "running the command"
chroot $H /bin/bash /run/pvlab-nested/cmd >/ctl/out 2>&1 </dev/null
echo $? >/ctl/rc.tmp
echo "done $(up)" >>/ctl/times
mv /ctl/rc.tmp /ctl/rc
halt
EOF
}

prepare_cache /bin

# ---- one run --------------------------------------------------------------
new_run

SHARED=$(cd "$REPO/.." && pwd)/shared
[ -d "$SHARED" ] || SHARED=
{ printf 'CPU=%q\nKVM_AMD_PARAMS=%q\nREPO=%q\nSHARED=%q\n' "$CPU" "$KVM_AMD_PARAMS" "$REPO" "$SHARED"; } >"$RUN/config"
command_script >"$RUN/cmd"

report_l1() {
  grep -v "TCG doesn't support requested feature" "$RUN/emulator.log" | sed 's/^/nested-svm: qemu: /' >&2 || true
  tail -n 15 "$RUN/console.log" 2>/dev/null | sed 's/^/nested-svm: L1 console: /' >&2 || true
}

# One virtio-9p device per share; multidevs=remap keeps inode numbers of
# the host's several file systems under / apart.
fsdev() { echo "-fsdev local,id=$1,path=$2,security_model=passthrough,multidevs=remap$3 -device virtio-9p-pci,fsdev=$1,mount_tag=$1"; }
# shellcheck disable=SC2046
run_emulator "$QEMU" -accel tcg -cpu "$CPU" -m "$MEM" -smp "$SMP" \
  -nodefaults -no-user-config -display none -no-reboot -monitor none \
  -serial "file:$RUN/console.log" -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd" \
  -append "console=ttyS0 quiet panic=-1 rdinit=/init" \
  $(fsdev ctl "$RUN" "") $(fsdev root / ",readonly=on") $(fsdev repo "$REPO" "") \
  ${SHARED:+$(fsdev shared "$SHARED" ",readonly=on")}

w=$(grep "TCG doesn't support requested feature" "$RUN/emulator.log" | grep -E '[.](svm|npt|vmx) ' |
    sed 's/.*feature: //' | paste -sd' ' || true)
SKIP_DETAIL=" (QEMU -cpu $CPU under TCG${w:+; TCG lacks $w})"
finish "cpu $CPU; kvm_amd $(grep -E '^(npt|nested|avic)=' "$RUN/kvm_amd" 2>/dev/null | paste -sd' ')"
