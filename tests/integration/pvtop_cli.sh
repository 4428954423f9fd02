#!/usr/bin/env bash
# pvtop without a hypervisor: usage errors (exit 2, one line), then against
# the fake domains of `test_control --serve PATH --live`, whose counters
# advance at known rates (tests/unit/test_control.c: live_rates; alpha id 1
# runs 50%, beta id 7 is blocked): the batch columns and numbers, -b without
# -n, a domain that appears (gamma, 2 vCPUs at 150%) and one that goes
# (beta), and the full screen on a pseudo-terminal: q, Ctrl-C, pvmon gone.
set -u
. tests/lib.sh
PVTOP=$BIN/pvtop FAKE=$BUILD/tests/unit/test_control
[ -x "$PVTOP" ] || die "$PVTOP is missing; run make first"
[ -x "$FAKE" ] || die "$FAKE is missing; run make first"
export PVLAB_SOCKET=$TMP/absent.sock

run() { "$PVTOP" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
show() { echo "stdout: $(head -c 600 "$TMP/out")"; echo "stderr: $(head -c 300 "$TMP/err")"; }
# expect_fail STATUS TEXT ARGS...: that status, nothing on stdout, one
# stderr line "pvtop: ..." containing TEXT.
expect_fail() {
  local want=$1 text=$2; shift 2
  run "$@"
  [ "$rc" = "$want" ] || { show; die "pvtop $*: exit $rc, expected $want"; }
  [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q '^pvtop: ' "$TMP/err" || { show; die "pvtop $*: stderr is not one 'pvtop: ' line"; }
  grep -qF -- "$text" "$TMP/err" || { show; die "pvtop $*: stderr lacks '$text'"; }
  [ ! -s "$TMP/out" ] || { show; die "pvtop $*: printed on stdout on failure"; }
}

# ---- usage ----------------------------------------------------------------
for h in -h --help "-d nonsense --help"; do
  run $h
  [ "$rc" = 0 ] && grep -q '^usage: pvtop \[--socket PATH\] \[-d SECONDS\] \[-b\] \[-n N\]' "$TMP/out" ||
    { show; die "pvtop $h"; }
done
grep -q 'CPU% WAIT% BLOCK%' "$TMP/out" || die "--help does not explain the columns"
expect_fail 2 "-d '0' is not a number of seconds" -d 0
expect_fail 2 "-d '-1' is not a number of seconds" -d -1
expect_fail 2 "-d 'nan' is not a number of seconds" -d nan
expect_fail 2 "-d '1s' is not a number of seconds" --delay=1s
expect_fail 2 "-d needs SECONDS" -b -d
expect_fail 2 "-n '0' is not a number of iterations" -n 0
expect_fail 2 "-n 'x' is not a number of iterations" -b -nx
expect_fail 2 "-n needs N" -n
expect_fail 2 "unknown option '--top'" --top
expect_fail 2 "unexpected argument 'web'" -b web
expect_fail 2 "--socket needs a PATH" --socket
expect_fail 2 "--socket needs a non-empty PATH" --socket= -b
expect_fail 1 "cannot connect to pvmon at $TMP/other.sock: is \`pvmon daemon\` running?" --socket "$TMP/other.sock" -b
echo "PASS: usage errors exit 2, no daemon exits 1"

# ---- against the live fake ------------------------------------------------
export PVLAB_SOCKET=$TMP/fake.sock
mkfifo "$TMP/hold"
"$FAKE" --serve "$PVLAB_SOCKET" --live <"$TMP/hold" >"$TMP/fake.log" 2>&1 &
fake_pid=$!
exec 8>"$TMP/hold"            # closing it stops the fake server
trap 'exec 8>&-; wait $fake_pid 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -S "$PVLAB_SOCKET" ] && break; sleep 0.05; done
[ -S "$PVLAB_SOCKET" ] || die "test_control --serve did not start: $(cat "$TMP/fake.log")"

HEADER="NAME ID STATE CPU% WAIT% BLOCK% HCALL/s EVENTS/s UPCALL/s TLBFL/s FLIPS/s MEM_MIB VCPUS EXITS/s EMUL/s IOEXIT/s HALT/s MMIO/s PVEXIT/s PTWR/s BOUNCE/s BLKRQ/s BLKKB/s NETTXKB/s NETRXKB/s"
# row FILE NAME N: the Nth row of NAME, its columns squeezed to single spaces.
row() { grep "^$2 " "$1" | sed -n "${3}p" | tr -s ' '; }
# near VALUE WANT TOL: |VALUE - WANT| <= TOL
near() { awk -v v="$1" -v w="$2" -v t="$3" 'BEGIN { exit !(v != "-" && v - w <= t && w - v <= t) }'; }

expect_ok() { run "$@"; [ "$rc" = 0 ] || { show; die "pvtop $*: exit $rc"; }; }
expect_ok -b -n 2 -d 0.3
[ "$(wc -l <"$TMP/out")" = 6 ] || { show; die "-n 2 with 2 domains: expected 6 lines"; }
[ "$(grep -c '^NAME ' "$TMP/out")" = 2 ] || { show; die "expected a header per iteration"; }
[ "$(head -1 "$TMP/out" | tr -s ' ')" = "$HEADER" ] || { show; die "header is '$(head -1 "$TMP/out")'"; }
awk 'NF != 25 { exit 1 }' "$TMP/out" || { show; die "a line does not have 25 columns"; }
for n in 1 2; do
  read -r name id state cpu wait block hc ev up tlb flips mem vcpus ex emul io halt mmio pvx ptwr bnc _ <<<"$(row "$TMP/out" alpha $n)"
  [ "$id $state $cpu $wait $block $mem $vcpus" = "1 running 50.0 10.0 40.0 16 1" ] ||
    { show; die "alpha row $n: $id $state $cpu $wait $block $mem $vcpus"; }
  near "$hc" 1000 15 && near "$ev" 100 10 && near "$up" 250 10 && near "$ex" 2000 15 &&
    near "$emul" 1000 15 && near "$io" 30 10 && near "$halt" 50 10 && near "$pvx" 3000 20 &&
    near "$ptwr" 400 10 && near "$bnc" 600 10 ||
    { show; die "alpha row $n rates: $hc $ev $up $ex $emul $io $halt $pvx $ptwr $bnc"; }
  read -r name id state cpu wait block hc _ <<<"$(row "$TMP/out" beta $n)"
  [ "$id $cpu $block" = "7 0.0 100.0" ] && near "$hc" 100 10 || { show; die "beta row $n"; }
done
echo "PASS: batch columns and rates over pvmon's clock"

# Not a terminal: batch without -b. -b without -n goes on until stopped.
"$PVTOP" -n 1 -d 0.1 | cat >"$TMP/out" || die "pvtop into a pipe failed"
[ "$(head -1 "$TMP/out" | tr -s ' ')" = "$HEADER" ] || { show; die "pvtop into a pipe is not batch"; }
timeout 1.5 "$PVTOP" -b -d 0.2 >"$TMP/out"; rc=$?
[ "$rc" = 124 ] || die "pvtop -b stopped by itself (exit $rc)"
[ "$(grep -c '^NAME ' "$TMP/out")" -ge 4 ] || { show; die "pvtop -b without -n printed too few iterations"; }

# A domain appears (gamma: no rates until its second sample) and one goes.
"$PVTOP" -b -n 8 -d 0.3 >"$TMP/live" 2>"$TMP/live.err" &
top_pid=$!
wait_for() {  # wait_for N PATTERN: until PATTERN has N matching lines in $TMP/live
  for _ in $(seq 100); do [ "$(grep -c "$2" "$TMP/live")" -ge "$1" ] && return 0; sleep 0.05; done
  die "pvtop never printed $1 lines matching '$2': $(cat "$TMP/live" "$TMP/live.err")"
}
wait_for 1 '^alpha '
echo 'name = "web"' >"$TMP/web.cfg"
"$PVCTL" create "$TMP/web.cfg" >/dev/null || die "create gamma"
wait_for 2 '^gamma '
"$PVCTL" destroy beta || die "destroy beta"
wait $top_pid || die "pvtop -b -n 8 failed: $(cat "$TMP/live.err")"
cp "$TMP/live" "$TMP/out"
[ "$(grep -c '^NAME ' "$TMP/out")" = 8 ] || { show; die "expected 8 iterations"; }
read -r _ id _ cpu wait block hc ev up tlb flips mem vcpus ex emul io halt mmio pvx ptwr bnc brq bkb ntx nrx <<<"$(row "$TMP/out" gamma 1)"
[ "$id $vcpus" = "9 2" ] && [ "$cpu$wait$block$hc$ev$up$tlb$flips$ex$emul$io$halt$mmio$pvx$ptwr$bnc$brq$bkb$ntx$nrx" = "--------------------" ] ||
  { show; die "gamma's first row should have no rates: $(row "$TMP/out" gamma 1)"; }
read -r _ _ _ cpu _ block hc _ <<<"$(row "$TMP/out" gamma 2)"
[ "$cpu $block" = "150.0 50.0" ] && near "$hc" 4000 20 || { show; die "gamma's second row: $(row "$TMP/out" gamma 2)"; }
tail -3 "$TMP/out" | grep -q '^beta ' && { show; die "beta is still listed after it has gone"; }
[ "$(tail -3 "$TMP/out" | grep -c -e '^alpha ' -e '^gamma ')" = 2 ] || { show; die "last iteration: alpha and gamma expected"; }
echo "PASS: a domain that appears gets rates from its second sample; one that goes is dropped"

# ---- the full screen --------------------------------------------------------
command -v python3 >/dev/null || { echo "SKIP: python3 is missing: the interactive screen is not tested"; exit 0; }
# screen.py MODE PVTOP [PID]: pvtop on a pseudo-terminal; MODE q (press
# q), int (SIGINT), gone (kill the server PID: pvmon died). Checks the
# frames, the exit status and that the terminal is as it was.
cat >"$TMP/screen.py" <<'EOF'
import fcntl, os, pty, re, select, signal, struct, subprocess, sys, termios, time
mode, pvtop = sys.argv[1], sys.argv[2]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 60, 0, 0))
before = termios.tcgetattr(slave)
p = subprocess.Popen([pvtop, "-d", "0.2"], stdin=slave, stdout=slave, stderr=slave,
                     start_new_session=True)
out = b""
def read_for(secs, until=None):
    global out
    end = time.time() + secs
    while time.time() < end and not (until and until in out):
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                out += os.read(master, 65536)
            except OSError:
                return
def fail(why):
    print("FAIL: %s\noutput: %r" % (why, out[-1500:]))
    sys.exit(1)
read_for(5, b"NAME")
read_for(1)                       # a few refreshes with rates
if b"\x1b[?1049h" not in out or b"\nalpha " not in out:
    fail("no full screen with alpha")
if max(len(l) for l in re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", out).splitlines()) > 60:
    fail("lines wider than the terminal's 60 columns")
if mode == "q":
    os.write(master, b"xq")
elif mode == "int":
    p.send_signal(signal.SIGINT)
else:
    os.kill(int(sys.argv[3]), signal.SIGKILL)
try:
    rc = p.wait(5)
except subprocess.TimeoutExpired:
    p.kill()
    fail("pvtop did not end")
read_for(0.3)
after = termios.tcgetattr(slave)
if after[3] != before[3] or after[6][termios.VMIN] != before[6][termios.VMIN]:
    fail("terminal modes not restored")
if not out.rstrip(b"\r\n").endswith(b"\x1b[?1049l") and mode != "gone":
    fail("the screen was not left last")
want = {"q": 0, "int": -signal.SIGINT, "gone": 1}[mode]
if rc != want:
    fail("exit %s, expected %s" % (rc, want))
if mode == "gone":
    tail = out[out.rfind(b"\x1b[?1049l"):]
    if b"pvtop: pvmon" not in tail or b"closed the connection" not in tail:
        fail("the error is not shown after the screen is left")
print("ok", mode)
EOF
python3 "$TMP/screen.py" q "$PVTOP" || die "q did not quit cleanly"
python3 "$TMP/screen.py" int "$PVTOP" || die "SIGINT did not restore the terminal"
mkfifo "$TMP/hold2"
"$FAKE" --serve "$TMP/fake2.sock" --live <"$TMP/hold2" >"$TMP/fake2.log" 2>&1 &
fake2_pid=$!
exec 9>"$TMP/hold2"
for _ in $(seq 100); do [ -S "$TMP/fake2.sock" ] && break; sleep 0.05; done
PVLAB_SOCKET=$TMP/fake2.sock python3 "$TMP/screen.py" gone "$PVTOP" $fake2_pid || die "pvmon gone: no error after the screen"
exec 9>&-
wait $fake2_pid 2>/dev/null
echo "PASS: interactive screen: q, SIGINT, pvmon gone"
