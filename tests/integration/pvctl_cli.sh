#!/usr/bin/env bash
# pvctl without a hypervisor: help for the tool and every command, usage
# errors (exit 2, one line), no daemon (exit 1, "cannot connect"), then the
# whole protocol against the fake domains of `test_control --serve`
# (tests/unit/test_control.c: alpha id 1, beta id 7, scheduler bvt).
set -u
. tests/lib.sh
FAKE=$BUILD/tests/unit/test_control
[ -x "$PVCTL" ] || die "$PVCTL is missing; run make first"
[ -x "$FAKE" ] || die "$FAKE is missing; run make first"
COMMANDS="create list destroy pause unpause console sched-bvt sched-rr"
NOSOCK=$TMP/absent.sock
export PVLAB_SOCKET=$NOSOCK

# run ARGS...: pvctl's status in $rc, its output in $TMP/out and $TMP/err.
run() { "$PVCTL" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
show() { echo "stdout: $(head -c 300 "$TMP/out")"; echo "stderr: $(head -c 300 "$TMP/err")"; }

expect_ok() {   # expect_ok ARGS...
  run "$@"
  [ "$rc" = 0 ] || { show; die "pvctl $*: exit $rc, expected 0"; }
}

# expect_fail STATUS TEXT ARGS...: that status, nothing on stdout, and one
# stderr line "pvctl: ..." containing TEXT.
expect_fail() {
  local want=$1 text=$2; shift 2
  run "$@"
  [ "$rc" = "$want" ] || { show; die "pvctl $*: exit $rc, expected $want"; }
  [ "$(wc -l <"$TMP/err")" = 1 ] || { show; die "pvctl $*: stderr is not one line"; }
  grep -q '^pvctl: ' "$TMP/err" || { show; die "pvctl $*: stderr does not start with 'pvctl: '"; }
  grep -qF -- "$text" "$TMP/err" || { show; die "pvctl $*: stderr lacks '$text'"; }
  [ ! -s "$TMP/out" ] || { show; die "pvctl $*: printed on stdout on failure"; }
}

# ---- help --------------------------------------------------------------
for h in --help -h help; do
  expect_ok $h
  grep -q '^usage: pvctl \[--socket PATH\] COMMAND' "$TMP/out" || { show; die "pvctl $h: no usage line"; }
  for c in $COMMANDS; do
    grep -q "^  $c" "$TMP/out" || die "pvctl $h does not list '$c'"
  done
  [ ! -s "$TMP/err" ] || die "pvctl $h wrote on stderr"
done
for c in $COMMANDS; do
  for h in "$c --help" "$c -h" "help $c"; do
    expect_ok $h
    grep -q "^usage: pvctl \[--socket PATH\] $c" "$TMP/out" || { show; die "pvctl $h: no usage line"; }
  done
done
# --help wins over everything else on the line
expect_ok sched-bvt --weight nonsense extra --help
echo "PASS: --help on the tool and on each of: $COMMANDS"

# ---- usage errors: exit 2 before any connection -------------------------
expect_fail 2 "no command given" 
expect_fail 2 "unknown command 'frobnicate'" frobnicate
expect_fail 2 "unknown command 'frobnicate'" help frobnicate
expect_fail 2 "unknown option '--bogus'" --bogus list
expect_fail 2 "--socket needs a PATH" --socket
expect_fail 2 "--socket needs a non-empty PATH" --socket= list
expect_fail 2 "create: missing CFG" create
expect_fail 2 "create: unexpected argument 'b.cfg'" create a.cfg b.cfg
for c in destroy pause unpause console; do
  expect_fail 2 "$c: missing DOMAIN" $c
  expect_fail 2 "$c: unexpected argument 'two'" $c one two
  expect_fail 2 "$c: unknown option '--force'" $c one --force
done
expect_fail 2 "list: unexpected argument 'all'" list all
expect_fail 2 "list: unknown option '--xml'" list --xml
expect_fail 2 "list: --json takes no value" list --json=yes
expect_fail 2 "console: --no-follow takes no value" console web --no-follow=3
expect_fail 2 "sched-bvt: missing DOMAIN" sched-bvt
expect_fail 2 "give at least one of --weight" sched-bvt web
expect_fail 2 "sched-bvt: --weight needs a value" sched-bvt web --weight
expect_fail 2 "--weight 'abc' is not a positive integer" sched-bvt web --weight abc
expect_fail 2 "--weight '0' is not a positive integer" sched-bvt web --weight 0
expect_fail 2 "--warp '5parsecs' is not a time" sched-bvt web --warp 5parsecs
expect_fail 2 "--warpu '-3' is not a time" sched-bvt web --warpu=-3
expect_fail 2 "sched-rr: missing --slice NS" sched-rr
expect_fail 2 "--slice '0' is not a positive time" sched-rr --slice 0
expect_fail 2 "sched-rr: unexpected argument '5'" sched-rr 5
expect_fail 2 "contains a space" pause "my dom"
echo "PASS: usage errors exit 2 with one line"

# ---- no daemon: exit 1, "cannot connect" ----------------------------------
echo 'name = "web"' >"$TMP/web.cfg"
conn="cannot connect to pvmon at $NOSOCK: is \`pvmon daemon\` running?"
for args in "list" "list --json" "create $TMP/web.cfg" "destroy web" "pause 1" "unpause web" \
            "console web" "console web --no-follow" "sched-bvt web --weight 5" "sched-rr --slice 1ms"; do
  expect_fail 1 "$conn" $args
  expect_fail 1 "cannot connect to pvmon at $TMP/other.sock:" --socket "$TMP/other.sock" $args
done
[ "$(cat "$TMP/err")" = "pvctl: cannot connect to pvmon at $TMP/other.sock: is \`pvmon daemon\` running?" ] ||
  die "the cannot-connect line is '$(cat "$TMP/err")'"
expect_fail 1 "cannot read config $TMP/missing.cfg" create "$TMP/missing.cfg"
# A socket file whose server is gone (ECONNREFUSED) reads the same.
if command -v python3 >/dev/null; then
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$TMP/stale.sock"
  expect_fail 1 "cannot connect to pvmon at $TMP/stale.sock: is \`pvmon daemon\` running?" --socket "$TMP/stale.sock" list
fi
long=/tmp/$(printf 'x%.0s' $(seq 120))
expect_fail 1 "is too long" --socket "$long" list
# PVLAB_CTL_TIMEOUT: how long a reply may take; a bad value is one line.
for v in x 0 86401 12s; do
  PVLAB_CTL_TIMEOUT=$v expect_fail 1 "PVLAB_CTL_TIMEOUT='$v' is not a number of seconds from 1 to 86400" list
done
if command -v python3 >/dev/null; then   # a server that takes the request and never answers
  python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c,_=s.accept(); time.sleep(30)' "$TMP/mute.sock" & mute=$!
  for _ in $(seq 50); do [ -S "$TMP/mute.sock" ] && break; sleep 0.1; done
  t0=$SECONDS
  PVLAB_CTL_TIMEOUT=1 expect_fail 1 "pvmon at $TMP/mute.sock did not answer within 1 s (PVLAB_CTL_TIMEOUT)" --socket "$TMP/mute.sock" list
  [ $((SECONDS - t0)) -le 10 ] || die "PVLAB_CTL_TIMEOUT=1: pvctl waited $((SECONDS - t0)) s"
  kill $mute 2>/dev/null; wait $mute 2>/dev/null
fi
echo "PASS: no daemon -> exit 1, cannot connect"

# ---- against the fake domains ------------------------------------------------
export PVLAB_SOCKET=$TMP/fake.sock
mkfifo "$TMP/hold"
"$FAKE" --serve "$PVLAB_SOCKET" <"$TMP/hold" >"$TMP/fake.log" 2>&1 &
fake_pid=$!
exec 8>"$TMP/hold"            # closing it stops the fake server
trap 'exec 8>&-; wait $fake_pid 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -S "$PVLAB_SOCKET" ] && break; sleep 0.05; done
[ -S "$PVLAB_SOCKET" ] || die "test_control --serve did not start: $(cat "$TMP/fake.log")"

expect_ok list
head -1 "$TMP/out" | grep -Eq '^Name +ID +Mem +VCPUs +State +Time\(s\) +Weight +Hcall/s +Exit/s$' || { show; die "list header"; }
# Hcall/s and Exit/s: hypercalls and vm_exits over time_ns - created_ns (2 s in the fake).
grep -Eq '^alpha +1 +16 +1 +running +1\.5 +100 +1500 +2500$' "$TMP/out" || { show; die "list: alpha row"; }
grep -Eq '^beta +7 +32 +2 +running +3\.0 +100 +3000 +5000$' "$TMP/out" || { show; die "list: beta row"; }
expect_ok list --json
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [x["name"] for x in d]==["alpha","beta"], d; assert d[1]["domid"]==7 and d[1]["mem_mib"]==32' "$TMP/out" ||
    { show; die "list --json is not the JSON array expected"; }
else
  grep -q '"name":"alpha"' "$TMP/out" && head -1 "$TMP/out" | grep -qx '\[' || { show; die "list --json"; }
fi

expect_ok pause alpha
expect_ok list
grep -Eq '^alpha +1 .* paused ' "$TMP/out" || { show; die "alpha is not paused after pause"; }
expect_fail 1 "cannot pause domain alpha (1): it is paused" pause 1
expect_ok unpause 1
expect_ok pause 7
expect_ok unpause beta
expect_fail 1 "no domain 'nosuch'" pause nosuch
expect_fail 1 "no domain '42'" destroy 42
expect_ok sched-bvt beta --weight 50 --warp 10ms --warpl=1s --warpu 500us
expect_fail 1 "weight must be 1..10000" sched-bvt beta --weight 20000
expect_fail 1 "sched-rr needs the rr scheduler" sched-rr --slice 1ms

expect_ok console alpha --no-follow
[ "$(cat "$TMP/out")" = "hello from alpha" ] || { show; die "console --no-follow of alpha"; }
# Following: history first, then the stream ends when the domain does,
# with what the domain wrote as it ended (the fake's "bye from beta").
timeout 10 "$PVCTL" console beta >"$TMP/follow.out" 2>"$TMP/follow.err" &
follow_pid=$!
for _ in $(seq 100); do grep -q 'beta boots' "$TMP/follow.out" && break; sleep 0.05; done
grep -q 'beta boots' "$TMP/follow.out" || die "console beta did not print the history"
kill -0 $follow_pid 2>/dev/null || die "console beta did not keep following"
expect_ok destroy beta
wait $follow_pid; frc=$?
[ "$frc" = 0 ] || die "console beta: exit $frc after the domain ended, expected 0 ($(cat "$TMP/follow.err"))"
[ "$(cat "$TMP/follow.out")" = "$(printf 'beta boots\nbye from beta')" ] ||
  die "console beta printed '$(cat "$TMP/follow.out")'"
expect_fail 1 "no domain 'beta'" console beta   # an ended domain leaves the table
# A follower that is killed (as by Ctrl-C) leaves the server serving.
timeout 10 "$PVCTL" console alpha >/dev/null 2>&1 &
follow_pid=$!
sleep 0.2
kill -TERM $follow_pid; wait $follow_pid 2>/dev/null
expect_ok create "$TMP/web.cfg"
[ "$(cat "$TMP/out")" = "created domain gamma (id 9)" ] || { show; die "create output"; }
expect_ok list
grep -Eq '^gamma +9 ' "$TMP/out" && [ "$(grep -c . "$TMP/out")" = 3 ] ||
  { show; die "list after create: expected alpha and gamma"; }
echo "PASS: list, pause, unpause, destroy, console, sched-bvt, create against the fake server"
exit 0
