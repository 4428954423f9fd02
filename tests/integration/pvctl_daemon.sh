# pvctl against a real `pvmon daemon`: create, list (--json), pause and
# unpause (run time stops while paused), sched-bvt, console of a running and
# of an ended domain, destroy, bad input, clean shutdown of the daemon.
set -u
. tests/lib.sh
need_kvm
start_daemon

# The spinner must outlive the pause checks: under emulation (the nested
# AMD-V host) each pvctl round trip is slower, so it spins longer there.
spin_ms=4000
[ -n "${PVLAB_NESTED:-}" ] && spin_ms=20000
spin=$(domcfg spinner "prog=spin ms=$spin_ms")
hello=$(domcfg greeter "prog=hello exit=5")
$PVCTL create "$spin" || die "create spinner"
$PVCTL create "$hello" || die "create greeter"
$PVCTL create "$spin" 2>"$TMP/err" && die "a second domain named spinner was accepted"
grep -q "exists already" "$TMP/err" || die "duplicate name: $(cat "$TMP/err")"
sleep 0.5
$PVCTL list | tee "$TMP/list"
grep -q "^spinner " "$TMP/list" || die "list lacks spinner"
[ "$(json_field spinner state)" = running ] || die "spinner is not running"
# The greeter ended at once: it stays listed with its exit code and console.
[ "$(json_field greeter state)" = shutdown ] || die "greeter state: $(json_field greeter state)"
[ "$(json_field greeter exit_code)" = 5 ] || die "greeter exit code: $(json_field greeter exit_code)"
$PVCTL console greeter > "$TMP/con"; rc=$?
grep -q "hello from pvos" "$TMP/con" || die "console of the ended greeter: $(cat "$TMP/con")"

$PVCTL pause spinner || die "pause"
[ "$(json_field spinner state)" = paused ] || die "spinner not paused"
r1=$(json_field spinner run_ns); sleep 0.4; r2=$(json_field spinner run_ns)
[ "$r1" = "$r2" ] || die "run time advanced while paused ($r1 -> $r2)"
$PVCTL unpause spinner || die "unpause"
sleep 0.3
r3=$(json_field spinner run_ns)
[ "$r3" -gt "$r2" ] || die "run time did not advance after unpause"
$PVCTL sched-bvt spinner --weight 300 || die "sched-bvt"
[ "$(json_field spinner weight)" = 300 ] || die "weight not applied"
$PVCTL sched-bvt spinner --weight 0 2>/dev/null && die "weight 0 accepted"
$PVCTL sched-rr --slice 5ms 2>/dev/null && die "sched-rr accepted under bvt"

# console follows the running domain to its end.
timeout 20 $PVCTL console spinner > "$TMP/con2" || die "console spinner failed"
grep -q "spin: iterations=" "$TMP/con2" || die "console did not show the spinner's last line"

# Console input reaches the guest through VIRQ_CONSOLE.
echo_cfg=$(domcfg echoer "prog=echo")
$PVCTL create "$echo_cfg" || die "create echoer"
for i in $(seq 50); do $PVCTL console --no-follow echoer | grep -q "echo: ready" && break; sleep 0.1; done
$PVCTL input echoer hello there pvos || die "input"
$PVCTL input echoer quit || die "input quit"
timeout 10 $PVCTL console echoer > "$TMP/echo" || die "console echoer"
grep -q "echo: hello there pvos" "$TMP/echo" || die "echo did not see the input: $(cat "$TMP/echo")"
grep -q "echo: bye" "$TMP/echo" || die "echo did not quit"
[ "$(json_field echoer exit_code)" = 0 ] || die "echoer exit code"
$PVCTL input echoer more 2>"$TMP/err" && die "input to an ended domain accepted"
$PVCTL input 2>/dev/null; [ $? -eq 2 ] || die "input without DOMAIN: status not 2"

echo 'name = "bad"' > "$TMP/bad.cfg"
$PVCTL create "$TMP/bad.cfg" 2>"$TMP/err" && die "bad config accepted"
grep -q "missing 'kernel'" "$TMP/err" || die "bad config: $(cat "$TMP/err")"
$PVCTL destroy nosuch 2>/dev/null && die "destroy of an unknown domain succeeded"
$PVCTL destroy greeter || die "destroy greeter"
$PVCTL list | grep -q "^greeter " && die "greeter still listed after destroy"

kill -TERM $dpid; wait $dpid; rc=$?
[ $rc -eq 0 ] || die "daemon exit status $rc"
[ ! -e "$PVLAB_SOCKET" ] || die "socket left behind"
echo PASS
