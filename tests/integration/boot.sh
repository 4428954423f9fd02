# pvmon boots a pvos domain that prints and shuts down; exit codes pass through.
. tests/lib.sh
need_kvm
cfg=$(domcfg hello "prog=hello")
out=$($PVMON run "$cfg" 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] || die "pvmon run exited $rc"
echo "$out" | grep -q '^\[hello\] hello from pvos: domain 1' || die "no greeting with the domain prefix"
magic=$(sed -n 's/^#define PV_ABI_MAGIC "\(.*\)"/\1/p' include/pvlab/pv.h)
echo "$out" | grep -q "magic $magic\$" || die "version_op magic '$magic' missing"
cfg=$(domcfg seven "prog=hello exit=7")
$PVMON run "$cfg" >/dev/null 2>&1; rc=$?
[ $rc -eq 7 ] || die "guest exit code 7 came back as $rc"
# The first non-zero code of several domains wins; zero codes do not mask it.
a=$(domcfg a "prog=hello exit=0"); b=$(domcfg b "prog=hello exit=3")
$PVMON run "$a" "$b" >/dev/null 2>&1; rc=$?
[ $rc -eq 3 ] || die "two domains: expected status 3, got $rc"
# Unknown program: the guest says so and exits 2.
cfg=$(domcfg nope "prog=nosuch")
out=$($PVMON run "$cfg" 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "unknown program 'nosuch'" || die "unknown program: rc $rc"
# Ctrl-C stops the domains and pvmon exits 130 promptly.
cfg=$(domcfg long "prog=spin ms=20000")
$PVMON run "$cfg" >"$TMP/long.out" 2>&1 & pid=$!
# Only once the guest runs: a background job starts with SIGINT ignored
# until pvmon installs its handler, which a slow host (ASan, TCG) delays.
for _ in $(seq 100); do grep -q '^\[long\] pvos:' "$TMP/long.out" && break; sleep 0.1; done
kill -INT $pid
t0=$SECONDS; wait $pid; rc=$?
[ $rc -eq 130 ] || die "SIGINT: status $rc, expected 130"
[ $((SECONDS - t0)) -le 3 ] || die "SIGINT: pvmon took $((SECONDS - t0))s to stop"
# Info names the back end and the fast path line.
$PVMON info | tee "$TMP/info"
grep -q '^fast path: ' "$TMP/info" || die "pvmon info lacks the fast path line"
echo PASS
