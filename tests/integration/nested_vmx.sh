# pvmon on an Intel VT-x KVM host: scripts/nested-vmx.sh boots an L1 VM
# under Bochs with kvm_intel loaded and runs this same file there with
# --inside, which checks `pvmon info` (the vmx back end and fast path),
# hello with the fast path on and off, and fastpath_traps, guest_programs
# and mm on the vmx fast path, against the L1's /dev/kvm: once with EPT
# (kvm_intel's default), once with ept=0 (shadow paging, trapped writes);
# and each time the hostile Xen PV guest (xen_hostile.sh --vmx) and
# Debian's kernel as a Linux PV domain (linux_boot.sh's initramfs run to
# poweroff; with EPT also vcpus = 2, and linux_disk.sh's and
# linux_net.sh's checks: Linux's own blkfront and netfront against
# pvmon's back ends on kvm_intel).
# Each L1 boot costs about two minutes and Bochs runs the tests far slower
# than QEMU TCG does, so this runs in `make check-vmx`, not `make check`
# (which skips it). Skips (77) where the nested host cannot be made.
. tests/lib.sh
. tests/nested/lib.sh
WHERE="(L1 clock) under Bochs"

inside() {
  in_l1 vmx kvm_intel
  local p ept
  for p in ept unrestricted_guest vpid nested; do
    printf '%s=%s ' $p "$(cat /sys/module/kvm_intel/parameters/$p)"
  done | sed 's/^/L1 kvm_intel: /'; echo
  echo "L1 clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
  check_info vmx kvm_intel ept
  hello_both
  emulated_quirks
  run_tests "on the vmx fast path ($(grep -o '^kvm: page tables: .*' <<<"$info"))" \
    fastpath_info fastpath_traps guest_programs mm
  grep -q "fast path in use: 1 (vmx)" "$TMP/fastpath_traps.log" || die "fastpath_traps did not run on the vmx fast path"
  ept=$(cat /sys/module/kvm_intel/parameters/ept)
  if [ "$ept" = N ]; then
    grep -q "trapped writes [1-9]" "$TMP/mm.log" || die "ept=0: pt=trap did not trap its writes"
  fi
  # The hostile Xen PV guest (xen_hostile.sh): its checks, the stub's
  # fast path (system calls, page faults, page-table updates, direct
  # writes) and its stops under the lock, on kvm_intel.
  bash tests/integration/xen_hostile.sh --vmx > "$TMP/xen_hostile.log" 2>&1 ||
    { tail -30 "$TMP/xen_hostile.log"; die "the hostile Xen guest on kvm_intel failed"; }
  grep '^ok ' "$TMP/xen_hostile.log" | sed 's/^/xen_hostile: /'
  linux_pv "$ept"
  echo PASS
}

# Debian's kernel as a Linux PV domain on kvm_intel (staged by the caller
# with --stage): linux_boot.sh's initramfs run to poweroff, and with EPT
# its vcpus = 2 run; `pvmon info` must say linux pv: yes.
linux_pv() {
  . tests/linux/lib.sh
  if [ ! -f "$VMLINUZ" ]; then
    echo "note: Debian's kernel was not staged in the L1: Linux PV not run on VT-x"
    return
  fi
  BUSYBOX=/busybox/busybox          # the L1's own, static (no file(1) there)
  WHERE="(L1 clock) on kvm_intel $([ "$1" = N ] && echo "ept=0" || echo "with EPT") under Bochs"
  $PVMON info | grep '^linux pv: ' | tee "$TMP/lpv"
  grep -q '^linux pv: yes' "$TMP/lpv" || die "pvmon info: Linux PV cannot run on kvm_intel here"
  LINUX_TIMEOUT=3000 user_space
  [ "$1" = N ] && return
  LINUX_TIMEOUT=3000 smp
  local t
  for t in linux_disk linux_net; do
    PVLAB_BUSYBOX=$BUSYBOX bash tests/integration/$t.sh --inside > "$TMP/$t.log" 2>&1 ||
      { tail -40 "$TMP/$t.log"; die "$t on kvm_intel failed"; }
    grep '^ok \|^queue depth 32\|^measured' "$TMP/$t.log" | sed "s/^/$t: /"
  done
}
[ "${1:-}" = --inside ] && { inside; exit; }

[ "${PVLAB_CHECK_VMX:-}" = 1 ] ||
  skip "the VT-x test bed under Bochs takes about 45 minutes: make check-vmx runs it"
NESTED=scripts/nested-vmx.sh
TIMEOUT=${PVLAB_CHECK_VMX_TIMEOUT:-3600}
wrapper_interface $NESTED --timeout 600

# wall_stamps: each test's status line (and hello's) gets the wall seconds
# since the line before it that had them: the L1's clock is Bochs's.
wall_stamps() {
  local l t=-1
  while IFS= read -r l; do
    [ $t -ge 0 ] || t=$SECONDS
    case $l in
      *": status "*" in "*|"pvmon run (fast path "*) echo "$l; wall $((SECONDS - t)) s"; t=$SECONDS ;;
      *) echo "$l" ;;
    esac
  done
}
# Debian's kernel (as linux_boot.sh takes it) goes into the L1 with the
# memory a 256 MiB domain needs, unless PVLAB_CHECK_VMX_LINUX=0.
linux=()
if [ "${PVLAB_CHECK_VMX_LINUX:-1}" != 0 ]; then
  if have_debian_kernel; then
    # with its blkfront, netfront and ext4 modules for the initramfs
    vmlinuz=${PVLAB_VMLINUZ:-$BUILD/nested/vmlinuz}
    linux=(--mem 1536 --stage "$vmlinuz$(find "$(dirname "$vmlinuz")/guestmods" -type f -printf ':%p' 2>/dev/null)")
  else
    echo "note: $why: Linux PV not run on VT-x"
  fi
fi
for params in "" ept=0; do
  echo "== kvm_intel ${params:-defaults (EPT)}"
  $NESTED --timeout "$TIMEOUT" --kvm-intel "$params" "${linux[@]}" -- bash tests/integration/nested_vmx.sh --inside |
    wall_stamps | tee "$TMP/inside"
  rc=${PIPESTATUS[0]}
  [ $rc = 0 ] && grep -q '^PASS$' "$TMP/inside" || die "the checks inside the L1 (kvm_intel ${params:-defaults}) failed (status $rc)"
done
echo PASS
