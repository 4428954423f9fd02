# A running domain in pvmon's xenstore, seen with Debian's xenstore-utils:
# `pvmon daemon` serves xenstored.sock beside its control socket; a domain
# made with pvctl is at /local/domain/<id> (domid, name, owned by it) and
# @introduceDomain fires; destroyed, its tree goes and @releaseDomain fires.
set -u
. tests/lib.sh
need_kvm
command -v xenstore-read >/dev/null || skip "xenstore-utils is not installed (make deps)"
start_daemon
export XENSTORED_PATH=$TMP/xenstored.sock
[ -S "$XENSTORED_PATH" ] || { cat "$TMP/daemon.log"; die "the daemon serves no $XENSTORED_PATH"; }

timeout 20 xenstore-watch -n 2 @introduceDomain >"$TMP/intro" 2>&1 &
ipid=$!
for _ in $(seq 50); do [ -s "$TMP/intro" ] && break; sleep 0.1; done
spin_ms=4000
[ -n "${PVLAB_NESTED:-}" ] && spin_ms=20000
$PVCTL create "$(domcfg spinner "prog=spin ms=$spin_ms")" >"$TMP/created" || die "create"
id=$(sed -n "s/.*(id \([0-9]*\)).*/\1/p" "$TMP/created")
[ -n "$id" ] || die "pvctl create said: $(cat "$TMP/created")"
wait $ipid || die "@introduceDomain did not fire: $(cat "$TMP/intro")"
[ "$(xenstore-read /local/domain/$id/name)" = spinner ] || die "name: $(xenstore-ls /local/domain 2>&1)"
[ "$(xenstore-read /local/domain/$id/domid)" = "$id" ] || die "domid: $(xenstore-ls /local/domain 2>&1)"
xenstore-ls -p /local/domain | grep -q "^$id = \"\" .*(n$id)" || die "owner: $(xenstore-ls -p /local/domain 2>&1)"
xenstore-write /local/domain/$id/data/x 1 || die "write below the domain"

timeout 20 xenstore-watch -n 2 @releaseDomain >"$TMP/rel" 2>&1 &
rpid=$!
for _ in $(seq 50); do [ -s "$TMP/rel" ] && break; sleep 0.1; done
$PVCTL destroy spinner || die "destroy"
wait $rpid || die "@releaseDomain did not fire: $(cat "$TMP/rel")"
xenstore-exists /local/domain/$id && die "/local/domain/$id outlived its domain"
kill $dpid; wait $dpid
[ -e "$XENSTORED_PATH" ] && die "the xenstore socket outlived the daemon"
echo PASS
