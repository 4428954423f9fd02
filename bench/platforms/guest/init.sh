#!/bin/sh
# PID 1 of the full-virt and uml guests (installed as /sbin/pvlab-init):
# mounts the kernel file systems, runs the one workload the kernel command
# line names (pvlab.workload=, pvlab.quick=1, pvlab.scale=, pvlab.instances=)
# with /pvlab/workload.sh (pvlab.net=ADDR/PREFIX: eth0, a linuxpv VIF, up
# with that address first; httperf-vif: its server side), prints its lines on the console prefixed
# "pvlab: " (run.sh picks them out of the kernel's messages), then powers
# off. No services: the guest exists for this one run.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin TZ=UTC HOME=/root
mount -t proc proc /proc
mount -t sysfs sys /sys
grep -q ' /dev ' /proc/mounts || mount -t devtmpfs dev /dev
mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm     # PostgreSQL's dynamic shared memory
mount -t tmpfs -o mode=1777 tmp /tmp
mount -o remount,rw /
hostname pvlab-guest
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up

wl="" quick="" scale=1 inst=1 net="" role=""
for w in $(cat /proc/cmdline); do
  case $w in
    pvlab.workload=*) wl=${w#*=} ;;
    pvlab.quick=1) quick=--quick ;;
    pvlab.scale=*) scale=${w#*=} ;;
    pvlab.instances=*) inst=${w#*=} ;;
    pvlab.net=*) net=${w#*=} ;;
  esac
done
# the front end (xen-netfront) finds its back end through xenstore
if [ -n "$net" ]; then
  n=0
  while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
  if ! ip addr add "$net" dev eth0 || ! ip link set eth0 up; then
    echo "pvlab: end status=1 (cannot bring eth0 up with $net: $(ls /sys/class/net | tr '\n' ' '))"
    poweroff -f
  fi
fi
[ "$wl" = httperf-vif ] && role=--serve
echo "pvlab: detail guest_kernel=$(uname -r)"
echo "pvlab: detail guest_uptime_at_init_s=$(cut -d' ' -f1 /proc/uptime)"
echo "pvlab: detail guest_mem_mib=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)"
if [ -z "$wl" ]; then
  echo "pvlab: end status=2 (no pvlab.workload= on the kernel command line)"
else
  # The contract lines come back prefixed; the workload's progress
  # (stderr) goes to the console as it is.
  PVLAB_BIN=/pvlab/bin PVLAB_TMP=/var/tmp PVLAB_PGTEMPLATE=/var/lib/pvlab/pgdata \
    /pvlab/workload.sh "$wl" $quick $role --scale "$scale" --instances "$inst" >/tmp/out
  rc=$?
  sed 's/^/pvlab: /' /tmp/out
  echo "pvlab: end status=$rc"
fi
sync
poweroff -f
