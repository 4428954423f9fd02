# Debian's own kernel (linux-image-amd64 6.1, CONFIG_XEN_PV) as a Xen PV
# domain of pvmon, checked as far as it really boots:
# - with no initramfs it runs its whole init and panics at "VFS: Unable
#   to mount root fs", which Linux reports by SCHEDOP_shutdown(crash):
#   pvmon exits 125; its console lines come, in order, through console_io
#   (early printk) and then hvc0's ring;
# - with a busybox initramfs (tests/linux/init.sh as /init): uname, 200
#   processes forked and exec'd, 64 MiB of anonymous memory touched and
#   freed, pipes, a 3 s sleep against the host's clock, then poweroff -f:
#   pvmon exits 0;
# - with vcpus = 2 and the same initramfs (pvlabsmp=1): both CPUs come
#   up, processes run pinned to each and across both, poweroff: exit 0;
# - under `pvmon daemon`: pvctl create, list, console, and a line of
#   `pvctl input` read by /init through hvc0's input ring;
# - two Linux domains, a pvos domain and a hostile Xen guest that crashes
#   under one pvmon: each ends its own way, one report each;
# - `pvmon info` says linux pv: yes|no (why) in one line; a Linux config
#   that cannot run fails with one line and a non-zero exit.
# Where this host cannot run Linux PV (PVM) the boots run in the nested
# AMD-V host (scripts/nested-svm.sh); skips, saying why, without Debian's
# kernel, a static busybox or that host.
# timeout: 900
# lane: 2
. tests/lib.sh
. tests/linux/lib.sh

refused() {  # refused NAME EXPECTED CFG: one stderr line naming EXPECTED, non-zero exit, nothing ran
  local rc
  timeout 60 $PVMON run "$3" >"$TMP/out" 2>"$TMP/err"; rc=$?
  [ $rc -ne 0 ] && [ $rc -ne 124 ] || die "$1: exit status $rc"
  [ "$(wc -l < "$TMP/err")" -eq 1 ] || { cat "$TMP/err"; die "$1: expected exactly one line on stderr"; }
  grep -q "^pvmon: .*$2" "$TMP/err" || { cat "$TMP/err"; die "$1: stderr lacks '$2'"; }
  [ ! -s "$TMP/out" ] || { cat "$TMP/out"; die "$1: the domain ran"; }
  echo "ok $1 (status $rc): $(cat "$TMP/err")"
}

info_line() {  # the one `linux pv:` line of pvmon info, in $lpv
  local out
  out=$($PVMON info 2>&1)
  [ "$(echo "$out" | grep -c '^linux pv: ')" = 1 ] || { echo "$out"; die "pvmon info: not one 'linux pv:' line"; }
  lpv=$(echo "$out" | grep '^linux pv: ')
  echo "$lpv" | grep -Eq '^linux pv: (yes|no) \(.+\)$' || die "pvmon info: '$lpv' is not 'linux pv: yes|no (why)'"
  echo "$lpv"
}

# The boot itself, on a host that runs Linux PV.
boot() {
  local cfg out rc t0 t1 want prev=0 n
  cfg=$(linux_cfg debian)
  t0=$(date +%s)
  timeout 600 $PVMON --stats run "$cfg" >"$TMP/boot" 2>&1; rc=$?
  t1=$(date +%s)
  grep -v '^\[debian\] \[ *[0-9.]*\]  *\(?\|[a-z_0-9.]*+0x\)' "$TMP/boot" | head -12
  echo "..."
  tail -4 "$TMP/boot"
  echo "pvmon run: status $rc after $((t1 - t0)) s $WHERE ($(grep -c '^\[debian\]' "$TMP/boot") console lines)"
  # Each line the boot really reaches, in order: early printk through
  # console_io, Xen PV detected, hvc0 (the console ring), Xen's clock
  # source and timer, PID 1's work, the end of init.
  for want in 'Linux version 6\.1' 'Hypervisor detected: Xen PV' 'Booting kernel on Xen' \
              'printk: console \[hvc0\] enabled' 'installing Xen timer for CPU 0' \
              'Grant tables using version 1 layout' 'Grant table initialized' \
              'clocksource: Switched to clocksource xen' 'NET: Registered PF_INET protocol family' \
              'Kernel panic - not syncing: VFS: Unable to mount root fs'; do
    n=$(grep -n -m1 "^\[debian\] .*$want" "$TMP/boot" | cut -d: -f1)
    [ -n "$n" ] || { tail -30 "$TMP/boot"; die "the console never showed '$want'"; }
    [ "$n" -gt "$prev" ] || die "'$want' came out of order (line $n)"
    prev=$n
    echo "ok console line $n: $want"
  done
  ! grep -q 'WARNING: CPU\|BUG: \|general protection fault\|Oops' "$TMP/boot" ||
    { grep -m3 'WARNING: CPU\|BUG: \|general protection fault\|Oops' "$TMP/boot"; die "the kernel warned or oopsed on its way"; }
  [ $rc = 125 ] || die "pvmon exit status $rc, expected 125 (Linux reported its panic as a crash)"
  grep -q '^pvmon: domain debian (1) crashed: .*Linux reported a crash (SCHEDOP_shutdown, SHUTDOWN_crash)' "$TMP/boot" ||
    die "pvmon did not report Linux's crash"
  echo "ok Linux's panic is pvmon's exit 125"
  grep '^pvmon: domain debian (1) crashed code' "$TMP/boot" | sed 's/; kvm:.*; xen:/ ...; xen:/'
  grep -q '^pvmon: domain debian (1) crashed code .* hypercalls [1-9][0-9]* .*; xen: stub exits [1-9]' "$TMP/boot" ||
    die "--stats does not count the Linux domain's hypercalls and exits"
  user_space
  daemon_input
  together
  smp
  # Configs the Xen mode refuses, each in one line.
  cfg=$(linux_cfg small)
  sed -i 's/^memory = 256/memory = 16/' "$cfg"
  refused too_small "kernel '.*': " "$cfg"
}

# Under `pvmon daemon`: pvctl create, list and console see the Linux
# domain, pvtop shows its hypercalls and exits per second while it boots
# and `pvctl list --json` what its entry stub did, and a line of `pvctl
# input` reaches /init through hvc0's input ring.
daemon_input() {
  local cfg i t0 k hc pvx
  cfg=$(linux_cfg reader "ramdisk = \"$TMP/initramfs.gz\"")
  sed -i 's/^cmdline = "\(.*\)"$/cmdline = "\1 pvlabinput=1 pvlabtarget=196608"/' "$cfg"
  local xs=$TMP/xenstored.sock      # pvmon's default: beside its control socket
  start_daemon
  t0=$(date +%s)
  $PVCTL create "$cfg" || die "pvctl create of a Linux domain failed"
  $PVCTL list | tee "$TMP/list"
  grep -q '^reader ' "$TMP/list" || die "pvctl list does not show the Linux domain"
  [ "$(json_field reader state)" = running ] || die "the Linux domain is $(json_field reader state), not running"
  # Its balloon from Domain 0: pvctl mem-set writes memory/target in
  # xenstore, which Linux's balloon driver watches (/init checks it
  # followed, pvlabtarget); xenstore-ls through pvmon's socket shows it.
  $PVCTL mem-set reader 192 || die "pvctl mem-set of a Linux domain failed"
  XENSTORED_PATH=$xs xenstore-read /local/domain/1/memory/target > "$TMP/target" || die "xenstore-read through pvmon's socket failed"
  [ "$(cat "$TMP/target")" = 196608 ] || die "memory/target is '$(cat "$TMP/target")', not 196608 (192 MiB)"
  ! $PVCTL mem-set reader 512 2>"$TMP/memset" || die "pvctl mem-set above the domain's memory succeeded"
  echo "ok pvctl mem-set reader 192: memory/target = $(cat "$TMP/target") kB; 512: $(cat "$TMP/memset")"
  # While the kernel boots (past its first seconds, which make no
  # hypercall: 7000 exits/s of emulated instructions under TCG), two
  # samples a second apart.
  console_says reader 'printk: console \[hvc0\] enabled' 150
  $BIN/pvtop -b -n 1 -d 1 > "$TMP/pvtop" || die "pvtop failed"
  cat "$TMP/pvtop"
  read -r hc pvx <<<"$(awk '/^NAME / { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == "reader" { print $col["HCALL/s"], $col["PVEXIT/s"] }' "$TMP/pvtop")"
  [ "${hc:-0}" -gt 0 ] && [ "${pvx:-0}" -gt 0 ] || die "pvtop shows the booting Linux domain with ${hc:-no} hypercalls/s and ${pvx:-no} exits/s"
  console_says reader "init: ready for input" 600 || die "/init never asked for input"
  # What its entry stub did to here: every count non-zero.
  for k in hypercalls vm_exits stub_exits emulated pt_writes bounces upcalls events tlb_flushes mmu_updates stub_served; do
    [ "$(json_field reader $k)" -gt 0 ] 2>/dev/null || die "pvctl list --json: the Linux domain's $k is '$(json_field reader $k)'"
    printf '%s %s  ' $k "$(json_field reader $k)"
  done
  echo
  # (page-table writes are pvmon's emulated ones and the stub's, in stub_served)
  local ptw emu served sx
  read -r ptw emu served sx <<<"$(json_field reader pt_writes) $(json_field reader emulated) $(json_field reader stub_served) $(json_field reader stub_exits)"
  [ "$ptw" -le $((emu + served)) ] && [ "$emu" -lt "$sx" ] ||
    die "emulated page-table writes and stub exits do not add up: pt_writes $ptw, emulated $emu, stub_served $served, stub_exits $sx"
  $PVCTL input reader hello linux || die "pvctl input failed"
  timeout 300 $PVCTL console reader > "$TMP/reader" || die "pvctl console reader failed"
  grep '^init: \|reboot:' "$TMP/reader"
  grep -q "^init: read 'hello linux'" "$TMP/reader" || die "/init did not read the line"
  grep -q "^init: balloon from xenstore: target 196608 kB, current 196608 kB" "$TMP/reader" ||
    die "Linux's balloon did not follow memory/target from xenstore"
  [ "$(json_field reader exit_code)" = 0 ] || die "the Linux domain's exit code is $(json_field reader exit_code)"
  echo "ok pvctl create, list, console and input with a Linux domain ($(( $(date +%s) - t0 )) s $WHERE)"
  kill $dpid; wait $dpid 2>/dev/null
}

# Two Linux domains, a pvos domain and the hostile Xen guest under one
# pvmon at once: the hostile one crashes at once, the others go on (both
# kernels to their own panic, pvos to its greeting); one report each.
together() {
  local rc a b hx pv t0 t1 n
  a=$(linux_cfg linux-a); b=$(linux_cfg linux-b)
  hx=$TMP/hx.cfg
  printf 'name = "hx"\nmemory = 16\nkernel = "%s"\ncmdline = "crash"\n' "$(realpath "$BUILD/tests/xenpv/hostile_xen.elf")" > "$hx"
  pv=$(domcfg pvos "prog=hello")
  t0=$(date +%s)
  timeout 900 $PVMON run "$hx" "$a" "$pv" "$b" > "$TMP/together" 2>&1; rc=$?
  t1=$(date +%s)
  grep '^pvmon: \|^\[pvos\] hello\|Unable to mount root' "$TMP/together"
  echo "four domains: status $rc after $((t1 - t0)) s $WHERE"
  [ "$(grep -c '^pvmon: domain hx ([0-9]*) crashed: .*exception #PF' "$TMP/together")" = 1 ] || die "the hostile domain did not crash once"
  grep -q '^\[pvos\] hello from pvos: domain' "$TMP/together" || die "the pvos domain did not greet"
  n=$(grep -n -m1 '^pvmon: domain hx' "$TMP/together" | cut -d: -f1)
  for d in linux-a linux-b; do
    grep -q "^\[$d\] .*Kernel panic - not syncing: VFS: Unable to mount root fs" "$TMP/together" || die "$d did not boot to its panic"
    [ "$(grep -n -m1 "^\[$d\] .*Kernel panic" "$TMP/together" | cut -d: -f1)" -gt "$n" ] || die "$d ended before the hostile domain crashed"
    [ "$(grep -c "^pvmon: domain $d ([0-9]*) crashed: .*Linux reported a crash" "$TMP/together")" = 1 ] || die "$d: not one crash report"
  done
  [ $rc = 125 ] || die "four domains: status $rc, expected 125"
  echo "ok two Linux domains, pvos and a crashing hostile domain at once: each its own end"
}

[ -x "$PVMON" ] || die "pvmon not built"
[ -f "$BUILD/tests/xenpv/hostile_xen.elf" ] || die "$BUILD/tests/xenpv/hostile_xen.elf not built"
need_busybox
need_debian_kernel
if [ "${1:-}" = --inside ]; then
  WHERE="in the nested AMD-V host (TCG)"
  info_line
  echo "$lpv" | grep -q '^linux pv: yes' || die "the nested AMD-V host cannot run Linux PV: $lpv"
  boot
  echo PASS
  exit 0
fi

need_kvm
info_line
if echo "$lpv" | grep -q '^linux pv: yes'; then
  WHERE="here"
  boot
  echo PASS
  exit 0
fi
# This host cannot: the config fails in one line saying why.
refused not_here "Linux PV cannot run here: no (" "$(linux_cfg here)"
in_nested_svm "the boot" --timeout 800 --mem 2048
echo PASS
