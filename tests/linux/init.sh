#!/bin/busybox sh
# /init of the initramfs tests/integration/linux_boot.sh gives Debian's
# kernel as a Linux PV domain: each check prints "init: ..." on hvc0, the
# test reads them; ends with poweroff -f (pvmon's exit 0), or with
# "init: FAIL ..." and a crash (exit 125) where a check fails. With
# pvlabinput=1 on the command line it reads a line of console input instead.
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
