# The balloon: a 64 MiB domain that has touched all its memory shrinks to
# 16 MiB on `pvctl mem-set` and the host really gets the memory back
# (pvmon's RSS drops); it grows again; bad requests are refused.
. tests/lib.sh
need_kvm
start_daemon
printf 'name = "bal"\nmemory = 64\nkernel = "%s"\ncmdline = "prog=balloon touch=1"\n' "$PVOS" > "$TMP/bal.cfg"
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$dpid/status; }
wait_console() {   # wait_console PATTERN: up to 20 s
  for _ in $(seq 200); do
    $PVCTL console bal --no-follow 2>/dev/null | grep -q "$1" && return 0; sleep 0.1
  done
  $PVCTL console bal --no-follow; cat "$TMP/daemon.log"; die "no '$1' on the console"
}
$PVCTL create "$TMP/bal.cfg" || die "create"
wait_console "balloon: ready"
rss0=$(rss)
$PVCTL mem-set bal 16 || die "mem-set 16"
wait_console "balloon: now 4096 pages (target 4096, pvmon says 4096)"
rss1=$(rss)
echo "pvmon RSS: ${rss0} KiB with 64 MiB touched, ${rss1} KiB after mem-set 16"
[ $((rss0 - rss1)) -ge $((40 * 1024)) ] || die "RSS dropped by $((rss0 - rss1)) KiB only (expected >= 40 MiB)"
$PVCTL list --json | grep -q '"mem_kib":16384,"mem_target_kib":16384' || { $PVCTL list --json; die "list does not show 16 MiB"; }
$PVCTL mem-set bal 64 || die "mem-set 64"
wait_console "balloon: now 16384 pages (target 16384, pvmon says 16384)"
$PVCTL mem-set bal 65 2>"$TMP/err"; rc=$?
[ $rc -ne 0 ] && grep -q "1..64 MiB" "$TMP/err" || { cat "$TMP/err"; die "mem-set above the maximum: rc $rc"; }
$PVCTL mem-set nosuch 16 2>/dev/null && die "mem-set of an unknown domain succeeded"
$PVCTL mem-set bal lots 2>/dev/null; [ $? -eq 2 ] || die "mem-set with a bad size: not a usage error"
$PVCTL mem-set --help | grep -q "usage: pvctl .*mem-set DOMAIN MIB" || die "mem-set --help"
$PVCTL destroy bal || die "destroy"
echo PASS
