# pvctl trace start's other modes, on the test event generator (no KVM
# needed): --relayd streams to an lttng-relayd on loopback (the trace lands
# in the relayd's output and pvtrace reads it there), --live is readable by
# babeltrace2 while it records, --snapshot writes nothing until `pvctl trace
# snapshot` (each snapshot holds the buffers' content), and the modes'
# misuse is refused with a reason.
set -u
. tests/lib.sh
command -v lttng-relayd >/dev/null || skip "lttng-relayd is not installed (make deps)"
command -v babeltrace2 >/dev/null || skip "babeltrace2 is not installed (make deps)"
command -v jq >/dev/null || skip "jq is not installed (make deps)"
. tracing/lttng-session.sh
PVTRACE=$BIN/pvtrace rpid= lpid=
export PV_GEN_OUT=$TMP/gen.out
trap '[ -n "${PV_GEN_SESSION:-}" ] && $PVCTL trace stop --session $PV_GEN_SESSION >/dev/null 2>&1
      [ -n "$lpid" ] && kill $lpid 2>/dev/null; [ -n "$rpid" ] && kill $rpid 2>/dev/null; wait 2>/dev/null
      rm -rf "$TMP"' EXIT
expect() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$PV_GEN_OUT" | head -1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A relayd of our own on three free loopback ports (others may run theirs).
for try in 1 2 3 4 5; do
  base=$((20000 + RANDOM % 30000)) C=$base D=$((base + 1)) L=$((base + 2))
  port_open $C || port_open $D || port_open $L && continue
  lttng-relayd -C tcp://127.0.0.1:$C -D tcp://127.0.0.1:$D -L tcp://127.0.0.1:$L -o "$TMP/relay" \
    > "$TMP/relayd.log" 2>&1 & rpid=$!
  for _ in $(seq 50); do port_open $C && port_open $L && break; kill -0 $rpid 2>/dev/null || break; sleep 0.1; done
  port_open $C && port_open $L && break
  kill $rpid 2>/dev/null; wait $rpid 2>/dev/null; rpid=
done
[ -n "$rpid" ] || { cat "$TMP/relayd.log"; die "lttng-relayd did not listen on loopback"; }
echo "relayd on 127.0.0.1 ports $C (control), $D (data), $L (live)"

# ---- --relayd: streamed, written by the relayd -----------------------------
pv_gen_record "$TMP/streamed" mix 100 --relayd net://127.0.0.1:$C:$D || die "recording to the relayd failed"
cat "$TMP/streamed.stop"
grep -q "0 events lost" "$TMP/streamed.stop" || die "stop did not report 0 events lost"
J=$TMP/relay.json
$PVTRACE summary --json "$TMP/relay" > "$J" || die "pvtrace cannot read the relayd's output"
[ "$(jq .events "$J")" = "$(expect events)" ] || die "relayd trace: $(jq .events "$J") events, sent $(expect events)"
[ "$(jq .page_flips "$J")" = "$(expect page_flips)" ] || die "relayd trace: page flips"
rm -rf "$TMP/relay"

# ---- --live: a live reader sees the events while the session records ---------
host=$(hostname)
attach_reader() {
  local s=$PV_GEN_SESSION
  timeout 60 babeltrace2 -i lttng-live "net://127.0.0.1:$L/host/$host/$s" > "$TMP/live.txt" 2> "$TMP/live.err" &
  lpid=$!
  for _ in $(seq 100); do
    babeltrace2 -i lttng-live "net://127.0.0.1:$L" > "$TMP/sessions" 2>&1
    grep -q "/host/$host/$s .* [1-9][0-9]* client(s) connected" "$TMP/sessions" && return 0
    sleep 0.1
  done
  cat "$TMP/sessions" "$TMP/live.err"
  echo "the live reader did not attach to $s"
  return 1
}
PV_GEN_BEFORE_GO=attach_reader pv_gen_record "$TMP/livedir" mix 50 --live --relayd net://127.0.0.1:$C:$D ||
  die "recording a live session failed"
cat "$TMP/sessions"
wait $lpid; lpid=                              # it ends with the session
got=$(grep -c "pvmon:" "$TMP/live.txt")
echo "live reader: $got events (sent $(expect events)) $(cat "$TMP/live.err")"
[ "$got" = "$(expect events)" ] || die "the live reader saw $got events of $(expect events)"

# ---- --snapshot: nothing on disk until a snapshot is asked for ----------------
snap_twice() {
  [ -z "$(ls -A "$TMP/snap")" ] || { echo "files before the first snapshot"; return 1; }
  $PVCTL trace snapshot --session "$PV_GEN_SESSION" | tee "$TMP/snap.out" || return 1
  $PVCTL trace snapshot --session "$PV_GEN_SESSION" >/dev/null || return 1
}
mkdir "$TMP/snap"
PV_GEN_BEFORE_STOP='snap_twice' pv_gen_record "$TMP/snap" mix 80 --snapshot || die "snapshot session failed"
grep -q "snapshot recorded under $TMP/snap" "$TMP/snap.out" || die "snapshot: where it went: $(cat "$TMP/snap.out")"
n=0
for d in "$TMP"/snap/snapshot-*; do
  e=$($PVTRACE summary --json "$d" | jq .events) || die "pvtrace cannot read $d"
  [ "$e" = "$(expect events)" ] || die "$d: $e events, sent $(expect events)"
  n=$((n + 1))
done
[ $n = 2 ] || die "$n snapshot directories, expected 2"

# ---- misuse ---------------------------------------------------------------
S=pvlab-modes-$$
$PVCTL trace start --session $S --snapshot --live 2>"$TMP/err"; [ $? -eq 2 ] || die "--snapshot --live: status not 2"
$PVCTL trace start --session $S --output "$TMP/x" --relayd net://127.0.0.1 2>"$TMP/err"; [ $? -eq 2 ] || die "--output with --relayd: status not 2"
$PVCTL trace start --session $S --live --relayd "$TMP/x" 2>"$TMP/err"; [ $? -eq 2 ] || die "--live to a directory: status not 2"
grep -q "net://" "$TMP/err" || die "--live to a directory: $(cat "$TMP/err")"
$PVCTL trace start --session $S --output "$TMP/plain" >/dev/null || die "plain session"
$PVCTL trace snapshot --session $S 2>"$TMP/err" && die "snapshot of a normal session succeeded"
grep -q "snapshot" "$TMP/err" || die "snapshot of a normal session: $(cat "$TMP/err")"
$PVCTL trace stop --session $S >/dev/null || die "stop"
$PVCTL trace snapshot --session nosuch-$$ 2>/dev/null && die "snapshot of an unknown session succeeded"
echo PASS
