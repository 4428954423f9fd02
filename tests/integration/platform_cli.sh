# The platform contract's scripts: detect.sh answers for every platform,
# bad input gets a reason and status 2, --help works, unsupported cases
# say why with status 3. Also pvcpu's own command line.
. tests/lib.sh
P=bench/platforms
for p in native fullvirt uml; do
  out=$($P/detect.sh $p); rc=$?
  echo "detect $p: rc=$rc $out"
  case $rc in
    0) [[ $out == "ok "* ]] || die "detect.sh $p: status 0 but '$out'" ;;
    3) [[ $out == "unsupported "?* ]] || die "detect.sh $p: status 3 without 'unsupported REASON'" ;;
    *) die "detect.sh $p: status $rc" ;;
  esac
  [ "$(echo "$out" | wc -l)" = 1 ] || die "detect.sh $p: more than one line"
done
$P/detect.sh | grep -q . && die "detect.sh without a platform printed on stdout"
# usage errors: status 2 and a one-line reason naming the bad word
expect2() {  # expect2 WORD CMD...: status 2, WORD in stderr
  local word=$1; shift
  err=$("$@" 2>&1 >/dev/null); rc=$?
  [ $rc = 2 ] || die "'$*': status $rc, expected 2"
  echo "$err" | grep -q -- "$word" || die "'$*': reason '$err' does not name '$word'"
}
expect2 bogus $P/detect.sh bogus
expect2 bogus $P/image.sh bogus
expect2 bogus $P/run.sh bogus cpu
expect2 nosuch $P/run.sh native nosuch
expect2 WORKLOAD $P/run.sh native
expect2 --frob $P/run.sh native cpu --frob
expect2 instances $P/run.sh native cpu --instances 0
expect2 instances $P/run.sh uml cpu --instances x
expect2 extra $P/run.sh native cpu extra
expect2 nosuch $P/workload.sh nosuch
expect2 scale $P/workload.sh cpu --scale 2
expect2 ADDR:PORT $P/workload.sh httperf-vif --client 10.0.0.2
expect2 ADDR:PORT $P/workload.sh httperf-vif --client 10.0.0.2:http
expect2 httperf-vif $P/workload.sh dbench --serve
expect2 "--wait must be" $P/workload.sh httperf-vif --client 10.0.0.2:80 --wait 0
expect2 "--wait must be" $P/workload.sh httperf-vif --client 10.0.0.2:80 --wait soon
# httperf-vif has two sides: without one, unsupported and why
out=$($P/workload.sh httperf-vif); rc=$?
[ $rc = 3 ] && [[ $out == "unsupported httperf-vif "*"run.sh linuxpv"* ]] || die "workload.sh httperf-vif: status $rc, '$out'"
for s in detect image run workload; do
  $P/$s.sh --help | grep -q "usage: $s.sh" || die "$s.sh --help"
done
# several instances of anything but cpu: unsupported, with the reason
out=$($P/run.sh native dbench --instances 2); rc=$?
[ $rc = 3 ] || die "run.sh native dbench --instances 2: status $rc, expected 3"
[[ $out == "unsupported "*cpu* ]] || die "no reason for --instances on dbench: '$out'"
# An unexpected failure (the ERR trap of common.sh): the last stderr line,
# the one pvbench records, names the script, the line, the command and its
# status, here a sha256sum that fails inside $(...) | pipelines; no note
# file is left behind.
mkdir -p "$TMP/bin"
printf '#!/bin/sh\nexit 5\n' >"$TMP/bin/sha256sum"
chmod +x "$TMP/bin/sha256sum"
notes=$(ls /tmp/pvlab-err.* 2>/dev/null | wc -l)
PATH=$TMP/bin:$PATH $P/image.sh uml 2>"$TMP/err" >/dev/null; rc=$?
cat "$TMP/err"
[ $rc = 5 ] || die "image.sh with a failing sha256sum: status $rc, not 5"
tail -1 "$TMP/err" | grep -Eq "^image.sh: line [0-9]+ \(in (hash_of|rootfs_inputs)\): the pipeline ending in '.+' failed \(statuses 5 0\)$" ||
  die "image.sh: the last line does not name the failing line and command: $(tail -1 "$TMP/err")"
[ "$(ls /tmp/pvlab-err.* 2>/dev/null | wc -l)" = "$notes" ] || die "image.sh left its error note behind"
# the trap in any script that sources common.sh: a failure inside $(...)
# is named by its own command, not by the assignment around it
cat >"$TMP/fails.sh" <<EOF
set -Eeuo pipefail
. $PWD/$P/common.sh
x=\$(echo one; false)
echo "not reached"
EOF
out=$(bash "$TMP/fails.sh" 2>&1); rc=$?
[ $rc = 1 ] && [ "$out" = "fails.sh: line 3: 'false' failed with status 1" ] ||
  die "a failure in \$(...): status $rc, '$out'"
for s in detect image run; do
  grep -q '^set -Eeuo pipefail$' $P/$s.sh || die "$s.sh does not run under set -Eeuo pipefail (the ERR trap needs -eE)"
done
# pvcpu
PVCPU=$BIN/pvcpu
$PVCPU --help | grep -q "usage: pvcpu" || die "pvcpu --help"
$PVCPU --reps 0 2>/dev/null; [ $? = 2 ] || die "pvcpu --reps 0 accepted"
$PVCPU --kernel nosuch 2>/dev/null; [ $? = 2 ] || die "pvcpu --kernel nosuch accepted"
out=$($PVCPU --kernel fib --reps 1) || die "pvcpu --kernel fib failed"
[[ $out == "sample metric=fib_ms unit=ms higher=0 value="[0-9]* ]] || die "pvcpu --kernel fib: '$out'"
[ "$(echo "$out" | wc -l)" = 1 ] || die "pvcpu --kernel fib printed more than one line"
echo PASS
