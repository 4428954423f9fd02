# pvctl trace start where no LTTng session daemon runs: it starts one and
# records; where lttng-sessiond cannot be found it says what is missing and
# how to get it; trace stop without a daemon says there is none. Runs in a
# private mount namespace with its own /var/run/lttng, /dev/shm and HOME,
# so the host's session daemon (other tests use it) is out of sight and the
# one started here dies with the test.
set -u
if [ "${PVLAB_TRACE_NS:-}" != 1 ]; then
  command -v unshare >/dev/null || { echo "SKIP: unshare (util-linux) is missing"; exit 77; }
  unshare -m --propagation private true 2>/dev/null ||
    { echo "SKIP: cannot make a private mount namespace here (unshare -m needs root)"; exit 77; }
  PVLAB_TRACE_NS=1 exec unshare -m --propagation private bash "$0"
fi
. tests/lib.sh
command -v lttng-sessiond >/dev/null || skip "LTTng is not installed (make deps)"
command -v jq >/dev/null || skip "jq is not installed (make deps)"
mkdir -p /var/run/lttng
mount -t tmpfs pvlab-lttng-run /var/run/lttng || skip "cannot mount a private /var/run/lttng"
mount -t tmpfs pvlab-shm /dev/shm || skip "cannot mount a private /dev/shm"
export HOME=$TMP/home LTTNG_HOME=$TMP/home
mkdir -p "$HOME"
stop_sessiond() {
  local pid
  pid=$(cat /var/run/lttng/lttng-sessiond.pid 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
}
trap 'stop_sessiond; rm -rf "$TMP"' EXIT
lttng list >/dev/null 2>&1 && die "a session daemon answers inside the private namespace"

# Nothing to stop: said plainly, status 1.
out=$($PVCTL trace stop --session none 2>&1); [ $? -eq 1 ] || die "stop without a daemon: status not 1"
echo "$out"
echo "$out" | grep -q "no LTTng session daemon runs" || die "stop without a daemon: $out"

# lttng-sessiond not on PATH: what is missing and how to get it.
out=$(PATH=/nonexistent $PVCTL trace start --session t1 --output "$TMP/t1" 2>&1); [ $? -eq 1 ] ||
  die "start without lttng-sessiond on PATH: status not 1"
echo "$out"
echo "$out" | grep -q "lttng-sessiond cannot be started" && echo "$out" | grep -q "make deps" ||
  die "start without lttng-sessiond: $out"
lttng list >/dev/null 2>&1 && die "a session daemon runs after the failed start"

# With it on PATH: pvctl starts the daemon, and the session records.
. tracing/lttng-session.sh
export PV_GEN_OUT=$TMP/gen.out
pv_gen_record "$TMP/t2" mix 30 || die "recording with a daemon pvctl started failed"
[ -s /var/run/lttng/lttng-sessiond.pid ] || die "no session daemon was started"
cat "$TMP/t2.stop"
grep -q "0 events lost" "$TMP/t2.stop" || die "stop: $(cat "$TMP/t2.stop")"
want=$(sed -n 's/.* events=\([0-9]*\).*/\1/p' "$PV_GEN_OUT")
got=$($BIN/pvtrace summary --json "$TMP/t2" | jq .events)
[ "$got" = "$want" ] || die "the trace has $got events, the generator sent $want"
echo PASS
