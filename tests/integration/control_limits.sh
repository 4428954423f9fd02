# What the daemon does with bad arguments, a config that is a FIFO, idle
# connections and a descriptor limit: one line and an exit status, never a
# hang or an abort (issue: guest isolation, items 9 and 10).
. tests/lib.sh
need_kvm
one_line() {   # one_line RC PATTERN CMD...: exit status RC and one matching stderr line
  local want=$1 pat=$2; shift 2
  "$@" >/dev/null 2>"$TMP/err"; local rc=$?
  [ $rc = "$want" ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q -- "$pat" "$TMP/err" ||
    { cat "$TMP/err"; die "$*: status $rc (expected $want) and not one line matching '$pat'"; }
}
one_line 2 "unknown option '--bogus'" $PVMON daemon --bogus
one_line 2 "daemon takes no arguments, got 'extra'" $PVMON daemon extra
one_line 2 "info takes no arguments" $PVMON info now
one_line 2 "option '--socket' needs a value" $PVMON daemon --socket
one_line 2 "--idle-timeout: 'soon'" $PVMON daemon --idle-timeout soon

# Options after the command count: the daemon serves the socket it was given.
export PVLAB_SOCKET=$TMP/pvmon.sock
$PVMON daemon --idle-timeout 2 --socket "$PVLAB_SOCKET" >"$TMP/daemon.log" 2>&1 &
dpid=$!
trap 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -S "$PVLAB_SOCKET" ] && break; sleep 0.1; done
[ -S "$PVLAB_SOCKET" ] || { cat "$TMP/daemon.log"; die "daemon did not create its socket"; }

# A config that is a FIFO is refused at once (it used to block the client
# thread in open(), and SIGTERM could not stop the daemon).
mkfifo "$TMP/fifo.cfg"
one_line 1 "not a regular file" timeout 10 $PVCTL create "$TMP/fifo.cfg"
cfg=$(domcfg kfifo "prog=hello")
sed -i "s|^kernel = .*|kernel = \"$TMP/fifo.cfg\"|" "$cfg"
one_line 1 "not a regular file" timeout 10 $PVCTL create "$cfg"

# Idle connections give their slots up: 64 held idle fill the table, the
# next client is told so in one line; after the idle timeout (2 s) each
# held one gets ERR ETIMEDOUT and pvctl works again.
python3 - "$PVLAB_SOCKET" >"$TMP/hold.out" 2>&1 <<'PY' &
import socket, sys, time
conns = []
for i in range(64):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    conns.append(s)
print("held", len(conns), flush=True)
time.sleep(4)
closed = sum(1 for s in conns if s.recv(200).startswith(b"ERR ETIMEDOUT"))
print("closed by pvmon", closed, flush=True)
PY
hpid=$!
for _ in $(seq 50); do grep -q held "$TMP/hold.out" && break; sleep 0.1; done
sleep 0.5
one_line 1 "too many control connections" $PVCTL list
sleep 3
$PVCTL list >/dev/null || die "pvctl list failed after the idle connections timed out"
wait $hpid
cat "$TMP/hold.out"
grep -q "closed by pvmon 64" "$TMP/hold.out" || die "pvmon did not close the 64 idle connections"
# pvtop sampling slower than the idle timeout connects again by itself.
$BIN/pvtop -b -n 2 -d 3 >"$TMP/pvtop.out" 2>&1 || { cat "$TMP/pvtop.out"; die "pvtop -d 3 failed across an idle timeout of 2 s"; }

# SIGTERM stops the daemon promptly.
kill -TERM $dpid
for _ in $(seq 50); do kill -0 $dpid 2>/dev/null || break; sleep 0.1; done
kill -0 $dpid 2>/dev/null && die "the daemon did not stop within 5 s of SIGTERM"
wait $dpid; rc=$?
[ $rc = 0 ] || { cat "$TMP/daemon.log"; die "daemon exit status $rc after SIGTERM"; }

# The descriptor limit: pvmon raises its soft limit to the hard one, and
# where even that is too low it says how many domains fit, in one line.
for i in $(seq 1 100); do domcfg "m$i" "prog=hello" >/dev/null; done
sed -i 's/^memory = 16/memory = 4/' "$TMP"/m*.cfg
out=$(ulimit -S -n 128; $PVMON --quiet run "$TMP"/m*.cfg 2>&1) || die "100 domains with a soft limit of 128 (hard $(ulimit -H -n)): $out"
one_line 1 "about [0-9]* domains fit" bash -c "ulimit -n 128; $PVMON --quiet run $TMP/m*.cfg"
$PVMON info | grep '^limits: ' || die "pvmon info has no limits line"
echo PASS
