# Guest isolation: a hostile guest tries to reach CPL0 through descriptor
# tables it writes at address 0 (where KVM's reset GDTR and IDTR point) and
# must crash alone, reported at the attacking instruction with the fault
# pvmon's own tables give; a benign domain beside it finishes and pvmon
# exits normally. Runs on whatever path is in use (PVLAB_FAST_PATH=off for
# the baseline; nested_svm.sh on AMD-V with nested paging on and off).
. tests/lib.sh
need_kvm
echo "fast path: $($PVMON info | sed -n 's/^fast path: //p')"
for kind in int80 callgate; do
  a=$(domcfg "attack$kind" "prog=attack kind=$kind")
  w=$(domcfg worker "prog=spin ms=300")
  out=$(timeout 120 $PVMON run "$a" "$w" 2>&1); rc=$?
  echo "$out"
  [ $rc -eq 125 ] || die "$kind: pvmon exited with status $rc, expected 125 (the attacker crashed)"
  echo "$out" | grep -q "\[worker\] spin: iterations=" || die "$kind: the benign domain did not finish"
  at=$(echo "$out" | sed -n 's/.*attack: .* at rip=\(0x[0-9a-f]*\)$/\1/p')
  land=$(echo "$out" | sed -n 's/.*attack: cpl0_land at \(0x[0-9a-f]*\)$/\1/p')
  [ -n "$at" ] && [ -n "$land" ] || die "$kind: the attacker did not say where it attacks from"
  report=$(echo "$out" | grep "pvmon: domain attack$kind (1) crashed: ") || die "$kind: no crash report"
  echo "$out" | grep -q "instruction returned" && die "$kind: the attack instruction did not fault"
  case $report in
    *"rip=$land "*) die "$kind: guest code ran at its own gate's target: $report" ;;
    *"rip=$at "*) ;;
    *) die "$kind: the crash is not at the attacking instruction $at: $report" ;;
  esac
  # pvmon's GDT ends at 0x4f and its IDT at vector 32: a selector or
  # vector past them is #GP with that selector (0x50) or vector (0x80*8+2).
  # KVM's PVM back end outside PVM mode (the baseline there) turns `int n`
  # at CPL3 into #UD before any table is read.
  # QEMU TCG's CPU (nested_svm.sh, PVLAB_TRAPS_SKIP names its quirks) gives
  # #GP(n*16+2) for `int n` where hardware gives n*8+2.
  case $kind in
    int80) want='#GP (vector 13) error 0x402 \|#UD (vector 6) error 0x0 '
           case ,${PVLAB_TRAPS_SKIP:-}, in *,gpint,*) want="$want\\|#GP (vector 13) error 0x802 " ;; esac ;;
    callgate) want='#GP (vector 13) error 0x50 ' ;;
  esac
  echo "$report" | grep -q "exception \($want\)" || die "$kind: not the fault pvmon's tables give: $report"
done
echo PASS
