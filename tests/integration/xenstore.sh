# Domain 0's xenstore socket with Debian's own xenstore-utils, which reach it
# through XENSTORED_PATH: write, read, ls, list, rm, a watch that fires,
# permissions (chmod), the path already served, a bad socket path, the
# socket gone on exit. `pvmon xenstored` serves the store alone: no KVM
# (xenstore_domain.sh sees a running domain's tree).
set -u
. tests/lib.sh
command -v xenstore-read >/dev/null || skip "xenstore-utils is not installed (make deps)"
export XENSTORED_PATH=$TMP/xs.sock
$PVMON xenstored --xenstore "$XENSTORED_PATH" >"$TMP/xs.log" 2>&1 &
xpid=$!
trap 'kill $xpid 2>/dev/null; wait $xpid 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -S "$XENSTORED_PATH" ] && break; sleep 0.1; done
[ -S "$XENSTORED_PATH" ] || { cat "$TMP/xs.log"; die "pvmon xenstored made no socket"; }

xenstore-write /tool/pvlab/a 1 /tool/pvlab/b "two words" || die "xenstore-write"
[ "$(xenstore-read /tool/pvlab/b)" = "two words" ] || die "xenstore-read: $(xenstore-read /tool/pvlab/b 2>&1)"
[ "$(xenstore-list /tool/pvlab | tr '\n' ' ')" = "a b " ] || die "xenstore-list: $(xenstore-list /tool/pvlab 2>&1)"
xenstore-ls /local/domain | grep -q '^0 = ""' || die "no /local/domain/0: $(xenstore-ls / 2>&1)"
xenstore-ls /tool | grep -q 'b = "two words"' || die "xenstore-ls: $(xenstore-ls /tool 2>&1)"

# A watch: the first event at once, then one for the write below it.
timeout 5 xenstore-watch -n 2 /tool/pvlab >"$TMP/watch" 2>&1 &
wpid=$!
for _ in $(seq 50); do [ -s "$TMP/watch" ] && break; sleep 0.1; done
xenstore-write /tool/pvlab/c 3 || die "xenstore-write c"
wait $wpid || die "xenstore-watch saw no event for /tool/pvlab/c: $(cat "$TMP/watch")"
[ "$(tr '\n' ' ' <"$TMP/watch")" = "/tool/pvlab /tool/pvlab/c " ] || die "watch events: $(cat "$TMP/watch")"

# A directory over one message (4096 bytes): libxenstore reads it in parts.
args=(); for i in $(seq 400); do args+=("/tool/many/child_$(printf %05d "$i")" v); done
xenstore-write "${args[@]}" || die "xenstore-write of 400 nodes"
[ "$(xenstore-list /tool/many | wc -l)" = 400 ] || die "xenstore-list of 400 children: $(xenstore-list /tool/many 2>&1 | tail -2)"

xenstore-rm /tool/pvlab/a || die "xenstore-rm"
xenstore-read /tool/pvlab/a 2>/dev/null && die "read a removed node"
xenstore-exists /tool/pvlab/b || die "xenstore-exists"

# Permissions as Xen has them: owner 0 (others read), domain 5 read-write.
xenstore-chmod /tool/pvlab/b r0 b5 || die "xenstore-chmod"
xenstore-ls -p /tool/pvlab | grep -q 'b = "two words" .*(r0,b5)' || die "perms: $(xenstore-ls -p /tool/pvlab 2>&1)"
xenstore-chmod /tool/pvlab/b q5 2>/dev/null && die "xenstore-chmod took the permission q5"

# The path already served: one line, non-zero.
$PVMON xenstored --xenstore "$XENSTORED_PATH" 2>"$TMP/err" && die "a second pvmon served $XENSTORED_PATH"
[ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "another pvmon or xenstored serves this socket" "$TMP/err" ||
  die "path in use: $(cat "$TMP/err")"
# A client given a bad socket path: one line, non-zero.
XENSTORED_PATH=$TMP/none.sock xenstore-read /tool 2>"$TMP/err" && die "read through a missing socket"
[ "$(wc -l <"$TMP/err")" = 1 ] || die "bad socket path: $(cat "$TMP/err")"

kill $xpid; wait $xpid; rc=$?
[ $rc = 0 ] || die "pvmon xenstored exited with $rc on SIGTERM"
[ -e "$XENSTORED_PATH" ] && die "the socket file outlived pvmon"
echo PASS
