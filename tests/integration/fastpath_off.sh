# The baseline stays whole with the fast path forced off: a representative
# set of the suite runs again with PVLAB_FAST_PATH=off (the whole suite:
# PVLAB_FAST_PATH=off make check).
. tests/lib.sh
need_kvm
export PVLAB_FAST_PATH=off
$PVMON info | grep -q '^fast path: none (' || die "PVLAB_FAST_PATH=off: pvmon info does not say none"
failed=
for t in boot guest_programs hostile isolation mm balloon grant pingpong fastpath_traps; do
  if bash tests/integration/$t.sh > "$TMP/$t.log" 2>&1; then
    echo "ok   $t"
  else
    rc=$?
    [ $rc = 77 ] && { echo "skip $t: $(grep -i skip "$TMP/$t.log" | tail -1)"; continue; }
    echo "FAIL $t (status $rc)"; tail -15 "$TMP/$t.log" | sed 's/^/  | /'
    failed="$failed $t"
  fi
done
[ -z "$failed" ] || die "with the fast path off:$failed"
echo PASS
