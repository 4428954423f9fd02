# Debian's kernel as a Linux PV domain under shadow paging (kvm_amd
# npt=0 in the nested AMD-V host, wherever this host is): KVM's shadow MMU
# does not see pvmon's own writes to the guest's page tables, so pvmon
# makes KVM forget what they took away at the guest's flushes and when a
# frame becomes a table (docs/architecture.md, "Linux PV and shadow
# paging"). Without that the kernel died at text_poke's check early in
# its boot. Here /init (tests/linux/init.sh) runs with 50 processes
# instead of 200 (each costs more under shadow paging and TCG): the boot,
# processes, 64 MiB, the balloon, pipes, the sleep, poweroff -f (exit 0),
# and pvmon's count of what it had KVM forget. Skips, saying why, without
# Debian's kernel, a static busybox or the nested host.
# timeout: 600
# lane: 2
. tests/lib.sh
. tests/linux/lib.sh

inside() {
  local lpv cfg rc z w
  lpv=$($PVMON info | grep '^linux pv: ')
  $PVMON info | grep '^kvm: page tables: '
  echo "$lpv"
  echo "$lpv" | grep -q '^linux pv: yes (AMD-V, shadow paging: ' || die "pvmon info: '$lpv', not yes under shadow paging"
  cfg=$(linux_cfg shadow "ramdisk = \"$(initramfs)\"")
  sed -i 's/^cmdline = "\(.*\)"$/cmdline = "\1 pvlabforks=50"/' "$cfg"
  timeout 500 $PVMON --stats run "$cfg" > "$TMP/out" 2>&1; rc=$?
  grep '^\[shadow\] init: \|^pvmon: \|^\[shadow\] .*\(BUG\|Oops\|panic\)' "$TMP/out"
  ! grep -q '^\[shadow\] init: FAIL' "$TMP/out" || die "a check of /init failed"
  for want in 'init: uname Linux 6\.1' "init: 50 processes forked and exec'd" 'init: 64 MiB touched and freed' \
              'init: balloon back up' 'init: pipes carried' 'init: slept until' 'init: done'; do
    grep -q "^\[shadow\] $want" "$TMP/out" || { tail -30 "$TMP/out"; die "/init never said '$want'"; }
  done
  [ $rc = 0 ] || die "pvmon exit status $rc, expected 0 (poweroff -f)"
  z=$(sed -n 's/.*; shadow paging: frames zapped \([0-9]*\), whole drops \([0-9]*\).*/\1 \2/p' "$TMP/out")
  [ -n "$z" ] || die "--stats does not say what pvmon had KVM forget"
  w=${z#* }; z=${z% *}
  [ "$z" -gt 0 ] && [ "$w" -gt 0 ] || die "no frame zapped or no whole drop ($z, $w): the shadow path never ran"
  echo "ok /init under shadow paging: poweroff -f is exit 0 ($z frames zapped, $w whole drops)"
}

[ -x "$PVMON" ] || die "pvmon not built"
need_busybox
need_debian_kernel
if [ "${1:-}" = --inside ]; then
  inside
  echo PASS
  exit 0
fi
in_nested_svm "the boot under shadow paging" --timeout 560 --mem 2048 --kvm-amd npt=0
echo PASS
