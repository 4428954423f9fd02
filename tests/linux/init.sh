#!/bin/busybox sh
# /init of the initramfs tests/integration/linux_boot.sh gives Debian's
# kernel as a Linux PV domain: each check prints "init: ..." on hvc0, the
# test reads them; ends with poweroff -f (pvmon's exit 0), or with
# "init: FAIL ..." and a crash (exit 125) where a check fails. With
# pvlabinput=1 on the command line it reads a line of console input instead;
# with pvlabsmp=1 (vcpus = 2) it checks both CPUs instead, with pvlabdisk=1
# the virtual block devices, with pvlabnet=GUEST_IP,HOST_IP the network.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
mount -t sysfs sysfs /sys
fail() { echo "init: FAIL $*"; echo c > /proc/sysrq-trigger; sleep 5; exit 1; }
echo "init: uname $(uname -sr)"
# pvlabinput=1 on the kernel's command line (an environment variable of
# init's): read one line of console input (pvctl input) and power off.
if [ -n "${pvlabinput:-}" ]; then
  echo "init: ready for input"
  read -r line || fail "no line of input"
  echo "init: read '$line'"
  # pvlabtarget=KB: Domain 0 set the balloon's target in xenstore
  # (pvctl mem-set) before the line came: the driver follows it.
  if [ -n "${pvlabtarget:-}" ]; then
    b=/sys/devices/system/xen_memory/xen_memory0
    i=0
    while [ "$(cat $b/target_kb)" != "$pvlabtarget" ] || [ "$(cat $b/info/current_kb)" -gt "$pvlabtarget" ]; do
      i=$((i + 1)); [ $i -lt 200 ] || fail "balloon: target $(cat $b/target_kb) kB, current $(cat $b/info/current_kb) kB, wanted $pvlabtarget kB"
      sleep 0.1
    done
    echo "init: balloon from xenstore: target $(cat $b/target_kb) kB, current $(cat $b/info/current_kb) kB, MemTotal $(awk '/MemTotal/ { print $2 }' /proc/meminfo) kB"
  fi
  poweroff -f
fi
# pvlabsmp=1 (a domain with vcpus = 2): both CPUs online, a process
# pinned to each runs there, busy loops on both advance both CPUs'
# counters in /proc/stat, and fork+exec, memory and a pipe run across
# them; then power off.
if [ -n "${pvlabsmp:-}" ]; then
  n=$(grep -c ^processor /proc/cpuinfo)
  [ "$n" = 2 ] || fail "$n CPUs in /proc/cpuinfo, expected 2"
  echo "init: $n CPUs in /proc/cpuinfo, online $(cat /sys/devices/system/cpu/online)"
  for c in 0 1; do
    on=$(taskset -c $c cut -d' ' -f39 /proc/self/stat) || fail "taskset -c $c"
    [ "$on" = "$c" ] || fail "a process pinned to CPU $c ran on CPU '$on'"
  done
  echo "init: processes pinned to CPU 0 and CPU 1 ran there"
  ticks() { awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 }' /proc/stat; }
  a0=$(ticks 0); a1=$(ticks 1)
  for c in 0 1; do
    taskset -c $c sh -c 'i=0; while [ $i -lt 5000 ]; do i=$((i + 1)); done' &
  done
  wait
  b0=$(ticks 0); b1=$(ticks 1)
  [ "$b0" -gt "$a0" ] && [ "$b1" -gt "$a1" ] || fail "busy loops on both CPUs: cpu0 $a0 -> $b0, cpu1 $a1 -> $b1 ticks"
  echo "init: busy loops on both CPUs: cpu0 $a0 -> $b0, cpu1 $a1 -> $b1 ticks"
  i=0
  while [ $i -lt 100 ]; do taskset -c $((i % 2)) /bin/true || fail "process $i"; i=$((i + 1)); done
  echo "init: 100 processes forked and exec'd on CPUs 0 and 1"
  taskset -c 1 dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null || fail "64 MiB on CPU 1"
  n=$(taskset -c 0 seq 1 20000 | taskset -c 1 wc -l)
  [ "$n" = 20000 ] || fail "a pipe from CPU 0 to CPU 1 carried $n lines of 20000"
  echo "init: 64 MiB touched on CPU 1; a pipe from CPU 0 to CPU 1 carried 20000 lines"
  echo "init: done"
  poweroff -f
fi
# pvlabdisk=1 (a domain with disk = [ xvda writable, xvdb read-only ]):
# Linux's own xen-blkfront finds both through xenstore, ext4 mounts
# xvda and reads the file the test put there, writes one back and syncs
# it; xvdb mounts read-only and refuses a write; then power off.
if [ -n "${pvlabdisk:-}" ]; then
  modprobe xen-blkfront || fail "modprobe xen-blkfront"
  modprobe crc32c_generic && modprobe ext4 || fail "modprobe crc32c_generic ext4"
  i=0
  while [ ! -b /dev/xvda ] || [ ! -b /dev/xvdb ]; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "no /dev/xvda and /dev/xvdb after 10 s: $(ls /dev | grep xvd | tr '\n' ' ')"
    sleep 0.1
  done
  echo "init: xvda $(cat /sys/block/xvda/size) sectors, xvdb $(cat /sys/block/xvdb/size) sectors ro=$(cat /sys/block/xvdb/ro)"
  mkdir -p /mnt /ro
  mount -t ext4 /dev/xvda /mnt || fail "mount xvda"
  echo "init: xvda mounted: $(cat /mnt/hello.txt)"
  echo "written by Linux PV $(uname -r)" > /mnt/out.txt
  dd if=/dev/urandom of=/mnt/big bs=1M count=8 2>/dev/null || fail "8 MiB onto xvda"
  sum=$(md5sum /mnt/big | cut -d' ' -f1)
  sync
  echo 3 > /proc/sys/vm/drop_caches
  [ "$(md5sum /mnt/big | cut -d' ' -f1)" = "$sum" ] || fail "8 MiB read back from xvda differ"
  echo "init: 8 MiB written, synced, read back: md5 $sum"
  umount /mnt || fail "umount xvda"
  mount -t ext4 -o ro /dev/xvdb /ro || fail "mount xvdb read-only"
  echo "init: xvdb mounted read-only: $(cat /ro/hello.txt)"
  ! dd if=/dev/zero of=/dev/xvdb bs=4k count=1 2>/dev/null || fail "a write to read-only xvdb went through"
  echo "init: a write to xvdb refused"
  umount /ro
  # pvlabqd=1: once Domain 0 sends a line (it counts pvmon's exits
  # around it), 4096 reads of 4 KiB from xvda with 32 in flight.
  if [ -n "${pvlabqd:-}" ]; then
    # blk-mq's runs of xvda's hardware queue (debugfs), read outside
    # the counted burst: how many requests one dispatch hands blkfront
    mount -t debugfs none /sys/kernel/debug 2>/dev/null
    runs=/sys/kernel/debug/block/xvda/hctx0/run
    r0=$(cat $runs 2>/dev/null)
    q=/sys/block/xvda/queue
    echo "init: xvda queue: scheduler $(cat $q/scheduler) nr_requests $(cat $q/nr_requests) nomerges $(cat $q/nomerges)"
    echo "init: qd32 ready"
    read -r line || fail "no line to start the reads"
    out=$(pvlm --qd /dev/xvda 32 4096) || fail "pvlm --qd"
    echo "init: $out"
    r1=$(cat $runs 2>/dev/null)
    [ -z "$r0" ] || [ -z "$r1" ] || echo "init: qd32 dispatch: $((r1 - r0)) runs of xvda's hardware queue for 4096 reads"
  fi
  # pvlabhotplug=1: Domain 0 attaches xvdc (pvctl block-attach) once
  # asked, then detaches xvdb and xvdc: xenbus finds the new device, and
  # lets both go; /init ends when Domain 0 sends a line.
  if [ -n "${pvlabhotplug:-}" ]; then
    echo "init: waiting for xvdc"
    i=0
    while [ ! -b /dev/xvdc ]; do
      i=$((i + 1)); [ $i -lt 600 ] || fail "no /dev/xvdc 60 s after asking"
      sleep 0.1
    done
    mount -t ext4 -o ro /dev/xvdc /ro || fail "mount xvdc"
    echo "init: xvdc attached, mounted: $(cat /ro/hello.txt)"
    umount /ro
    echo "init: waiting for xvdb and xvdc to go"
    i=0
    while [ -e /sys/block/xvdb ] || [ -e /sys/block/xvdc ]; do
      i=$((i + 1)); [ $i -lt 600 ] || fail "xvdb or xvdc still here 60 s after asking"
      sleep 0.1
    done
    echo "init: xvdb and xvdc detached: $(ls /sys/block | grep xvd | tr '\n' ' ')"
    # Until Domain 0 has looked at xenstore: the domain's tree goes with it.
    read -r line || fail "no line to end"
  fi
  echo "init: done"
  poweroff -f
fi
# pvlabnet=GUEST_IP,HOST_IP (a domain with one vif): Linux's own
# xen-netfront finds it through xenstore; eth0 comes up with GUEST_IP,
# pings the host, fetches 1 MiB from the host's httpd and serves 1 MiB
# of its own on ports 8080 and 8081 for the host to fetch (and the VFR's
# rules to block), then waits on port 5003 (no traffic while it waits)
# until the host, done with its checks, connects there; then power off.
if [ -n "${pvlabnet:-}" ]; then
  gip=${pvlabnet%,*} hip=${pvlabnet#*,}
  modprobe xen-netfront || fail "modprobe xen-netfront"
  i=0
  while [ ! -e /sys/class/net/eth0 ]; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "no eth0 after 10 s: $(ls /sys/class/net | tr '\n' ' ')"
    sleep 0.1
  done
  echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6   # no router solicitations: counted traffic is the test's
  echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
  ip link set lo up
  ip addr add "$gip/24" dev eth0 && ip link set eth0 up || fail "eth0 up with $gip"
  echo "init: eth0 $(cat /sys/class/net/eth0/address) up with $gip"
  # pvlabnet2=IP: a second vif (the rate-limited one) as eth1
  if [ -n "${pvlabnet2:-}" ]; then
    i=0
    while [ ! -e /sys/class/net/eth1 ]; do
      i=$((i + 1)); [ $i -lt 100 ] || fail "no eth1 after 10 s"
      sleep 0.1
    done
    ip addr add "$pvlabnet2/24" dev eth1 && ip link set eth1 up || fail "eth1 up with $pvlabnet2"
    echo "init: eth1 $(cat /sys/class/net/eth1/address) up with $pvlabnet2"
  fi
  n=$(ping -c 3 -W 5 "$hip" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
  [ "$n" = 3 ] || fail "ping $hip: ${n:-no} replies of 3"
  echo "init: ping $hip: 3 of 3 replies"
  mkdir -p /tmp
  out=$(wget -O /tmp/in "http://$hip:8000/blob" 2>&1) || fail "wget from the host's httpd: $(echo "$out" | tail -1)"
  echo "init: fetched $(wc -c < /tmp/in) bytes: md5 $(md5sum < /tmp/in | cut -d' ' -f1)"
  mkdir -p /www
  dd if=/dev/urandom of=/www/blob bs=64k count=16 2>/dev/null
  head -c 262144 /www/blob > /www/small
  httpd -p 8080 -h /www && httpd -p 8081 -h /www || fail "httpd on ports 8080 and 8081"
  echo "init: serving 1048576 bytes: md5 $(md5sum < /www/blob | cut -d' ' -f1)"
  echo "init: waiting on port 5003"
  nc -l -p 5003 > /dev/null || fail "nc -l -p 5003"
  echo "init: done"
  poweroff -f
fi
# pvlabforks=N on the command line: N processes instead of 200 (the
# shadow-paging run, where each costs more).
forks=${pvlabforks:-200}
i=0
while [ $i -lt $forks ]; do /bin/true || fail "process $i"; i=$((i + 1)); done
echo "init: $forks processes forked and exec'd"
free0=$(awk '/^MemFree/ { print $2 }' /proc/meminfo)
dd if=/dev/zero of=/dev/null bs=64M count=1 2>&1 || fail "64 MiB of anonymous memory"
free1=$(awk '/^MemFree/ { print $2 }' /proc/meminfo)
echo "init: 64 MiB touched and freed (MemFree ${free0} kB before, ${free1} kB after)"
# The balloon: Linux's own driver (its sysfs target, as xenstore's
# memory/target would set it) gives 32 MiB back to pvmon and takes it again.
bal=/sys/devices/system/xen_memory/xen_memory0
[ -w $bal/target_kb ] || fail "no balloon target in sysfs"
balloon_to() {  # balloon_to KB: set the target, wait until current_kb is there
  echo "$1" > $bal/target_kb
  k=0
  while [ "$(cat $bal/info/current_kb)" != "$1" ]; do
    k=$((k + 1)); [ $k -lt 600 ] || fail "balloon stuck at $(cat $bal/info/current_kb) kB, target $1 kB"
    sleep 0.1
  done
}
cur0=$(cat $bal/info/current_kb)
tot0=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)
balloon_to $((cur0 - 32768))
tot1=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)
[ $((tot0 - tot1)) = 32768 ] || fail "MemTotal went from $tot0 to $tot1 kB, not 32 MiB less"
echo "init: balloon down 32 MiB: current ${cur0} kB -> $(cat $bal/info/current_kb) kB, MemTotal ${tot0} -> ${tot1} kB"
balloon_to "$cur0"
tot2=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)
dd if=/dev/zero of=/dev/null bs=64M count=1 2>&1 || fail "64 MiB again after the balloon"
echo "init: balloon back up: current $(cat $bal/info/current_kb) kB, MemTotal ${tot2} kB"
n=$(seq 1 20000 | wc -l)
[ "$n" = 20000 ] || fail "a pipe carried $n lines of 20000"
n=$(yes pvlab | head -c 3000000 | wc -c)
[ "$n" = 3000000 ] || fail "a pipe carried $n bytes of 3000000"
echo "init: pipes carried 20000 lines and 3000000 bytes"
echo "init: sleep 3 from $(cut -d' ' -f1 /proc/uptime)"
sleep 3
echo "init: slept until $(cut -d' ' -f1 /proc/uptime)"
echo "init: done"
poweroff -f
