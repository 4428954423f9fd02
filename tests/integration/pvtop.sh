#!/usr/bin/env bash
# pvtop against a real `pvmon daemon`: a CPU-bound domain (spin) and an
# idle one (echo, blocked waiting for console input), two batch iterations
# half a second apart: a header and a row per domain each time, the
# spinner near 100% CPU, the idle one blocked. Also --help, a bad -d, and
# no daemon once it has stopped. (tests/integration/pvtop_cli.sh checks
# the numbers exactly against fake domains, and the interactive screen.)
set -u
. tests/lib.sh
PVTOP=$BIN/pvtop
[ -x "$PVTOP" ] || die "$PVTOP is missing; run make first"
"$PVTOP" --help >"$TMP/help" || die "pvtop --help: exit $?"
grep -q '^usage: pvtop ' "$TMP/help" || die "pvtop --help: no usage line"
"$PVTOP" -b -d 0 >/dev/null 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "^pvtop: -d '0' is not a number of seconds" "$TMP/err" || die "bad -d: exit $rc, $(cat "$TMP/err")"

need_kvm
# Two run slots even on a one-CPU host (the nested AMD-V host): the idle
# domain must not wait behind the spinner for the only slot.
start_daemon --pcpus 2

$PVCTL create "$(domcfg spin "prog=spin ms=3000")" || die "create spin"
$PVCTL create "$(domcfg idle "prog=echo")" || die "create idle"
for _ in $(seq 50); do $PVCTL console --no-follow idle | grep -q "echo: ready" && break; sleep 0.1; done
"$PVTOP" -b -n 2 -d 0.5 >"$TMP/out" 2>"$TMP/err" || die "pvtop -b -n 2 -d 0.5: exit $? ($(cat "$TMP/err"))"
cat "$TMP/out"

# Columns by header name, checked on every row of every iteration. The
# idle domain's CPU% is what its 100 timer ticks a second cost (200
# exits): 4% in the nested AMD-V host alone, 10% beside another nested
# host on the same two CPUs. A spinner's would be near 100.
awk '
  /^NAME / { for (i = 1; i <= NF; i++) col[$i] = i; headers++; next }
  { rows[$1]++ }
  $1 == "spin" && !($col["CPU%"] > 50) { print "spin CPU% " $col["CPU%"] " is not > 50"; bad = 1 }
  $1 == "idle" && !($col["CPU%"] < 25) { print "idle CPU% " $col["CPU%"] " is not < 25"; bad = 1 }
  $1 == "idle" && !($col["BLOCK%"] > 50) { print "idle BLOCK% " $col["BLOCK%"] " is not > 50"; bad = 1 }
  $col["HCALL/s"] !~ /^[0-9]+$/ { print $1 " HCALL/s " $col["HCALL/s"] " is not a number"; bad = 1 }
  $col["EXITS/s"] !~ /^[0-9]+$/ { print $1 " EXITS/s " $col["EXITS/s"] " is not a number"; bad = 1 }
  END {
    if (headers != 2) { print headers " header lines, expected 2"; bad = 1 }
    if (rows["spin"] != 2 || rows["idle"] != 2 || length(rows) != 2) { print "expected 2 rows of spin and idle"; bad = 1 }
    exit bad
  }' "$TMP/out" >"$TMP/why" || die "$(cat "$TMP/why")"
# The spinner makes hypercalls (timer ticks at least).
awk '/^NAME / { for (i = 1; i <= NF; i++) col[$i] = i; next } $1 == "spin" && $col["HCALL/s"] > 0 { ok = 1 }
     END { exit !ok }' "$TMP/out" || die "spin shows no hypercalls"

kill -TERM $dpid; wait $dpid || die "daemon exit status $?"
"$PVTOP" -b -n 1 >"$TMP/out" 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && [ "$(cat "$TMP/err")" = "pvtop: cannot connect to pvmon at $PVLAB_SOCKET: is \`pvmon daemon\` running?" ] ||
  die "no daemon: exit $rc, '$(cat "$TMP/err")'"
[ ! -s "$TMP/out" ] || die "no daemon: pvtop printed on stdout"
echo PASS
