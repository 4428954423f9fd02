# Grant tables between two domains: map (read-write, read-only), copy,
# transfer (a real page flip: the content moves, no copy), and every
# refusal (wrong domain, read-only mapped writable, revoked, a mapped or
# pinned frame transferred); a third domain runs on unharmed; the flip is
# counted and, where LTTng is installed, traced.
. tests/lib.sh
need_kvm
export PVLAB_MM_CHECK=1
g=$(domcfg granter "prog=grant role=granter peer=2")
m=$(domcfg mapper "prog=grant role=mapper peer=1")
w=$(domcfg worker "prog=procs")
trace=()
command -v lttng-sessiond >/dev/null && command -v babeltrace2 >/dev/null && trace=(--trace "$TMP/tr" --trace-events pageflip)
out=$($PVMON --stats "${trace[@]}" run "$g" "$m" "$w" 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] || die "exit status $rc"
echo "$out" | grep -q "grant: granter: [0-9]* checks, 0 failed" || die "granter checks failed"
echo "$out" | grep -q "grant: mapper: [0-9]* checks, 0 failed" || die "mapper checks failed"
echo "$out" | grep -q "\[worker\] procs: pid 1 exit 11, pid 2 exit 22" || die "the third domain did not finish"
[ "$(echo "$out" | grep -c "page-table accounting checked")" = 3 ] || die "accounting not consistent"
echo "$out" | grep -q "domain mapper (2) exited code 0: .* page flips 1$" || die "the page flip was not counted"
if [ ${#trace[@]} -gt 0 ]; then
  babeltrace2 "$TMP/tr" > "$TMP/tr.txt" || die "babeltrace2 cannot read the trace"
  grep -q "pvmon:page_flip: .*dom = 2, remote_dom = 1" "$TMP/tr.txt" || { head "$TMP/tr.txt"; die "no page_flip event"; }
else
  echo "note: LTTng not installed, page_flip tracepoint not checked"
fi
echo PASS
