#!/bin/busybox sh
# /init of the guests' initramfs (fullvirt and linuxpv): the Debian kernel
# has its block drivers, ext4 and overlayfs as modules, so load them (the
# list in /modules/order, made by image.sh from modules.dep), mount the
# root image and hand over to /sbin/pvlab-init. The kernel command line
# says how: pvlab.root=DEV (default vda: fullvirt's virtio disk), and
# pvlab.overlay=DEV or tmpfs (linuxpv: the image is a read-only xvda shared
# by every run, so it is mounted read-only under an overlay whose upper
# and work directories are on DEV, the run's own scratch ext4 disk, or on
# a tmpfs in guest memory). pvlab.probe=1 stops right after the modules
# (image.sh's KVM probe: did the kernel get this far at all?).
/bin/busybox mkdir -p /proc /dev /newroot /lower /rw
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
export PATH=/bin
busybox --install -s /bin
for m in $(cat /modules/order); do
  insmod "/modules/$m" || echo "pvlab-initramfs: insmod $m failed"
done
if grep -q 'pvlab.probe=1' /proc/cmdline; then
  echo "pvlab: probe ok $(cut -d' ' -f1 /proc/uptime)"
  poweroff -f
fi
root=vda overlay=""
for w in $(cat /proc/cmdline); do
  case $w in
    pvlab.root=*) root=${w#*=} ;;
    pvlab.overlay=*) overlay=${w#*=} ;;
  esac
done
# a paravirtual front end finds its back end through xenstore: give it time
wait_dev() {
  n=0
  while [ ! -b "/dev/$1" ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
}
wait_dev "$root"
if [ -z "$overlay" ]; then
  if ! mount -t ext4 "/dev/$root" /newroot; then
    echo "pvlab: end status=1 (cannot mount the root image /dev/$root)"
    poweroff -f
  fi
else
  if ! mount -t ext4 -o ro "/dev/$root" /lower; then
    echo "pvlab: end status=1 (cannot mount the root image /dev/$root read-only)"
    poweroff -f
  fi
  if [ "$overlay" = tmpfs ]; then
    mount -t tmpfs -o mode=755 rw /rw
  else
    wait_dev "$overlay"
    mount -t ext4 "/dev/$overlay" /rw
  fi && mkdir -p /rw/upper /rw/work &&
    mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || {
    echo "pvlab: end status=1 (cannot put an overlay on $overlay over /dev/$root)"
    poweroff -f
  }
fi
umount /proc
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/pvlab-init
