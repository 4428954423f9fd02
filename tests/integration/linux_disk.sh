# Debian's kernel as a Linux PV domain with two virtual block devices
# (disk = [ "file:A,xvda,w", "file:B,xvdb,r" ]): pvmon's block back end
# (xen_blkback.c) and Linux's own xen-blkfront meet through xenstore by
# Xen's state machine; /init (tests/linux/init.sh, pvlabdisk=1) mounts
# the ext4 image on xvda, reads the file put there, writes one back and
# 8 MiB more, syncs and reads them back, mounts xvdb read-only and has
# a write refused. The host then reads what the guest wrote from the
# image file itself (debugfs). Also: xenstore-ls through pvmon's socket
# shows both devices Connected (4) while the domain runs, and bad disk
# lines are refused in one line. Runs in the nested AMD-V host wherever
# this host is (Linux PV needs hardware virtualization: pvmon info).
# timeout: 600
. tests/lib.sh
. tests/linux/lib.sh

refused() { linux_refused "$1" "$2" "disk = [ $3 ]"; }

inside() {
  local cfg rc sum
  mkdir -p "$TMP/fs"
  echo "hello from the host" > "$TMP/fs/hello.txt"
  mkfs.ext4 -q -F -d "$TMP/fs" "$TMP/a.img" 32M || die "mkfs.ext4"
  echo "the read-only disk" > "$TMP/fs/hello.txt"
  mkfs.ext4 -q -F -d "$TMP/fs" "$TMP/b.img" 16M || die "mkfs.ext4"
  refused "a missing file" "no-such.img" "\"file:$TMP/no-such.img,xvda,w\""
  refused "a bad device name" "xvda..xvdp" "\"file:$TMP/a.img,sda,w\""
  refused "a bad mode" "is not w or r" "\"file:$TMP/a.img,xvda,x\""
  refused "one device twice" "given twice" "\"file:$TMP/a.img,xvda,w\", \"file:$TMP/b.img,xvda,r\""
  cfg=$(linux_cfg disk "ramdisk = \"$(initramfs)\"" "disk = [ \"file:$TMP/a.img,xvda,w\", \"file:$TMP/b.img,xvdb,r\" ]")
  sed -i 's/^cmdline = "\(.*\)"$/cmdline = "\1 pvlabdisk=1"/' "$cfg"
  export PVLAB_SOCKET=$TMP/pvmon.sock
  timeout 500 $PVMON --stats --xenstore "$TMP/xs.sock" run "$cfg" > "$TMP/out" 2>&1 & pid=$!
  # While it runs: both devices Connected, seen through pvmon's xenstore socket.
  for i in $(seq 600); do
    grep -q '^\[disk\] init: xvda mounted' "$TMP/out" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.5
  done
  XENSTORED_PATH=$TMP/xs.sock xenstore-ls -f /local/domain/0/backend/vbd > "$TMP/ls" 2>&1 || true
  grep 'state\|sectors' "$TMP/ls"
  wait $pid; rc=$?
  grep '^\[disk\] init: \|^pvmon: \|^\[disk\] .*\(BUG\|Oops\|panic\|blkfront\|xvd\)' "$TMP/out"
  ! grep -q '^\[disk\] init: FAIL' "$TMP/out" || die "a check of /init failed"
  for want in 'init: xvda 65536 sectors, xvdb 32768 sectors ro=1' 'init: xvda mounted: hello from the host' \
              'init: 8 MiB written, synced, read back' 'init: xvdb mounted read-only: the read-only disk' \
              'init: a write to xvdb refused' 'init: done'; do
    grep -q "^\[disk\] $want" "$TMP/out" || { tail -30 "$TMP/out"; die "/init never said '$want'"; }
  done
  [ $rc = 0 ] || die "pvmon exit status $rc, expected 0 (poweroff -f)"
  [ "$(grep -c '/state = "4"' "$TMP/ls")" = 2 ] || { cat "$TMP/ls"; die "xenstore-ls: not both back ends Connected (4)"; }
  echo "ok xenstore-ls through pvmon's socket: both back ends Connected"
  debugfs -R "cat /out.txt" "$TMP/a.img" 2>/dev/null | grep -q '^written by Linux PV 6\.1' ||
    die "the host's image lacks what the guest wrote: $(debugfs -R 'cat /out.txt' "$TMP/a.img" 2>&1 | head -3)"
  sum=$(debugfs -R "cat /big" "$TMP/a.img" 2>/dev/null | md5sum | cut -d' ' -f1)
  grep -q "init: 8 MiB written, synced, read back: md5 $sum" "$TMP/out" || die "the host reads other bytes of /big ($sum)"
  echo "ok the host's image holds the guest's file and its 8 MiB (md5 $sum)"
  grep '^pvmon: domain disk' "$TMP/out" | sed -n 's/.*\(; blk: [^;]*\).*/\1/p'
  # The L1 is Debian's kernel: io_uring is there, so the back end uses it.
  grep -q '^pvmon: domain disk .*; blk: requests [1-9][0-9]* .*errors 0, bad grants 0.* I/O by io_uring' "$TMP/out" ||
    die "--stats: not every request served by io_uring without error"
}

[ -x "$PVMON" ] || die "pvmon not built"
command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null || skip "no mkfs.ext4/debugfs (Debian package e2fsprogs)"
command -v xenstore-ls >/dev/null || skip "no xenstore-ls (Debian package xenstore-utils)"
need_busybox
need_debian_kernel
if [ "${1:-}" = --inside ]; then
  inside
  echo PASS
  exit 0
fi
in_nested_svm "the disks" --timeout 560 --mem 2048
echo PASS
