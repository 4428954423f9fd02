# Debian's kernel as a Linux PV domain with one VIF (vif = [
# "mac=00:16:3e:..,ip=10.9.0.2" ]): pvmon's network back end
# (xen_netback.c) and Linux's own xen-netfront meet through xenstore by
# Xen's state machine; pvmon runs in a network namespace of the test's
# own, where the VIF's host side is the TAP device pvif<dom>.0. /init
# (tests/linux/init.sh, pvlabnet=) brings eth0 up with the configured
# address, pings the host and fetches 1 MiB from the host's httpd, then
# serves 1 MiB of its own; the host pings the guest, fetches that and
# compares both checksums with the guest's, and pvctl list's net
# counters with the TAP device's own statistics while nothing moves;
# then VFR rules (pvctl vfr) drop ping and one TCP port, and a third VIF
# is hot-plugged and taken away (pvctl network-attach, network-detach).
# Bad vif lines are refused in one line. Runs in the nested AMD-V host
# wherever this host is (Linux PV needs hardware virtualization).
# timeout: 600
# lane: 2
. tests/lib.sh
. tests/linux/lib.sh

GIP=10.9.0.2 HIP=10.9.0.1 MAC=00:16:3e:5a:01:02 GIP2=10.9.1.2 HIP2=10.9.1.1

refused() { linux_refused "$1" "$2" "vif = [ $3 ]"; }

rule_packets() { $PVCTL vfr list | awk -v id="$1" '$1 == id { print $2 }'; }

# The VFR: a drop rule for ICMP stops ping both ways and counts it, its
# deletion lets ping through again; a rule for TCP port 8080 stops a
# fetch from there, not from port 8081, nor ping.
# Hot-plug while /init waits: a third VIF comes with pvctl network-attach
# (its TAP device up in pvmon's namespace, Linux's netfront connects it),
# and goes with network-detach (netfront closes, the TAP and the nodes go).
hotplug_checks() {
  local n id i xs="XENSTORED_PATH=$TMP/xenstored.sock"
  n=$($PVCTL network-attach net "ip=10.9.2.2") || die "pvctl network-attach failed"
  [ "$n" = "vif 2" ] || die "network-attach printed '$n', not 'vif 2'"
  id=$(json_field net domid)
  in_ns ip link show pvif$id.2 > /dev/null || die "no TAP device pvif$id.2 after network-attach"
  for i in $(seq $((150 * SLOW))); do
    [ "$(env $xs xenstore-read /local/domain/0/backend/vif/$id/2/state 2>/dev/null)" = 4 ] && break
    sleep 0.2
  done
  [ "$(env $xs xenstore-read /local/domain/0/backend/vif/$id/2/state)" = 4 ] ||
    die "vif 2 never Connected: the guest's netfront did not take it"
  echo "ok network-attach: vif 2 (pvif$id.2) Connected by the guest's netfront"
  ! $PVCTL network-detach net 7 2>"$TMP/err" && grep -q "has no vif 7" "$TMP/err" || die "network-detach of vif 7: $(cat "$TMP/err")"
  $PVCTL network-detach net 2 || die "pvctl network-detach failed"
  ! in_ns ip link show pvif$id.2 > /dev/null 2>&1 || die "pvif$id.2 still there after network-detach"
  [ "$(env $xs xenstore-list /local/domain/0/backend/vif/$id | tr '\n' ' ')" = "0 1 " ] &&
    [ "$(env $xs xenstore-list /local/domain/$id/device/vif | tr '\n' ' ')" = "0 1 " ] ||
    { env $xs xenstore-ls -f /local/domain; die "xenstore still has vif 2's nodes"; }
  echo "ok network-detach: netfront closed vif 2, its TAP device and nodes are gone"
}

vfr_checks() {
  local id n
  id=$($PVCTL vfr add drop icmp | sed -n 's/^rule \([0-9]*\) added$/\1/p')
  [ -n "$id" ] || die "pvctl vfr add drop icmp printed no rule id"
  ! in_ns busybox ping -c 2 -W 1 $GIP > /dev/null || die "the host pinged the guest through 'drop icmp'"
  n=$(rule_packets "$id")
  [ "${n:-0}" -ge 2 ] || { $PVCTL vfr list; die "'drop icmp' counted ${n:-no} packets, not 2 pings or more"; }
  echo "ok vfr: 'drop icmp' (rule $id) stopped ping: $n packets"
  $PVCTL vfr del "$id" || die "pvctl vfr del $id"
  in_ns busybox ping -c 1 -W 5 $GIP > /dev/null || die "no ping after 'drop icmp' was deleted"
  echo "ok vfr: ping goes again once rule $id is deleted"
  id=$($PVCTL vfr add drop tcp dport 8080 | sed -n 's/^rule \([0-9]*\) added$/\1/p')
  ! timeout 3 ip netns exec $ns busybox wget -q -O /dev/null "http://$GIP:8080/blob" ||
    die "the host fetched from port 8080 through 'drop tcp dport 8080'"
  timeout $((20 * SLOW)) ip netns exec $ns busybox wget -q -O /dev/null "http://$GIP:8081/blob" ||
    die "'drop tcp dport 8080' stopped a fetch from port 8081 too"
  in_ns busybox ping -c 1 -W 5 $GIP > /dev/null || die "'drop tcp dport 8080' stopped ping"
  n=$(rule_packets "$id")
  [ "${n:-0}" -ge 1 ] || die "'drop tcp dport 8080' counted no packets"
  $PVCTL vfr del "$id"
  echo "ok vfr: 'drop tcp dport 8080' (rule $id) stopped port 8080 only: $n packets"
}

inside() {
  local cfg rc ns tap tap1 i sum json t0 t1   # (pid, cpid, hpid: global, for the EXIT trap)
  refused "a bad mac" "is not a unicast" '"mac=01:16:3e:00:00:01"'
  refused "an unknown key" "unknown key 'bridge'" '"bridge=xenbr0"'
  # (bad addresses and rates: test_xen_netif; each pvmon run here costs seconds under TCG)
  refused "five vifs" "more than 4" '"", "", "", "", ""'
  ns=pvlabnet$$
  ip netns add $ns || skip "cannot make a network namespace (ip netns add)"
  trap 'kill $pid $hpid $cpid 2>/dev/null; wait $pid 2>/dev/null; ip netns del '$ns' 2>/dev/null; rm -rf "$TMP"' EXIT
  in_ns() { ip netns exec $ns "$@"; }
  in_ns ip link set lo up
  in_ns sh -c "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6"
  mkdir -p "$TMP/www"
  head -c 1048576 /dev/urandom > "$TMP/www/blob"
  sum=$(md5sum < "$TMP/www/blob" | cut -d' ' -f1)
  in_ns busybox httpd -f -p 8000 -h "$TMP/www" & hpid=$!
  cfg=$(linux_cfg net "ramdisk = \"$(initramfs)\"" "vif = [ \"mac=$MAC,ip=$GIP\", \"ip=$GIP2,rate=200KB/s\" ]")
  # A quiet kernel: every console line is a hypercall, costly under TCG.
  sed -i "s/^cmdline = .*/cmdline = \"console=hvc0 quiet loglevel=3 pvlabnet=$GIP,$HIP pvlabnet2=$GIP2\"/" "$cfg"
  # Under `pvmon daemon` (pvctl list reads its counters while the guest
  # runs), in the namespace; the guest's console through pvctl console.
  export PVLAB_SOCKET=$TMP/pvmon.sock
  in_ns $PVMON daemon > "$TMP/daemon.log" 2>&1 & pid=$!
  for i in $(seq 50); do [ -S "$PVLAB_SOCKET" ] && break; sleep 0.1; done
  $PVCTL create "$cfg" || { cat "$TMP/daemon.log"; die "pvctl create of the Linux domain with a vif failed"; }
  $PVCTL console net > "$TMP/out" 2>&1 & cpid=$!
  for i in $(seq 100); do
    tap=$(in_ns ls /sys/class/net | grep '^pvif[0-9]*\.0$') && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$tap" ] || { cat "$TMP/out"; die "no TAP device pvif<dom>.0 in pvmon's namespace"; }
  tap1=${tap%.0}.1
  in_ns ip addr add $HIP/24 dev "$tap" && in_ns ip addr add $HIP2/24 dev "$tap1" ||
    die "ip addr add $HIP on $tap, $HIP2 on $tap1"
  echo "ok the VIFs' host side: $tap, $tap1 ($(in_ns cat /sys/class/net/$tap/operstate))"
  for i in $(seq $((1200 * SLOW))); do
    grep -q '^init: \(waiting on port 5003\|FAIL\)' "$TMP/out" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.2
  done
  grep '^init: \|^pvmon: \|^.*\(BUG\|Oops\|panic\|netfront\)' "$TMP/out"
  ! grep -q '^init: FAIL' "$TMP/out" || die "a check of /init failed"
  grep -q '^init: waiting on port 5003' "$TMP/out" || { tail -30 "$TMP/out"; die "/init never got to port 5003"; }
  XENSTORED_PATH=$TMP/xenstored.sock xenstore-ls -f /local/domain/0/backend/vif > "$TMP/ls" 2>&1 || true
  [ "$(grep -c "/state = \"4\"" "$TMP/ls")" = 2 ] && grep -q "/mac = \"$MAC\"" "$TMP/ls" ||
    { cat "$TMP/ls"; die "xenstore-ls: not both back ends Connected (4), or no mac $MAC"; }
  echo "ok xenstore-ls through pvmon's socket: both back ends Connected, mac $MAC"
  grep -q "^init: eth0 $MAC up with $GIP" "$TMP/out" || die "eth0 did not come up with $MAC and $GIP"
  grep -q "^init: fetched 1048576 bytes: md5 $sum" "$TMP/out" || die "the guest fetched other bytes than $sum"
  echo "ok guest to host: ping, and 1 MiB over TCP (md5 $sum)"
  in_ns busybox ping -c 3 -W 5 $GIP > "$TMP/ping" || { cat "$TMP/ping"; die "the host cannot ping the guest"; }
  in_ns busybox wget -q -O "$TMP/got" "http://$GIP:8080/blob" || die "the host cannot fetch the guest's file"
  sum=$(md5sum < "$TMP/got" | cut -d' ' -f1)
  grep -q "^init: serving 1048576 bytes: md5 $sum" "$TMP/out" ||
    die "the host fetched other bytes ($(wc -c < "$TMP/got") bytes, md5 $sum) than the guest serves"
  echo "ok host to guest: ping, and 1 MiB over TCP (md5 $sum)"
  # Nothing moves now (the guest waits in nc -l, IPv6 is off on both
  # sides): what pvmon sent the host is what the TAPs received, and the
  # other way.
  sleep 0.5
  json=$($PVCTL list --json)
  st() { echo $(( $(in_ns cat /sys/class/net/$tap/statistics/$1) + $(in_ns cat /sys/class/net/$tap1/statistics/$1) )); }
  field() { echo "$json" | tr '{' '\n' | grep '"name":"net"' | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
  for pair in net_tx_packets:rx_packets net_tx_bytes:rx_bytes net_rx_packets:tx_packets net_rx_bytes:tx_bytes; do
    local a=${pair%:*} b=${pair#*:} va vb
    va=$(field $a); vb=$(st $b)
    [ -n "$va" ] && [ "$va" = "$vb" ] || die "pvctl list's $a is '$va', the TAP's $b $vb"
    echo "ok pvctl list $a = TAP $b = $va"
  done
  [ "$(field net_tx_bytes)" -gt 1048576 ] && [ "$(field net_rx_bytes)" -gt 1048576 ] || die "less than 1 MiB each way counted"
  # Under load (1 MiB each way): packets per event, each way.
  awk -v rp="$(field net_rx_packets)" -v re="$(field net_rx_events)" -v tp="$(field net_tx_packets)" \
      -v tk="$(field net_tx_kicks)" 'BEGIN { printf "measured: rx %d packets in %d events to the guest (%.1f a event); " \
      "tx %d packets for %d kicks from the guest (%.1f a kick); the issue'"'"'s budget: 8 received packets an event\n",
      rp, re, re ? rp / re : 0, tp, tk, tk ? tp / tk : 0 }'
  # Batching at all (not the budget: under TCG 8.9 to 19.7 were measured):
  # fewer than 2 received packets an event would be an event a packet.
  [ $(( $(field net_rx_packets) )) -ge $(( 2 * $(field net_rx_events) )) ] ||
    die "fewer than 2 received packets an event: the receive ring's responses are not batched"
  # The rate limit: vif 1 (rate=200KB/s) defers the guest's packets,
  # vif 0 (none) never did.
  [ "$(field net_deferred)" = 0 ] || die "$(field net_deferred) packets deferred on a VIF without a rate"
  t0=$(date +%s%N)
  timeout $((60 * SLOW)) ip netns exec $ns busybox wget -q -O "$TMP/small" "http://$GIP2:8080/small" || die "no fetch over vif 1"
  t1=$(date +%s%N)
  json=$($PVCTL list --json)
  [ "$(field net_deferred)" -gt 0 ] || die "256 KiB over vif 1 (rate=200KB/s) and no packet deferred"
  # (no <(...): the nested host's /dev has no /dev/fd)
  [ "$(md5sum < "$TMP/small")" = "$(head -c 262144 "$TMP/got" | md5sum)" ] || die "vif 1 carried other bytes"
  echo "ok rate=200KB/s on vif 1: $(field net_deferred) packets deferred; 256 KiB in $(( (t1 - t0) / 1000000 )) ms"
  vfr_checks
  hotplug_checks
  echo x | timeout 20 ip netns exec $ns busybox nc $GIP 5003 || echo "nc to the guest's port 5003: status $?"
  for i in $(seq $((300 * SLOW))); do kill -0 $cpid 2>/dev/null || break; sleep 0.2; done
  kill -0 $cpid 2>/dev/null && { tail -20 "$TMP/out"; cat "$TMP/daemon.log"; $PVCTL list; die "the domain did not end within 60 s"; }
  wait $cpid; rc=$?
  grep -q '^init: done' "$TMP/out" || { tail -20 "$TMP/out"; die "/init never said done"; }
  [ $rc = 0 ] || { cat "$TMP/daemon.log"; die "pvctl console: status $rc, expected 0 (the domain powered off)"; }
  ! grep '^pvmon: ' "$TMP/daemon.log" | grep -v 'daemon ready' || die "pvmon complained (above)"
  echo "ok the domain powered off; pvmon said nothing of its vif"
}

[ -x "$PVMON" ] || die "pvmon not built"
command -v xenstore-ls >/dev/null || skip "no xenstore-ls (Debian package xenstore-utils)"
command -v ip >/dev/null || skip "no ip (Debian package iproute2)"
need_busybox
need_debian_kernel
if [ "${1:-}" = --inside ]; then
  [ -c /dev/net/tun ] || skip "no /dev/net/tun in the nested host"
  inside
  echo PASS
  exit 0
fi
in_nested_svm "the network" --timeout 560 --mem 2048
echo PASS
