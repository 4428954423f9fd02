#!/bin/busybox sh
# /init of the full-virt guest's initramfs: the Debian kernel has virtio
# and ext4 as modules, so load them (the list in /modules/order, made by
# image.sh from modules.dep), mount the root image from /dev/vda and hand
# over to /sbin/pvlab-init. pvlab.probe=1 stops right after the modules
# (image.sh's KVM probe: did the kernel get this far at all?).
/bin/busybox mkdir -p /proc /dev /newroot
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
n=0
while [ ! -b /dev/vda ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
if ! mount -t ext4 /dev/vda /newroot; then
  echo "pvlab: end status=1 (cannot mount the root image /dev/vda)"
  poweroff -f
fi
umount /proc
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/pvlab-init
