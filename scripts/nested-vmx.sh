#!/usr/bin/env bash
# nested-vmx.sh: runs a command on an Intel VT-x KVM host made on the spot.
# Bochs emulates VMX with EPT; a Debian 6.1 kernel booted under it loads
# kvm_intel, so inside that L1 /dev/kvm is a VT-x KVM. Bochs has no 9p:
# the command, a copy of the repository and the host programs it needs
# travel in the initramfs; its output comes back on the second serial port.
set -euo pipefail

NESTED=vmx KVM_MODULE=kvm_intel CACHE_NAME=nested-vmx
. "$(dirname "$0")/nested-lib.sh"
BOCHS=${BOCHS:-bochs-bin}
TIMEOUT=${PVLAB_NESTED_VMX_TIMEOUT:-1800}
# Not corei7_skylake_x or corei7_icelake_u: their CPUID leaves 0x15/0x16
# declare a GHz TSC that Linux trusts without calibrating, while Bochs's
# TSC counts instructions; the L1's clock then runs 3.5 GHz / IPS times
# slower than its timers and delays. broadwell_ult has VMX with EPT, VPID and
# unrestricted guests and no such leaves: the L1 calibrates against the PIT.
CPU=${PVLAB_NESTED_VMX_CPU:-broadwell_ult}
MEM=${PVLAB_NESTED_VMX_MEM:-1024}
# Bochs's clock runs on instructions (clock: sync=none): one L1 second is
# IPS of them, a little more than Bochs executes in a wall second here.
IPS=${PVLAB_NESTED_VMX_IPS:-50000000}
KVM_INTEL_PARAMS=${PVLAB_NESTED_KVM_INTEL:-}
STAGE=""
OWN_OPTS=([--kvm-intel]=KVM_INTEL_PARAMS [--stage]=STAGE)

usage() {
  cat <<EOF
usage: scripts/nested-vmx.sh [options] [--] COMMAND [ARG...]
       scripts/nested-vmx.sh --prepare

Boots an L1 VM under Bochs with a VMX CPU, loads kvm and kvm_intel in it
and runs COMMAND there as root, so COMMAND's /dev/kvm is a VT-x KVM.
Prints COMMAND's output (stdout and stderr together) on stdout and exits
with COMMAND's status.

Bochs shares no directories, so the L1's / is an initramfs holding: the
host's $HOST_PKGS (programs and the libraries ldd lists, at their
own paths; busybox's applets after them in PATH), a copy of the repository
($REPO: the files git lists, and the build directory's
programs, not its objects, with the libraries they need), ../shared beside
it. Writes there stay in the L1. PVLAB_NESTED=vmx is set; BUILD, BIN, PATH and PVLAB_* come from the
caller's environment. COMMAND starts in the repository directory. The
built binaries must exist on the host first (make BUILD=...).

options:
  --timeout S        whole run, boot included (default $TIMEOUT; PVLAB_NESTED_VMX_TIMEOUT)
  --cpu MODEL        Bochs CPU model (default $CPU; PVLAB_NESTED_VMX_CPU),
                     e.g. corei7_skylake_x (its L1 clock runs slow, see
                     docs/architecture.md); bochs --help cpu lists them
  --mem MIB          L1 memory (default $MEM; PVLAB_NESTED_VMX_MEM)
  --kvm-intel PARAMS kvm_intel module parameters, e.g. "ept=0" (PVLAB_NESTED_KVM_INTEL)
  --stage FILES      host files (colon-separated) the L1 gets at the same paths,
                     e.g. build/nested/vmlinuz, which the copy leaves out
  --env NAME=VALUE   set NAME in COMMAND's environment (repeatable)
  -C DIR             start COMMAND in DIR (under the repository) instead of it
  --build DIR        build directory holding the cache DIR/nested-vmx/ (default \$BUILD or build)
  --console FILE     keep the L1's serial console log in FILE
  -v                 copy the L1's console to stderr as it boots
  --prepare          only fetch the kernel and build the initramfs, then exit
  -h, --help         this text

The L1's clock counts Bochs's instructions, $IPS a second
(PVLAB_NESTED_VMX_IPS); times printed in the L1 are in that clock, the
closing line gives wall seconds too. The kernel is Debian's
linux-image-amd64 (6.1), taken from the installed package when present,
else fetched with apt-get download (about 70 MB) when the cache is built.

exit status: COMMAND's; 77 with "SKIP: reason" when the VT-x host cannot
be made (no Bochs, no VMX in the CPU model, kvm_intel refuses to load, no
kernel); 124 when the timeout expires; 2 for usage errors; 1 when the L1
failed.
EOF
}

# What the L1 has of the host: enough for bash scripts like tests/*.sh.
HOST_PKGS="bash dash coreutils grep sed mawk findutils diffutils gzip procps"
# and the Linux PV disk and network tests' (linux_disk.sh, linux_net.sh):
# mkfs.ext4 and debugfs, xenstore-ls and the rest, ip (netns)
HOST_PKGS+=" e2fsprogs xenstore-utils iproute2"
# and single files: the alternatives' links, pvmon's dlopen of libgcc_s
HOST_FILES="/bin/sh /usr/bin/awk /lib/x86_64-linux-gnu/libgcc_s.so.1 /etc/mke2fs.conf"

nested_options "$@"
module_params "$KVM_INTEL_PARAMS" --kvm-intel
[[ $IPS =~ ^[1-9][0-9]*$ ]] || usage_error "PVLAB_NESTED_VMX_IPS wants a positive integer, not '$IPS'"
case $WORKDIR/ in "$REPO"/*) ;; *) usage_error "-C: '$WORKDIR' is not in the repository, the L1 has no copy of it" ;; esac
IFS=: read -ra STAGED <<<"$STAGE"
for f in "${STAGED[@]}"; do [ -f "$f" ] || usage_error "--stage: no file '$f'"; done

[ -z "${PVLAB_NESTED:-}" ] || skip "already inside a nested host (no L2 hosts)"
command -v "$BOCHS" >/dev/null || skip "$BOCHS is not installed (Debian packages bochs bochs-term bochsbios vgabios)"
dpkg-query -W -f='${Status}' bochs-term 2>/dev/null | grep -q "ok installed" || skip "Bochs's term display is not installed (Debian package bochs-term)"
command -v python3 >/dev/null || skip "python3 is not installed (Debian package python3)"
command -v xorriso >/dev/null || skip "xorriso is not installed (Debian package xorriso)"
[ -f /usr/lib/ISOLINUX/isolinux.bin ] && [ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ] ||
  skip "isolinux is not installed (Debian packages isolinux syslinux-common)"
command -v busybox >/dev/null || skip "busybox is not installed (Debian package busybox-static)"
models=$("$BOCHS" --help cpu 2>&1 || true)
grep -qx "$CPU" <<<"$models" || usage_error "--cpu: Bochs has no CPU model '$CPU' (bochs --help cpu)"

# ---- the kernel and the initramfs (cached) -------------------------------
# tun: the TAP devices of pvmon's network back end (xen_netback.c).
MODULES="kvm_intel tun"
# Bochs's BIOS reads the image faster than the L1 would inflate it
INITRD_COMPRESS=cat

# stage_file ROOT PATH: PATH at its own place under ROOT; each symbolic
# link on the way is kept as a link and followed.
stage_file() {
  local root=$1 p=$2 t
  while [ -L "$p" ]; do
    [ -e "$root$p" ] || [ -L "$root$p" ] || { mkdir -p "$root$(dirname "$p")"; cp -P "$p" "$root$p"; }
    t=$(readlink "$p")
    [[ $t == /* ]] || t=$(dirname "$p")/$t
    p=$t
  done
  [ -e "$root$p" ] || { mkdir -p "$root$(dirname "$p")"; cp -p "$p" "$root$p"; }
}

# stage_programs ROOT FILE...: the host's FILEs and the libraries ldd lists
# for them at their own paths under ROOT, with the host's merged-/usr links.
stage_programs() {
  local root=$1 d t f; shift
  for d in /bin /sbin /lib /lib64; do
    [ -L "$d" ] && [ ! -L "$root$d" ] || continue
    t=$(readlink "$d")
    mkdir -p "$root/${t#/}"
    ln -s "$t" "$root$d"
  done
  for f in "$@"; do
    [ -f "$f" ] && stage_file "$root" "$f"
  done
  for f in $(for f in "$@"; do ldd "$f" 2>/dev/null || true; done |
             awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u); do
    stage_file "$root" "$f"
  done
}

# The host's programs in HOST_PKGS and HOST_FILES, and a root's skeleton.
initramfs_extra() {
  local ir=$1
  # shellcheck disable=SC2086
  stage_programs "$ir" $({ dpkg -L $HOST_PKGS | grep -E '^(/usr)?/s?bin/.'; printf '%s\n' $HOST_FILES; } | sort -u)
  mkdir -p "$ir"/{etc,tmp,root,run,var/tmp,pvlab}
  chmod 1777 "$ir/tmp" "$ir/var/tmp"
  echo 'root:x:0:0:root:/root:/bin/bash' >"$ir/etc/passwd"
  echo 'root:x:0:' >"$ir/etc/group"
}

# The L1's /init (busybox sh). The run's own archive adds /pvlab/config
# and /pvlab/cmd (what to run), the repository, the build and ../shared.
# Everything it reports goes to the console (ttyS0) as "pvlab-l1: " lines;
# the command's output goes to ttyS1.
init_script() {
  init_prologue /busybox
  cat <<'EOF'
# the sleep lets the UARTs send what they hold before Bochs stops
halt() { sync; sleep 1; poweroff -f; }
skip() { say "skip: $*"; halt; }
. /pvlab/config
grep -qw vmx /proc/cpuinfo || skip "the L1 CPU has no vmx flag (Bochs CPU model $CPU)"
say "boot $(up)"
if ! err=$(modprobe kvm_intel $KVM_INTEL_PARAMS 2>&1); then
  skip "kvm_intel did not load ($err); dmesg: $(dmesg | grep -iE 'kvm|vmx' | tail -5 | tr '\n' ';')"
fi
[ -c /dev/kvm ] || skip "kvm_intel loaded but /dev/kvm is missing"
[ -d /sys/module/kvm_intel ] || skip "/dev/kvm is there but kvm_intel is not loaded"
modprobe tun 2>/dev/null || say "no tun module: no TAP devices"   # pvmon's VIFs
say "kvm_intel $(cd /sys/module/kvm_intel/parameters && for p in ept eptad unrestricted_guest vpid nested enable_shadow_vmcs; do printf '%s=%s ' $p "$(cat $p)"; done)"
say "kvm $(up)"
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
stty -F /dev/ttyS1 raw -echo
say "running the command"
/bin/bash /pvlab/cmd >/dev/ttyS1 2>&1 </dev/null
rc=$?
say "done $(up) rc $rc"
halt
EOF
}

prepare_cache /busybox "$HOST_PKGS $HOST_FILES" "$(dpkg-query -W $HOST_PKGS 2>&1)"

# ---- one run --------------------------------------------------------------
new_run
SHARED=$(cd "$REPO/.." && pwd)/shared
[ -d "$SHARED" ] || SHARED=
L1_PATH_TAIL=/busybox

# stage_run: $RUN/run.cpio, the run's part of the initramfs: the command,
# the repository's files (git's list where it is a checkout), the build
# directory without objects, caches, logs and the platforms' disk images
# (hundreds of MB after make report, which Bochs would unpack at every
# boot), with the host libraries its programs need, and ../shared.
stage_run() {
  local p=$RUN/payload
  mkdir -p "$p/pvlab"
  printf 'CPU=%q\nKVM_INTEL_PARAMS=%q\n' "$CPU" "$KVM_INTEL_PARAMS" >"$p/pvlab/config"
  command_script >"$p/pvlab/cmd"
  {
    if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      git -C "$REPO" ls-files -co --exclude-standard | sed "s|^|$REPO/|"
    else
      find "$REPO" -path "$BUILD_DIR" -prune -o -name .git -prune -o ! -type d -print
    fi
    find "$BUILD_DIR" -path "$CACHE" -prune -o -path "$BUILD_DIR/nested" -prune -o -path "$BUILD_DIR/test-logs" -prune -o \
      -path "$BUILD_DIR/images" -prune -o \
      ! -type d ! -name '*.o' ! -name '*.d' ! -name '*.a' -print
    [ -z "$SHARED" ] || find "$SHARED" ! -type d
    for f in "${STAGED[@]}"; do realpath -s "$f"; done
  } | while read -r f; do [ -e "$f" ] && echo "${f#/}"; done >"$RUN/files"
  stage_programs "$p"
  tar -C / -cf - --no-recursion -T "$RUN/files" | tar -C "$p" -xf -
  # shellcheck disable=SC2046
  stage_programs "$p" $(sed 's|^|/|' "$RUN/files" | grep "^$BUILD_DIR/")
  cpio_archive "$p" "$RUN/run.cpio"
  rm -rf "$p"
}
stage_run

printf 'default l1\nprompt 0\ntimeout 0\nlabel l1\n  kernel /vmlinuz\n  append %s\n' \
  "initrd=/initrd,/run.cpio console=ttyS0 quiet panic=-1 rdinit=/init" >"$RUN/isolinux.cfg"
xorriso -as mkisofs -quiet -o "$RUN/l1.iso" -graft-points -b isolinux/isolinux.bin -c isolinux/boot.cat \
  -no-emul-boot -boot-load-size 4 -boot-info-table \
  /isolinux/isolinux.bin=/usr/lib/ISOLINUX/isolinux.bin /isolinux/ldlinux.c32=/usr/lib/syslinux/modules/bios/ldlinux.c32 \
  /isolinux/isolinux.cfg="$RUN/isolinux.cfg" /vmlinuz="$CACHE/vmlinuz" /initrd="$CACHE/initrd" /run.cpio="$RUN/run.cpio" \
  >"$RUN/xorriso.log" 2>&1 || { cat "$RUN/xorriso.log" >&2; die "xorriso could not make the boot image"; }

# Debian's bochs has its debugger on (dbg.rc continues at once), no `nogui`
# display (the term one wants a terminal, below), and stops
# on its sound drivers unless they are dummies. A triple fault stops it.
cat >"$RUN/bochsrc" <<EOF
memory: guest=$MEM, host=$MEM
cpu: model=$CPU, count=1, ips=$IPS, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
display_library: term
pci: enabled=1, chipset=i440fx
ata0-master: type=cdrom, path=$RUN/l1.iso, status=inserted
boot: cdrom
clock: sync=none, time0=local
com1: enabled=1, mode=file, dev=$RUN/console.log
com2: enabled=1, mode=file, dev=$RUN/out
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
speaker: enabled=0
mouse: enabled=0
log: $RUN/bochs.log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
EOF
echo c >"$RUN/dbg.rc"

# poll: wall times of the L1's milestones; stops Bochs when the L1 kernel
# panics or reboots (it would boot and run the command again).
T0=$SECONDS
poll() {
  grep -q '^wall_kvm ' "$RUN/times" 2>/dev/null || ! grep -q '^pvlab-l1: kvm ' "$RUN/console.log" ||
    echo "wall_kvm $((SECONDS - T0))" >>"$RUN/times"
  grep -q '^wall_done ' "$RUN/times" 2>/dev/null || ! grep -q '^pvlab-l1: done ' "$RUN/console.log" ||
    echo "wall_done $((SECONDS - T0))" >>"$RUN/times"
  ! grep -qE 'Kernel panic|reboot: Restarting' "$RUN/console.log"
}
report_l1() {
  grep -E '^[0-9]+[pe]\[' "$RUN/bochs.log" 2>/dev/null | grep -v 'MSR: Unknown register' | tail -n 10 |
    sed 's/^/nested-vmx: bochs: /' >&2 || true
  tail -n 15 "$RUN/console.log" 2>/dev/null | tr -d '\r' | sed 's/^/nested-vmx: L1 console: /' >&2 || true
}
# The term display draws on a pseudo-terminal that must be read as long as
# Bochs runs. Under `script -qfc ... </dev/null` Bochs blocked a few
# minutes in, writing to a terminal script no longer read (why is not
# known); Python's pty.spawn reads it to the end.
TERM=vt100 LINES=25 COLUMNS=80 run_emulator python3 -c \
  'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))' \
  "$BOCHS" -q -f "$RUN/bochsrc" -rc "$RUN/dbg.rc"

# What the L1 said on its console, as the files finish reads.
tr -d '\r' <"$RUN/console.log" | sed -n 's/^pvlab-l1: //p' >"$RUN/said"
awk '$1 == "boot" || $1 == "kvm" { print $1, $2 } $1 == "done" { print $1, $2 }' "$RUN/said" >>"$RUN/times"
awk '$1 == "done" && $3 == "rc" { print $4 }' "$RUN/said" | tail -1 | grep . >"$RUN/rc" || rm -f "$RUN/rc"
sed -n 's/^skip: //p' "$RUN/said" | head -1 | grep . >"$RUN/skip" || rm -f "$RUN/skip"
SKIP_DETAIL=" (Bochs CPU model $CPU)"
finish "Bochs $CPU, $IPS ips; kvm_intel $(sed -n 's/^kvm_intel //p' "$RUN/said" | head -1)"
