# LTTng session helpers for tests and benchmarks (source this file; bash).
#   pv_trace_start DIR EVENTS  start a session daemon if none answers, create
#                              a uniquely named session writing CTF to DIR,
#                              enable the userspace events EVENTS (a pattern
#                              or comma list: 'pvmon:*', 'pvmon:hcall_*'),
#                              start recording. Returns non-zero on failure.
#   pv_trace_stop              stop (flushes the buffers), print
#                              "lost events: N" when the tracer discarded
#                              some, destroy the session. Safe to call twice
#                              (also after a call inside $(...)), so it can
#                              sit in an EXIT trap.
# Optional tuning (environment): PV_TRACE_SUBBUF_SIZE (default 1M),
# PV_TRACE_NUM_SUBBUF (default 4), PV_TRACE_CONTEXT (e.g. "vtid procname").
# The session name is left in PV_TRACE_SESSION, the directory in PV_TRACE_DIR.
#   pv_trace_only PID          from now on the session records the process
#                              PID alone (every other one on the host is
#                              left out: lttng track --vpid); start PID
#                              waiting (a fifo) and let it go after this.
#   pv_gen_record DIR MODE N [OPTS]  record the test event generator (below)

PV_TRACE_SESSION=
PV_TRACE_DIR=

_pv_trace_sessiond_up() { lttng list >/dev/null 2>&1; }

_pv_trace_ensure_sessiond() {
  _pv_trace_sessiond_up && return 0
  # A concurrent start may win the race; what counts is that one answers.
  lttng-sessiond --daemonize >/dev/null 2>&1
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    _pv_trace_sessiond_up && return 0
    sleep 0.2
  done
  echo "pv_trace_start: lttng-sessiond did not start (try: lttng-sessiond -vvv)" >&2
  return 1
}

pv_trace_start() {
  local dir=$1 events=$2 out ctx
  if [ -z "$dir" ] || [ -z "$events" ]; then
    echo "usage: pv_trace_start DIR EVENTS" >&2; return 2
  fi
  if [ -n "$PV_TRACE_SESSION" ]; then
    echo "pv_trace_start: session $PV_TRACE_SESSION is still open; pv_trace_stop first" >&2
    return 1
  fi
  command -v lttng >/dev/null || { echo "pv_trace_start: lttng is not installed" >&2; return 1; }
  _pv_trace_ensure_sessiond || return 1

  local name="pvlab-$$-${RANDOM}-$(date +%s%N)"
  mkdir -p "$dir" || return 1
  if ! out=$(lttng create "$name" --output="$dir" 2>&1); then
    echo "pv_trace_start: lttng create failed: $out" >&2; return 1
  fi
  PV_TRACE_SESSION=$name PV_TRACE_DIR=$dir
  if ! out=$( { lttng enable-channel --userspace --session="$name" \
                  --subbuf-size="${PV_TRACE_SUBBUF_SIZE:-1M}" \
                  --num-subbuf="${PV_TRACE_NUM_SUBBUF:-4}" pvchan &&
                lttng enable-event --userspace --session="$name" --channel=pvchan "$events" &&
                for ctx in ${PV_TRACE_CONTEXT:-}; do
                  lttng add-context --userspace --session="$name" --channel=pvchan --type="$ctx" || exit 1
                done &&
                lttng start "$name"; } 2>&1); then
    echo "pv_trace_start: setting up session $name failed: $out" >&2
    pv_trace_stop >/dev/null 2>&1
    return 1
  fi
}

pv_trace_only() {
  local out
  [ -n "$PV_TRACE_SESSION" ] || { echo "pv_trace_only: no session" >&2; return 1; }
  if ! out=$( { lttng untrack --userspace --session="$PV_TRACE_SESSION" --all --vpid &&
                lttng track --userspace --session="$PV_TRACE_SESSION" --vpid="$1"; } 2>&1); then
    echo "pv_trace_only: $out" >&2; return 1
  fi
}

pv_trace_stop() {
  local name=$PV_TRACE_SESSION out lost
  [ -n "$name" ] || return 0
  PV_TRACE_SESSION=
  # Already destroyed, e.g. by an earlier call made inside $(...).
  lttng list "$name" >/dev/null 2>&1 || return 0
  # stop waits until the buffers are flushed to the output directory.
  out=$(lttng stop "$name" 2>&1)
  # e.g. "Warning: 12 events were discarded, please refer to ..."
  lost=$(printf '%s\n' "$out" | sed -n 's/.*[^0-9]\([0-9][0-9]*\) events* were discarded.*/\1/p' | head -1)
  lttng destroy "$name" >/dev/null 2>&1 ||
    echo "pv_trace_stop: lttng destroy $name failed" >&2
  [ -n "$lost" ] && [ "$lost" -gt 0 ] && echo "lost events: $lost"
  return 0
}

# pv_gen_record DIR MODE N [pvctl trace start options...]: runs
# $BUILD/tests/pvtrace-gen MODE N under `pvctl trace start --pid` (its
# output in $PV_GEN_OUT, default DIR.gen; the stop line in DIR.stop). The
# generator waits on a fifo until the session for its pid records, so no
# other process on the host gets into the trace. --output DIR is added
# unless --relayd or --live is given. PV_GEN_BEFORE_GO and
# PV_GEN_BEFORE_STOP, if set, are run (eval, in this shell) once the
# session records and before the stop, with the session's name in
# PV_GEN_SESSION (e.g. to attach a live reader, or for `pvctl trace
# snapshot`). Needs PVCTL and BUILD (tests/lib.sh).
pv_gen_record() {
  local dir=$1 mode=$2 n=$3 fifo gpid rc=0 where
  shift 3
  local session=pvgen-$$-$RANDOM out=${PV_GEN_OUT:-$dir.gen}
  where=(--output "$dir")
  case " $* " in *" --relayd "*|*" --live "*) where=() ;; esac
  fifo=$(mktemp -u "${TMPDIR:-/tmp}/pvgen-fifo.XXXXXX") && mkfifo "$fifo" || return 1
  "$BUILD/tests/pvtrace-gen" "$mode" "$n" wait < "$fifo" > "$out" & gpid=$!
  exec 4>"$fifo"
  rm -f "$fifo"
  if ! "$PVCTL" trace start --session "$session" "${where[@]}" --pid "$gpid" "$@" >/dev/null; then
    exec 4>&-; wait "$gpid"; return 1
  fi
  PV_GEN_SESSION=$session
  [ -n "${PV_GEN_BEFORE_GO:-}" ] && { eval "$PV_GEN_BEFORE_GO" || rc=1; }
  echo go >&4; exec 4>&-
  wait "$gpid" || rc=1
  [ -n "${PV_GEN_BEFORE_STOP:-}" ] && { eval "$PV_GEN_BEFORE_STOP" || rc=1; }
  "$PVCTL" trace stop --session "$session" > "$dir.stop" || rc=1
  PV_GEN_SESSION=
  return $rc
}
