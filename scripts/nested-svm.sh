#!/usr/bin/env bash
# nested-svm.sh: runs a command on an AMD-V (SVM) KVM host made on the spot.
# QEMU's TCG emulates SVM with nested paging; a Debian 6.1 kernel booted
# under it loads kvm_amd, so inside that L1 VM /dev/kvm is a hardware-
# virtualization KVM (not this machine's PVM back end). The host's / is
# shared read-only over 9p and the L1 chroots into it, so the command sees
# the host's binaries and libraries; the repository is shared writable.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
QEMU=${QEMU:-qemu-system-x86_64}
TIMEOUT=${PVLAB_NESTED_TIMEOUT:-600}
CPU=${PVLAB_NESTED_CPU:-max}
MEM=${PVLAB_NESTED_MEM:-1024}
SMP=${PVLAB_NESTED_SMP:-1}
KVM_AMD_PARAMS=${PVLAB_NESTED_KVM_AMD:-}
BUILD_DIR=${BUILD:-build}
WORKDIR=$REPO
CONSOLE_LOG="" VERBOSE=0 PREPARE_ONLY=0
ENVS=()

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

die() { echo "nested-svm: $*" >&2; exit 1; }
skip() { echo "SKIP: nested-svm: $*"; exit 77; }
usage_error() { echo "nested-svm: $*; see --help" >&2; exit 2; }
log() { echo "nested-svm: $*" >&2; }
need_arg() { [ $# -ge 2 ] || usage_error "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --timeout) need_arg "$@"; TIMEOUT=$2; shift 2 ;;
    --cpu) need_arg "$@"; CPU=$2; shift 2 ;;
    --mem) need_arg "$@"; MEM=$2; shift 2 ;;
    --smp) need_arg "$@"; SMP=$2; shift 2 ;;
    --kvm-amd) need_arg "$@"; KVM_AMD_PARAMS=$2; shift 2 ;;
    --env) need_arg "$@"; [[ $2 == [A-Za-z_]*=* ]] || usage_error "--env wants NAME=VALUE, not '$2'"
           ENVS+=("$2"); shift 2 ;;
    -C) need_arg "$@"; WORKDIR=$(cd "$2" 2>/dev/null && pwd) || usage_error "-C: no directory '$2'"; shift 2 ;;
    --build) need_arg "$@"; BUILD_DIR=$2; shift 2 ;;
    --console) need_arg "$@"; CONSOLE_LOG=$2; shift 2 ;;
    -v) VERBOSE=1; shift ;;
    --prepare) PREPARE_ONLY=1; shift ;;
    --) shift; break ;;
    -*) usage_error "unknown option '$1'" ;;
    *) break ;;
  esac
done
for n in TIMEOUT MEM SMP; do
  [[ ${!n} =~ ^[1-9][0-9]*$ ]] || usage_error "--${n,,} wants a positive integer, not '${!n}'"
done
[[ $KVM_AMD_PARAMS =~ ^[A-Za-z0-9_=,.\ -]*$ ]] || usage_error "--kvm-amd: '$KVM_AMD_PARAMS' is not a list of name=value"
[ "$PREPARE_ONLY" = 1 ] || [ $# -gt 0 ] || usage_error "no COMMAND given"

[ -z "${PVLAB_NESTED:-}" ] || skip "already inside the nested SVM host (no L2 hosts)"
command -v "$QEMU" >/dev/null || skip "$QEMU is not installed (Debian package qemu-system-x86)"
command -v busybox >/dev/null || skip "busybox is not installed (Debian package busybox-static)"
[ "$(id -u)" = 0 ] || skip "needs root: the L1 shares / over 9p with the host's owners and modes"

case $BUILD_DIR in /*) ;; *) BUILD_DIR=$REPO/$BUILD_DIR ;; esac
CACHE=$BUILD_DIR/nested
mkdir -p "$CACHE"

# ---- the kernel and the initramfs (cached) -------------------------------
# Modules the L1 loads; modprobe pulls their dependencies from modules.dep.
MODULES="virtio_pci 9pnet_virtio 9p kvm_amd"

# kernel_source: sets KROOT (a tree with boot/ and lib/modules/) and KVER,
# from the installed Debian 6.1 kernel or the fetched package.
kernel_source() {
  local v
  for v in /lib/modules/6.1.*-amd64; do
    if [ -f "/boot/vmlinuz-${v##*/}" ] && [ -f "$v/modules.dep" ]; then
      KROOT=/ KVER=${v##*/}; return 0
    fi
  done
  local pkg ver
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  if [ -z "$pkg" ]; then
    apt-get update -qq >&2 || true
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  fi
  [ -n "$pkg" ] || skip "apt knows no linux-image-amd64 (no Debian package lists?)"
  ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
  local debs=$CACHE/debs deb
  mkdir -p "$debs"
  deb=$debs/${pkg}_${ver//:/%3a}_amd64.deb
  if [ ! -f "$deb" ]; then
    log "fetching $pkg $ver (apt-get download, about 70 MB)"
    rm -f "$debs"/*.deb
    # as root apt drops to _apt, which may not write into the build tree
    (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) \
      || skip "cannot fetch the L1 kernel: apt-get download $pkg=$ver failed (no mirror reachable?)"
    deb=$(ls "$debs"/*.deb | head -1)
  fi
  KROOT=$CACHE/kernel.stage
  rm -rf "$KROOT"
  mkdir -p "$KROOT"
  dpkg-deb -x "$deb" "$KROOT"
  KVER=$(ls "$KROOT/lib/modules" | head -1)
  busybox depmod -b "$KROOT" "$KVER"   # the package ships no modules.dep
}

# build_initramfs: $CACHE/vmlinuz and $CACHE/initrd.gz with busybox, the
# modules in MODULES and their dependencies, and the init below.
build_initramfs() {
  local t0=$SECONDS
  kernel_source
  local mods=$KROOT/lib/modules/$KVER ir=$CACHE/initramfs.stage
  rm -rf "$ir"
  mkdir -p "$ir"/{bin,proc,sys,dev,ctl,host} "$ir/lib/modules/$KVER"
  install -m 755 "$(readlink -f "$(command -v busybox)")" "$ir/bin/busybox"
  init_script >"$ir/init"
  chmod 755 "$ir/init"
  # the closure of MODULES over modules.dep, files and lines alike
  local want=() deps=() name path p
  for name in $MODULES; do
    path=$(awk -F: -v n="/${name//_/[-_]}.ko" '$1 ~ n"$" { print $1; exit }' "$mods/modules.dep")
    [ -n "$path" ] || die "module $name is not in kernel $KVER"
    read -ra deps < <(awk -F': *' -v m="$path" '$1 == m { print $2 }' "$mods/modules.dep")
    want+=("$path" "${deps[@]}")
  done
  for p in $(printf '%s\n' "${want[@]}" | sort -u); do
    install -D -m 644 "$mods/$p" "$ir/lib/modules/$KVER/$p"
    grep "^$p:" "$mods/modules.dep" >>"$ir/lib/modules/$KVER/modules.dep"
  done
  cp "$KROOT/boot/vmlinuz-$KVER" "$CACHE/vmlinuz.tmp"
  (cd "$ir" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null | gzip -6) >"$CACHE/initrd.gz.tmp"
  mv "$CACHE/vmlinuz.tmp" "$CACHE/vmlinuz"
  mv "$CACHE/initrd.gz.tmp" "$CACHE/initrd.gz"
  echo "$KVER" >"$CACHE/kernel.version"
  rm -rf "$ir"
  [ "$KROOT" = / ] || rm -rf "$KROOT" "$CACHE/debs"   # 70 MB; fetched again only to rebuild
  log "kernel $KVER and initramfs ready in $((SECONDS - t0)) s ($CACHE)"
}

# The L1's /init (busybox sh). Its control share /ctl holds config (what to
# run), cmd (the command) and receives out, rc, times and skip.
init_script() {
  cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
up() { cut -d' ' -f1 /proc/uptime; }
halt() { sync; poweroff -f; }
say() { echo "pvlab-l1: $*"; }
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
say "running the command"
chroot $H /bin/bash /run/pvlab-nested/cmd >/ctl/out 2>&1 </dev/null
echo $? >/ctl/rc.tmp
echo "done $(up)" >>/ctl/times
mv /ctl/rc.tmp /ctl/rc
halt
EOF
}

init_hash() {
  { echo "nested-svm format 1 $MODULES"; init_script; busybox 2>&1 | head -1;
    ls -d /lib/modules/6.1.*-amd64 2>/dev/null || true
    apt-cache policy linux-image-amd64 2>/dev/null | awk '/Candidate/ { print $2 }'; } | sha256sum | cut -c1-16
}

exec 9>"$CACHE/.lock"
flock 9                       # one builder at a time; the others then reuse
h=$(init_hash)
if [ ! -f "$CACHE/vmlinuz" ] || [ ! -f "$CACHE/initrd.gz" ] || [ "$(cat "$CACHE/stamp" 2>/dev/null)" != "$h" ]; then
  rm -f "$CACHE/stamp"
  build_initramfs
  echo "$h" >"$CACHE/stamp"
fi
flock -u 9
[ "$PREPARE_ONLY" = 0 ] || { log "ready: $CACHE/vmlinuz $(cat "$CACHE/kernel.version")"; exit 0; }

# ---- one run --------------------------------------------------------------
RUN=$(mktemp -d /tmp/pvlab-nested.XXXXXX)
qpid="" tpid=""
cleanup() {
  [ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
  [ -z "$tpid" ] || kill "$tpid" 2>/dev/null || true
  [ -z "$CONSOLE_LOG" ] || cp "$RUN/console.log" "$CONSOLE_LOG" 2>/dev/null || true
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SHARED=$(cd "$REPO/.." && pwd)/shared
[ -d "$SHARED" ] || SHARED=
{ printf 'CPU=%q\nKVM_AMD_PARAMS=%q\nREPO=%q\nSHARED=%q\n' "$CPU" "$KVM_AMD_PARAMS" "$REPO" "$SHARED"; } >"$RUN/config"
{
  echo 'export PVLAB_NESTED=svm HOME=/root'
  for v in PATH LANG LC_ALL TERM BUILD BIN $(compgen -e | grep '^PVLAB_' || true); do
    [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
  done
  for e in "${ENVS[@]}"; do printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"; done
  printf 'cd %q || exit 1\n' "$WORKDIR"
  printf 'exec'; printf ' %q' "$@"; echo
} >"$RUN/cmd"
: >"$RUN/out"

# One virtio-9p device per share; multidevs=remap keeps inode numbers of
# the host's several file systems under / apart.
fsdev() { echo "-fsdev local,id=$1,path=$2,security_model=passthrough,multidevs=remap$3 -device virtio-9p-pci,fsdev=$1,mount_tag=$1"; }
# shellcheck disable=SC2046
timeout -k 5 "$TIMEOUT" "$QEMU" -accel tcg -cpu "$CPU" -m "$MEM" -smp "$SMP" \
  -nodefaults -no-user-config -display none -no-reboot -monitor none \
  -serial "file:$RUN/console.log" -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.gz" \
  -append "console=ttyS0 quiet panic=-1 rdinit=/init" \
  $(fsdev ctl "$RUN" "") $(fsdev root / ",readonly=on") $(fsdev repo "$REPO" "") \
  ${SHARED:+$(fsdev shared "$SHARED" ",readonly=on")} \
  </dev/null >"$RUN/qemu.log" 2>&1 &
qpid=$!
[ "$VERBOSE" = 0 ] || { tail -n +1 -F "$RUN/console.log" --pid="$qpid" 2>/dev/null >&2 & }
tail -n +1 -s 0.2 -f "$RUN/out" --pid="$qpid" &
tpid=$!
qrc=0
wait "$qpid" || qrc=$?
qpid=""
wait "$tpid" || true
tpid=""

report_l1() {
  grep -v "TCG doesn't support requested feature" "$RUN/qemu.log" | sed 's/^/nested-svm: qemu: /' >&2 || true
  tail -n 15 "$RUN/console.log" 2>/dev/null | sed 's/^/nested-svm: L1 console: /' >&2 || true
}
timings() {
  awk '{ t[$1] = $2 } END { if (t["kvm"] != "") printf "L1 up with kvm_amd in %.1f s", t["kvm"];
         if (t["done"] != "") printf ", command %.1f s", t["done"] - t["kvm"] }' "$RUN/times" 2>/dev/null || true
}
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  log "timed out after $TIMEOUT s ($(timings))"
  report_l1
  exit 124
fi
why=$(cat "$RUN/skip" 2>/dev/null || sed -n 's/^pvlab-l1: skip: //p' "$RUN/console.log" 2>/dev/null | head -1)
if [ -n "$why" ]; then
  w=$(grep "TCG doesn't support requested feature" "$RUN/qemu.log" | grep -E '[.](svm|npt|vmx) ' |
      sed 's/.*feature: //' | paste -sd' ' || true)
  skip "$why (QEMU -cpu $CPU under TCG${w:+; TCG lacks $w})"
fi
if [ ! -f "$RUN/rc" ]; then
  log "the L1 stopped before the command finished (QEMU status $qrc)"
  report_l1
  exit 1
fi
log "$(timings) (cpu $CPU; kvm_amd $(grep -E '^(npt|nested|avic)=' "$RUN/kvm_amd" | paste -sd' '))"
exit "$(cat "$RUN/rc")"
