# The fast path's probe and option: `pvmon info` prints exactly one
# "fast path: pvm|vmx|svm|none (reason)" line; --fast-path off and
# PVLAB_FAST_PATH=off select the baseline; bad values are usage errors.
. tests/lib.sh
need_kvm
out=$($PVMON info 2>&1) || die "pvmon info failed: $out"
echo "$out"
lines=$(echo "$out" | grep -c '^fast path: ')
[ "$lines" = 1 ] || die "expected one 'fast path:' line, got $lines"
echo "$out" | grep -Eq '^fast path: (pvm|vmx|svm|none) \(.+\)$' || die "the fast path line has no kind and reason"
kind=$(echo "$out" | sed -n 's/^fast path: \([a-z]*\) .*/\1/p')
be=
[ -d /sys/module/kvm_pvm ] && be=pvm
[ -d /sys/module/kvm_intel ] && be=vmx
[ -d /sys/module/kvm_amd ] && be=svm
if [ -n "$be" ]; then
  # This host's back end: the probe must either work or say which step failed
  # (or, when PVLAB_FAST_PATH=off is set around this test, say it is off).
  echo "$out" | grep -Eq "^fast path: ($be \(.*CR3.*\)|none \($be probe failed: .+\)|none \(turned off .*\))\$" \
    || die "$be host: neither a working $be fast path nor the step that failed"
  [ "${PVLAB_FAST_PATH:-auto}" = off ] || ! echo "$out" | grep -q '^fast path: none (turned off' \
    || die "turned off without being asked"
fi
for off in "--fast-path off" "PVLAB_FAST_PATH=off"; do
  case $off in
    --*) o=$($PVMON $off info 2>&1) ;;
    *)   o=$(env $off $PVMON info 2>&1) ;;
  esac
  echo "$o" | grep '^fast path:'
  echo "$o" | grep -q '^fast path: none (' || die "$off: not none"
  [ "$kind" = none ] || echo "$o" | grep -q '^fast path: none (turned off' || die "$off: no reason given"
done
# Usage errors: one line on stderr, status 2.
$PVMON --fast-path sometimes info >/dev/null 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$TMP/err")" = 1 ] || { cat "$TMP/err"; die "--fast-path sometimes: status $rc"; }
PVLAB_FAST_PATH=bogus $PVMON info >/dev/null 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$TMP/err")" = 1 ] || { cat "$TMP/err"; die "PVLAB_FAST_PATH=bogus: status $rc"; }
$PVMON --help | grep -q -- '--fast-path auto|off' || die "--help does not document --fast-path"
# The option is honoured by `run`: the guest is told which mode it is in.
cfg=$(domcfg hello "prog=hello")
on=$($PVMON run "$cfg" 2>&1) || die "run: $on"
offo=$($PVMON --fast-path off run "$cfg" 2>&1) || die "run --fast-path off: $offo"
echo "$offo" | grep -q "pvos: baseline: an exception crashes the domain; fork copies eagerly" \
  || die "--fast-path off: the guest did not boot on the baseline"
if [ "$kind" = pvm ]; then
  echo "$on" | grep -q "pvos: fast path: exceptions are delivered to pvos; fork is copy-on-write" \
    || die "the guest did not boot on the fast path"
fi
echo PASS
