# The PVM question (issue 15, item 5), on a PVM host: `pvmon info` runs
# the Linux PV probe (xen_pvm.c) and prints what it measured (`pvm
# modes:`) and the answer (`linux pv: no (why)`) from it; the two agree,
# agree with what the fast path's own stub relies on (it runs in
# supervisor mode at slot 511, which user mode cannot read), and a Xen PV
# kernel's config (our hostile Xen guest) is refused in one line with the
# very same reason. Skips elsewhere: there the answer is not PVM's.
. tests/lib.sh
ELF=$BUILD/tests/xenpv/hostile_xen.elf
[ -x "$PVMON" ] || die "pvmon not built"
[ -f "$ELF" ] || die "$ELF not built"
need_kvm
[ -d /sys/module/kvm_pvm ] || skip "not a PVM host (no kvm_pvm module): the PVM probe does not run here"

t0=$EPOCHREALTIME
out=$($PVMON info 2>&1) || die "pvmon info failed: $out"
t1=$EPOCHREALTIME
[ "$(echo "$out" | grep -c '^pvm modes: ')" = 1 ] || { echo "$out"; die "not one 'pvm modes:' line"; }
[ "$(echo "$out" | grep -c '^linux pv: ')" = 1 ] || { echo "$out"; die "not one 'linux pv:' line"; }
modes=$(echo "$out" | sed -n 's/^pvm modes: //p')
lpv=$(echo "$out" | sed -n 's/^linux pv: //p')
echo "pvm modes: $modes"
echo "linux pv: $lpv"
echo "pvmon info took $(echo "$t0 $t1" | awk '{printf "%.0f", ($2 - $1) * 1000}') ms in all (both probes and the raw-exit loop)"
case $modes in "probe failed: "*) die "the probe failed: $modes" ;; esac

# The measurement, read back from the line.
super=$(echo "$modes" | sed -n 's/^supervisor mode reads L4 slots \(.*\) of 256-511, user mode .*/\1/p')
user=$(echo "$modes" | sed -n 's/.* of 256-511, user mode \(.*\) (lower half: \(yes\|no\)); .*/\1/p')
[ -n "$super" ] && [ -n "$user" ] || die "cannot read the slot ranges in '$modes'"
in_ranges() {  # in_ranges SLOT "257-511, 300": is SLOT listed?
  local r a b
  [ "$2" = none ] && return 1
  for r in $(echo "$2" | tr -d ' ' | tr ',' ' '); do
    a=${r%-*}; b=${r#*-}
    [ "$1" -ge "$a" ] && [ "$1" -le "$b" ] && return 0
  done
  return 1
}
echo "$modes" | grep -q '(lower half: yes)' || die "user mode did not read the lower half: the probe's user mode is broken"
echo "$modes" | grep -Eq '; 1 exit to pvmon, [0-9]+ in-kernel \(probe\)$' || die "the probe took other exits to pvmon than its report"

# What the fast path already relies on, measured by other code: its stub
# runs in supervisor mode at slot 511 (fast path: pvm), and its self-test
# reads the stub's pages from user mode and gets #PF.
if echo "$out" | grep -q '^fast path: pvm '; then
  in_ranges 511 "$super" || die "the fast path's stub runs at slot 511 in supervisor mode, but the probe says supervisor mode cannot read it"
  echo "ok supervisor mode reaches slot 511, where the fast path's stub runs"
fi
! in_ranges 511 "$user" || die "the probe says user mode reads slot 511, where the fast path hides its stub"
echo "ok user mode reaches $user of the upper half"

# The answer is the measurement's.
case $lpv in no\ \(PVM:\ *\)) ;; *) die "linux pv: '$lpv' is not 'no (PVM: ...)'" ;; esac
if [ "$user" = none ]; then
  echo "$lpv" | grep -q 'user mode, .* reaches no upper-half L4 slot;' || die "the answer does not say user mode reaches no upper-half slot"
fi
if in_ranges 511 "$super" && in_ranges 273 "$super"; then
  echo "$lpv" | grep -qF "supervisor mode reaches upper-half L4 slots $super" || die "the answer's supervisor range is not the probe's ($super)"
  if echo "$modes" | grep -q 'a CR3 of the guest.s own: ran'; then
    echo "$lpv" | grep -q "(a CR3 load of the guest's own.* ran there with no exit to pvmon)" ||
      die "the probe loaded a CR3 of its own behind pvmon's back, the answer does not say so"
    echo "ok supervisor mode ran a CR3 load of its own with no exit to pvmon: the answer says so"
  fi
  if echo "$modes" | grep -q 'by ERETU #PF (cs 0x[0-9a-f]*[37b]), by iretq ran'; then
    echo "$lpv" | grep -q '; no mode lies between (' || die "the probe found no mode between user and supervisor mode, the answer does not say so"
    echo "ok a DPL1 frame became user mode by ERETU and supervisor mode by iretq: the answer says so"
  fi
fi

# A Xen PV kernel's config is refused in one line with the same reason.
cfg=$TMP/hx.cfg
printf 'name = "hx"\nmemory = 16\nkernel = "%s"\n' "$(realpath "$ELF")" > "$cfg"
timeout 60 $PVMON run "$cfg" >"$TMP/out" 2>"$TMP/err"; rc=$?
cat "$TMP/err"
[ $rc -ne 0 ] && [ $rc -ne 124 ] || die "the Xen PV config: exit status $rc"
[ "$(wc -l < "$TMP/err")" -eq 1 ] || die "the refusal is not one line"
[ ! -s "$TMP/out" ] || { cat "$TMP/out"; die "the domain ran"; }
reason=$(sed -n "s/^pvmon: .*kernel '.*' is a Xen PV kernel, and Linux PV cannot run here: //p" "$TMP/err")
[ -n "$reason" ] || die "the refusal does not say the kernel is a Xen PV kernel that cannot run here"
[ "$reason" = "$lpv" ] || { echo "info:    $lpv"; echo "refusal: $reason"; die "the refusal's reason is not pvmon info's"; }
echo "ok the Xen PV config is refused (status $rc) with pvmon info's reason"
echo PASS
