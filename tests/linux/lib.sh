# Shared by the tests that boot Debian's kernel as a Linux PV domain
# (after tests/lib.sh): its config and the busybox initramfs.
VMLINUZ=${PVLAB_VMLINUZ:-$BUILD/nested/vmlinuz}
# Waits scale by SLOW: under Bochs (the VT-x test bed, PVLAB_NESTED=vmx)
# everything, pvctl's polls included, runs some ten times slower than
# under QEMU TCG; its clock follows.
SLOW=1
[ "${PVLAB_NESTED:-}" != vmx ] || SLOW=4
# pvctl create answers once the domain is built: Debian's kernel read and
# unpacked, which takes over a minute of the L1's clock under Bochs.
[ $SLOW = 1 ] || export PVLAB_CTL_TIMEOUT=$((60 * SLOW))

linux_cfg() {  # linux_cfg NAME [extra lines...]: $TMP/NAME.cfg for Debian's kernel
  local name=$1; shift
  { echo "name = \"$name\""; echo "memory = 256"; echo "kernel = \"$(realpath "$VMLINUZ")\"";
    echo "cmdline = \"console=hvc0 earlyprintk=xen loglevel=8\""; for l in "$@"; do echo "$l"; done; } > "$TMP/$name.cfg"
  echo "$TMP/$name.cfg"
}

# linux_refused WHAT EXPECTED LINE: pvmon run refuses a Linux domain
# whose config has LINE (e.g. a bad disk or vif list) in one line naming
# EXPECTED, with a non-zero status.
linux_refused() {
  local cfg rc
  cfg=$(linux_cfg bad "$3")
  timeout $((60 * SLOW)) $PVMON run "$cfg" >"$TMP/bad.out" 2>"$TMP/bad.err"; rc=$?
  [ $rc -ne 0 ] && [ "$(wc -l < "$TMP/bad.err")" = 1 ] && grep -q "$2" "$TMP/bad.err" ||
    { cat "$TMP/bad.err"; die "$1: not refused in one line naming '$2' (status $rc)"; }
  echo "ok $1 refused: $(cat "$TMP/bad.err")"
}

# The initramfs: a static busybox, pvlm and tests/linux/init.sh as /init.
initramfs() {
  local ir=$TMP/initramfs
  mkdir -p "$ir/bin" "$ir/proc" "$ir/dev" "$ir/sys"
  cp "$BUSYBOX" "$ir/bin/busybox"
  cp tests/linux/init.sh "$ir/init"
  [ ! -x "$BIN/pvlm" ] || cp "$BIN/pvlm" "$ir/bin/pvlm"   # static: --qd's reads at a queue depth
  # The kernel's own xen-blkfront, xen-netfront and ext4 (scripts/nested-lib.sh stages them).
  [ ! -d "$(dirname "$VMLINUZ")/guestmods/lib" ] || cp -r "$(dirname "$VMLINUZ")/guestmods/lib" "$ir/"
  chmod 755 "$ir/init"
  (cd "$ir" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1) > "$TMP/initramfs.gz"
  echo "$TMP/initramfs.gz"
}

need_busybox() {  # $BUSYBOX: a static busybox (PVLAB_BUSYBOX: one known to be), or skip
  [ -z "${PVLAB_BUSYBOX:-}" ] || { BUSYBOX=$PVLAB_BUSYBOX; return; }
  BUSYBOX=$(command -v busybox) || skip "no busybox for the initramfs (Debian's busybox or busybox-static)"
  file -L "$BUSYBOX" | grep -q 'statically linked' || skip "$BUSYBOX is not statically linked (the initramfs holds it alone)"
}

# console_says NAME TEXT SECONDS: waits until domain NAME's console
# (pvctl console --no-follow) has a line with TEXT; false after SECONDS.
console_says() {
  local i
  for i in $(seq $(($3 * 2 * SLOW))); do
    $PVCTL console --no-follow "$1" 2>/dev/null | grep -q "$2" && return 0
    sleep 0.5
  done
  return 1
}

# Each line of `pvmon run` with the host's time (seconds) in front, taken
# without a fork: a date(1) per line falls seconds behind the boot's lines
# in an emulated one-CPU host, and the stamps then say when a line was
# read, not when it came.
stamped() {
  local l
  while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done
}

# user_space: the busybox initramfs's /init (tests/linux/init.sh) in a
# Linux PV domain to its poweroff, every check of it (linux_boot.sh, and
# nested_vmx.sh on VT-x); LINUX_TIMEOUT bounds the run (900 s).
user_space() {
  local cfg rc t0 t1 want a b ga gb
  cfg=$(linux_cfg init "ramdisk = \"$(initramfs)\"")
  t0=$(date +%s)
  timeout "${LINUX_TIMEOUT:-900}" $PVMON --stats run "$cfg" 2>&1 | stamped > "$TMP/init"; rc=${PIPESTATUS[0]}
  t1=$(date +%s)
  cut -d' ' -f2- "$TMP/init" | grep -E '^\[init\] (init: |\[ *[0-9.]*\] (Run /init|reboot:|x86/mm: Checked W\+X))|^pvmon: ' 
  echo "pvmon run with the initramfs: status $rc after $((t1 - t0)) s $WHERE"
  grep -q '^[0-9.]* \[init\] init: FAIL' "$TMP/init" && die "a check of /init failed"
  for want in 'init: uname Linux 6\.1' "init: 200 processes forked and exec'd" 'init: 64 MiB touched and freed' \
              'init: balloon down 32 MiB' 'init: balloon back up' \
              'init: pipes carried 20000 lines and 3000000 bytes' 'init: sleep 3 from' 'init: slept until' 'init: done'; do
    grep -q "^[0-9.]* \[init\] $want" "$TMP/init" || { tail -30 "$TMP/init"; die "/init never said '$want'"; }
  done
  echo "ok /init: uname, 200 processes, 64 MiB, the balloon, pipes, sleep"
  # The balloon's 8192 frames went to pvmon (decrease_reservation) and
  # came back (populate_physmap): pvmon's own count, not the guest's.
  b=$(grep -o 'balloon: [0-9]* frames out (given [0-9]*, taken [0-9]*)' "$TMP/init")
  echo "pvmon --stats: $b"
  echo "$b" | awk '{ g = $6; t = $8; sub(/,/, "", g); sub(/\)/, "", t); exit !($2 == 0 && g >= 8192 && t >= 8192) }' ||
    die "pvmon's balloon count is not 8192 frames out and back: '$b'"
  # Linux's clock event set by the stub, its watcher parked through the
  # sleep (the vCPU blocked) and woken again for the timers after it.
  b=$(grep -o 'timers [0-9]* (watcher kicks [0-9]*, fired [0-9]*, parks [0-9]*)' "$TMP/init")
  echo "pvmon --stats: $b"
  [ "${PVLAB_FAST_PATH:-}" = off ] || echo "$b" | awk '{ exit !($2 > 0 && $NF + 0 > 0) }' ||
    die "the stub set no one-shot timer, or its watcher never parked through the sleep: '$b'"
  # The sleep, by the guest's clock (/proc/uptime) and by the host's as
  # its lines arrived: 3 s each, within 1.5 s of each other.
  a=$(grep -m1 ' \[init\] init: sleep 3 from' "$TMP/init"); b=$(grep -m1 ' \[init\] init: slept until' "$TMP/init")
  ga=${a##* }; gb=${b##* }
  awk -v ha="${a%% *}" -v hb="${b%% *}" -v ga="$ga" -v gb="$gb" 'BEGIN {
    h = hb - ha; g = gb - ga
    printf "sleep 3: %.2f s by the guest'"'"'s clock, %.2f s by the host'"'"'s\n", g, h
    exit !(g >= 3 && h >= 2.9 && h - g < 1.5 && g - h < 1.5) }' || die "the guest's sleep disagrees with the host's clock"
  [ $rc = 0 ] || die "pvmon exit status $rc after poweroff -f, expected 0"
  echo "ok poweroff -f is pvmon's exit 0"
  # Known, not pvmon's to hide: Linux's W+X check finds the 2 MiB of the
  # bootstrap region past what its cleanup of Xen's page tables reaches
  # (docs/architecture.md); any other warning or oops fails.
  ! cut -d' ' -f2- "$TMP/init" | grep -v 'arch/x86/mm/dump_pagetables.c' |
    grep -q 'WARNING: CPU\|BUG: \|general protection fault\|Oops' ||
    { cut -d' ' -f2- "$TMP/init" | grep -m3 'WARNING: CPU\|BUG: \|general protection fault\|Oops'; die "the kernel warned or oopsed"; }
}

# vcpus = 2: both CPUs come up, /init (pvlabsmp=1) finds both in
# /proc/cpuinfo, runs processes pinned to each and across them, and
# powers off: exit 0. pvmon gets two run slots (--pcpus 2) even on a
# one-CPU host, so that both vCPUs are in KVM_RUN at once and a TLB flush
# must kick the other out. After user_space (its initramfs).
smp() {
  local cfg rc t0 t1 want up
  cfg=$(linux_cfg smp "ramdisk = \"$TMP/initramfs.gz\"" "vcpus = 2")
  sed -i 's/^cmdline = "\(.*\)"$/cmdline = "\1 pvlabsmp=1"/' "$cfg"
  t0=$EPOCHREALTIME
  timeout "${LINUX_TIMEOUT:-900}" $PVMON --pcpus 2 --stats run "$cfg" 2>&1 | stamped > "$TMP/smp"; rc=${PIPESTATUS[0]}
  t1=$EPOCHREALTIME
  cut -d' ' -f2- "$TMP/smp" | grep -E '^\[smp\] (init: |\[ *[0-9.]*\] (smp: |x86: Booting SMP|Run /init|reboot:))|^pvmon: ' |
    sed 's/; kvm:.*; xen:/ ...; xen:/'
  grep -q '^[0-9.]* \[smp\] init: FAIL' "$TMP/smp" && die "a check of /init (pvlabsmp=1) failed"
  for want in 'smp: Brought up 1 node, 2 CPUs' 'init: 2 CPUs in /proc/cpuinfo, online 0-1' \
              'init: processes pinned to CPU 0 and CPU 1 ran there' 'init: busy loops on both CPUs' \
              "init: 100 processes forked and exec'd on CPUs 0 and 1" 'init: 64 MiB touched on CPU 1' 'init: done'; do
    grep -q "^[0-9.]* \[smp\] .*$want" "$TMP/smp" || { tail -30 "$TMP/smp"; die "the vcpus = 2 domain never said '$want'"; }
  done
  up=$(grep -m1 ' \[smp\] .*smp: Brought up 1 node, 2 CPUs' "$TMP/smp" | cut -d' ' -f1)
  awk -v a="$t0" -v u="$up" -v b="$t1" 'BEGIN { printf "vcpus = 2: both CPUs up after %.1f s, poweroff after %.1f s '"$WHERE"'\n", u - a, b - a }'
  # Xen's part of --stats: cross-vCPU flushes, kicks out of KVM_RUN, reloads injected.
  grep '^[0-9.]* pvmon: domain smp' "$TMP/smp" | sed -n 's/.*xen: .*\(tlb flushes [0-9]* ([^)]*)\).*/vcpus = 2: \1/p'
  ! cut -d' ' -f2- "$TMP/smp" | grep -v 'arch/x86/mm/dump_pagetables.c' |
    grep -q 'WARNING: CPU\|BUG: \|general protection fault\|Oops\|soft lockup\|rcu_sched detected stalls' ||
    { cut -d' ' -f2- "$TMP/smp" | grep -m3 'WARNING: CPU\|BUG: \|general protection fault\|Oops\|soft lockup\|stalls'; die "the vcpus = 2 kernel warned or oopsed"; }
  [ $rc = 0 ] || die "vcpus = 2: pvmon exit status $rc after poweroff -f, expected 0"
  echo "ok vcpus = 2: both CPUs up, processes on each, poweroff -f is exit 0"
}
