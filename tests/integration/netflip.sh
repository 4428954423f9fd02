# The pvos network path (pvnet): a pvos domain receives packets from
# pvmon's back end by page flip and by grant copy and checks every one
# (sequence number, lengths, checksum); pvmon's counters agree with what
# was received (flips == packets and nothing copied in flip mode, bytes
# copied == packet bytes and no flip in copy mode, at least 8 packets per
# event); every hostile request and connect is refused with its error or
# the ring disconnected with one line, while a second domain runs on
# unharmed; config errors are one line; `pvbench netflip --quick` prints
# its table. The pvnet events are traced and counted where LTTng is here.
# Then the real source: pvmon in a network namespace of its own with a TAP
# device, fed through the host's UDP stack (tests/tools/udpsend.c); the
# guest receives every datagram intact in both modes, nothing dropped.
. tests/lib.sh
need_kvm
export PVLAB_MM_CHECK=1
N=600
rx=$(domcfg netrx "prog=netrx n=$N sizes=64,4096 hostile=1" 'pvnet = "gen"')
w=$(domcfg worker "prog=procs")
trace=()
command -v lttng-sessiond >/dev/null && command -v babeltrace2 >/dev/null &&
  trace=(--trace "$TMP/tr" --trace-events pvnet,pageflip)
# Each step bounded, so that a hang says which step it was.
out=$(timeout 240 $PVMON --console-counters "${trace[@]}" run "$rx" "$w" 2>&1); rc=$?
echo "$out" | grep -v "^\[worker\]"
[ $rc -ne 124 ] || die "the flip and copy domains did not end in 240 s"
[ $rc -eq 0 ] || die "exit status $rc"
echo "$out" | grep -q "netrx: hostile: [0-9]* checks, 0 failed" || die "a hostile request was not refused as it should be"
[ "$(echo "$out" | grep -c "pvnet: the producer index runs more than 256 requests ahead.*ring disconnected")" = 1 ] ||
  die "the broken ring was not disconnected with one line"
echo "$out" | grep -q "netrx: done, 0 bad" || die "packets went missing or arrived wrong"
echo "$out" | grep -q "\[worker\] .*procs: pid 1 exit 11, pid 2 exit 22" || die "the second domain did not finish"
[ "$(echo "$out" | grep -c "page-table accounting checked")" = 2 ] || die "page-table accounting not consistent"

# counter NAME LINE: the value of pvmon's stamp key NAME on LINE.
counter() { echo "$2" | sed -n "s/.*[{ ]$1=\([0-9]*\)[ }].*/\1/p"; }
for mode in flip copy; do
  for size in 64 4096; do
    b=$(echo "$out" | grep "netrx: begin $mode $size n=$N$") || die "no begin line for $mode $size"
    e=$(echo "$out" | grep "netrx: $mode $size n=$N ns=") || die "no result line for $mode $size"
    echo "$e" | grep -q "bad=0 errors=0" || die "$mode $size: bad packets"
    for k in page_flips net_rx net_copied net_events; do
      v0=$(counter $k "$b"); v1=$(counter $k "$e")
      [ -n "$v0" ] && [ -n "$v1" ] || die "$mode $size: no $k in pvmon's stamps"
      eval "d_$k=$((v1 - v0))"
    done
    echo "$mode $size: packets $d_net_rx flips $d_page_flips copied $d_net_copied events $d_net_events"
    [ "$d_net_rx" = $N ] || die "$mode $size: pvmon delivered $d_net_rx packets, the guest took $N"
    if [ $mode = flip ]; then
      [ "$d_page_flips" = $N ] || die "flip $size: $d_page_flips flips for $N packets"
      [ "$d_net_copied" = 0 ] || die "flip $size: $d_net_copied bytes copied"
    else
      [ "$d_page_flips" = 0 ] || die "copy $size: $d_page_flips flips"
      [ "$d_net_copied" = $((N * size)) ] || die "copy $size: $d_net_copied bytes copied, the packets had $((N * size))"
    fi
    [ "$d_net_events" -ge 1 ] && [ $((N / d_net_events)) -ge 8 ] ||
      die "$mode $size: $d_net_events events for $N packets (fewer than 8 packets an event)"
  done
done

if [ ${#trace[@]} -gt 0 ]; then
  $BIN/pvtrace summary --json "$TMP/tr" > "$TMP/sum.json" || die "pvtrace summary failed"
  $BIN/pvtrace summary "$TMP/tr" | sed -n '/^pvos network/,/^$/p'
  grep -q '"pvmon:pvnet_rx": ' "$TMP/sum.json" || die "no pvnet_rx events counted"
  command -v jq >/dev/null && {
    flipped=$(jq '[.domains[] | .pvnet_flipped] | add' "$TMP/sum.json")
    [ "$flipped" -ge $((2 * N + 1)) ] || die "pvtrace counted $flipped packets flipped"
  }
else
  echo "note: LTTng not installed, the pvnet tracepoints not checked"
fi

# Config: a bad source is one line; netrx without an interface says so.
bad=$(domcfg badnet "prog=netrx" 'pvnet = "ethernet"')
msg=$($PVMON run "$bad" 2>&1) && die "pvnet = \"ethernet\" was accepted"
[ "$(echo "$msg" | grep -c 'expected "gen" or "tap:NAME"')" = 1 ] || die "no one-line error: $msg"
none=$(domcfg nonet "prog=netrx")
msg=$($PVMON run "$none" 2>&1) && die "netrx ran without an interface"
echo "$msg" | grep -q 'no network interface' || die "netrx without an interface: $msg"

table=$(timeout 240 $BIN/pvbench netflip --quick --sizes 64,1500) || die "pvbench netflip --quick failed (status $?; 124: not done in 240 s)"
echo "$table"
for row in "flip    64" "flip  1500" "copy    64" "copy  1500"; do
  echo "$table" | grep -q "^  $row " || die "pvbench netflip: no row '$row'"
done
echo "$table" | grep -q "flip/copy, per size" || die "pvbench netflip: no ratio line"
# The TAP device: root and ip netns needed (say so where they are not).
NS=pvlab-netflip-$$
if ! command -v ip >/dev/null || ! ip netns add $NS 2>"$TMP/netns.err"; then
  echo "note: no network namespace here ($(cat "$TMP/netns.err" 2>/dev/null)); the TAP source not tested"
  echo PASS; exit 0
fi
trap 'ip netns del $NS 2>/dev/null; rm -rf "$TMP"' EXIT
in_ns() { ip netns exec $NS "$@"; }
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
if ! in_ns ip tuntap add dev pvtap0 mode tap 2>"$TMP/tap.err"; then
  echo "note: no TAP device here ($(cat "$TMP/tap.err")); the TAP source not tested"
  echo PASS; exit 0
fi
in_ns ip link set pvtap0 mtu 9000 txqueuelen 10000 up     # pvmon makes it 4082: a frame fits a page
in_ns ip addr add 10.0.0.1/24 dev pvtap0
in_ns ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:01 dev pvtap0 nud permanent
T=300
tap=$(domcfg taprx "prog=netrx n=$T sizes=64,1500,4096 gen=0" 'pvnet = "tap:pvtap0"')
in_ns timeout 120 $PVMON --console-counters run "$tap" > "$TMP/tap.out" 2>&1 & tpid=$!
for _ in $(seq 50); do in_ns ip link show pvtap0 | grep -q LOWER_UP && break; sleep 0.1; done
in_ns ip link show pvtap0 | grep -q LOWER_UP || { kill $tpid; cat "$TMP/tap.out"; die "pvmon did not attach the TAP device"; }
in_ns timeout 60 $BUILD/tests/pvlab-udpsend 10.0.0.2 $T 64,1500,4096 2 || { kill $tpid; die "the UDP sender failed"; }
wait $tpid || { cat "$TMP/tap.out"; die "the TAP domain failed"; }
grep "netrx: [a-z]* [0-9]* n=" "$TMP/tap.out"
grep -q "netrx: done, 0 bad" "$TMP/tap.out" || { cat "$TMP/tap.out"; die "TAP: packets missing or wrong"; }
[ "$(grep -c "netrx: \(flip\|copy\) [0-9]* n=$T .*bad=0 errors=0" "$TMP/tap.out")" = 6 ] || die "TAP: not every phase complete"
[ "$(in_ns cat /sys/class/net/pvtap0/mtu)" = 4082 ] || die "pvmon did not fit the TAP device's MTU to a page"
drops=$(in_ns cat /sys/class/net/pvtap0/statistics/tx_dropped)
[ "$drops" = 0 ] || die "TAP: the device dropped $drops packets"
echo PASS
