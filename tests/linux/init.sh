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
i=0
while [ $i -lt 200 ]; do /bin/true || fail "process $i"; i=$((i + 1)); done
echo "init: 200 processes forked and exec'd"
free0=$(awk '/^MemFree/ { print $2 }' /proc/meminfo)
dd if=/dev/zero of=/dev/null bs=64M count=1 2>&1 || fail "64 MiB of anonymous memory"
free1=$(awk '/^MemFree/ { print $2 }' /proc/meminfo)
echo "init: 64 MiB touched and freed (MemFree ${free0} kB before, ${free1} kB after)"
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
