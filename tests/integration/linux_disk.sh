# Debian's kernel as a Linux PV domain with two virtual block devices
# (disk = [ "file:A,xvda,w", "file:B,xvdb,r" ]): pvmon's block back end
# (xen_blkback.c) and Linux's own xen-blkfront meet through xenstore by
# Xen's state machine; /init (tests/linux/init.sh, pvlabdisk=1) mounts
# the ext4 image on xvda, reads the file put there, writes one back and
# 8 MiB more, syncs and reads them back, mounts xvdb read-only and has
# a write refused. The host then reads what the guest wrote from the
# image file itself (debugfs). Also: xenstore-ls through pvmon's socket
# shows both devices Connected (4) while the domain runs, bad disk lines
# are refused in one line, and under `pvmon daemon` a third disk comes
# with `pvctl block-attach` and xvdb and xvdc go with `pvctl block-detach`
# (Xen's hot-plug through xenstore: /init sees them come and go). Runs in the nested AMD-V host wherever
# this host is (Linux PV needs hardware virtualization: pvmon info).
# timeout: 600
# lane: 2
. tests/lib.sh
. tests/linux/lib.sh

refused() { linux_refused "$1" "$2" "disk = [ $3 ]"; }

counters() {  # counters NAME KEY...: the domain's counters, one line, in the keys' order
  local name=$1 line k out=""; shift
  line=$($PVCTL list --json | tr '{' '\n' | grep "\"name\":\"$name\"")
  for k in "$@"; do out="$out $(echo "$line" | sed -n "s/.*\"$k\":\([0-9]*\).*/\1/p")"; done
  echo $out
}

attach_refused() {  # attach_refused DOMAIN SPEC EXPECTED: one line naming EXPECTED, non-zero exit
  ! $PVCTL block-attach "$1" "$2" 2>"$TMP/err" >/dev/null || die "block-attach $1 $2 succeeded"
  [ "$(wc -l < "$TMP/err")" = 1 ] && grep -q "$3" "$TMP/err" ||
    { cat "$TMP/err"; tail -25 "$TMP/daemon.log"; $PVCTL console --no-follow "$1" 2>/dev/null | tail -15
      die "block-attach $1 $2: not one line naming '$3'"; }
  echo "ok block-attach refused: $(cat "$TMP/err")"
}

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
  echo "a disk plugged in later" > "$TMP/fs/hello.txt"
  mkfs.ext4 -q -F -d "$TMP/fs" "$TMP/c.img" 16M || die "mkfs.ext4"
  cfg=$(linux_cfg disk "ramdisk = \"$(initramfs)\"" "disk = [ \"file:$TMP/a.img,xvda,w\", \"file:$TMP/b.img,xvdb,r\" ]")
  sed -i 's/^cmdline = "\(.*\)"$/cmdline = "\1 pvlabdisk=1 pvlabqd=1 pvlabhotplug=1"/' "$cfg"
  start_daemon --stats
  export XENSTORED_PATH=$TMP/xenstored.sock   # pvmon's: beside its control socket
  $PVCTL create "$cfg" || die "pvctl create failed"
  # The issue's budget: reads at queue depth 32 take at most one exit to
  # pvmon per 8 requests. Counted around /init's burst (pvmon's own
  # counters: KVM_RUN returns, the frontend's requests, the back end's
  # answer batches, events each way, and the stub's counts).
  console_says disk "init: qd32 ready" 500 || { $PVCTL console --no-follow disk | tail -20; die "/init never got to the reads"; }
  keys="vm_exits blk_requests hypercalls blk_batches blk_events blk_kicks upcalls bounces emulated kvm_halt_exits"
  c0=$(counters disk $keys) o0=$(stat -c %s "$TMP/daemon.log")
  $PVCTL input disk go || die "pvctl input failed"
  console_says disk "init: qd: depth 32" 120 || die "/init's reads did not finish"
  c1=$(counters disk $keys) o1=$(stat -c %s "$TMP/daemon.log")
  if [ -n "${PVLAB_XEN_TRACE:-}" ]; then   # what the exits were: pvmon's trace lines of the burst, by kind
    tail -c +$((o0 + 1)) "$TMP/daemon.log" | head -c $((o1 - o0)) > "$BUILD/test-logs/linux_disk.qd-trace"
    echo "the burst's trace lines: $BUILD/test-logs/linux_disk.qd-trace"
    awk '$1 == "pvmon" && $2 == "xen:" {
      k = $3; if (k == "hypercall") { split($4, a, "("); k = k " " a[1] } else if (k == "mmuext") k = k " cmd " $5
      else if (k == "exception") k = k " " $4; c[k]++ }
      END { for (k in c) printf "trace of the burst: %7d %s\n", c[k], k }' "$BUILD/test-logs/linux_disk.qd-trace" |
      sort -k5,5nr | head -30
  fi
  awk -v k="$keys" -v a="$c0" -v b="$c1" 'BEGIN {
    n = split(k, key); split(a, x); split(b, y)
    for (i = 1; i <= n; i++) d[key[i]] = y[i] - x[i]
    r = d["blk_requests"]
    if (r < 4096) { printf "4096 reads of 4 KiB made %d requests\n", r; exit 1 }
    e = d["vm_exits"]
    met = (e > 0 && r / e < 8) ? "NOT met" : "met"
    printf "queue depth 32: %d requests, %d exits to pvmon (%.3f a request; budget at most 0.125: %s), %d hypercalls (%.3f a request)\n",
           r, e, e / r, met, d["hypercalls"], d["hypercalls"] / r
    printf "queue depth 32: %.2f requests an answer batch (%d batches), events to the guest %.3f a request, kicks from it %.3f a request; upcalls %.3f, bounces %.3f, emulated %.3f a request\n",
           r / d["blk_batches"], d["blk_batches"], d["blk_events"] / r, d["blk_kicks"] / r, d["upcalls"] / r, d["bounces"] / r, d["emulated"] / r
    # What the design guarantees whatever the speed: req_event is set
    # again only once nothing is outstanding, so at most one kick per
    # answer batch (and one for the first request), and at most one event.
    if (d["blk_kicks"] > d["blk_batches"] + 1 || d["blk_events"] > d["blk_batches"]) {
      printf "more kicks (%d) or events (%d) than answer batches (%d) allow\n", d["blk_kicks"], d["blk_events"], d["blk_batches"]; exit 1 }
  }' || die "queue depth 32: counts"
  $PVCTL console --no-follow disk | tr -d "\r" | grep -a 'init: qd: depth 32' | tail -1
  console_says disk "init: waiting for xvdc" 500 || { $PVCTL console --no-follow disk | tail -20; die "/init never asked for xvdc"; }
  $PVCTL console --no-follow disk | tr -d "\r" | grep -a 'init: qd32 dispatch' | tail -1   # blk-mq's batches (debugfs)
  # While it runs: both devices Connected, seen through pvmon's xenstore socket.
  xenstore-ls -f /local/domain/0/backend/vbd > "$TMP/ls" 2>&1 || true
  grep 'state\|sectors' "$TMP/ls"
  # Hot-plug: xvdc attached; bad requests refused in one line each.
  $PVCTL block-attach disk "file:$TMP/c.img,xvdc,r" || die "pvctl block-attach failed"
  attach_refused disk "file:$TMP/c.img,xvdc,r" "given twice"
  attach_refused disk "file:$TMP/none.img,xvdd,r" "none.img"
  attach_refused disk "file:$TMP/c.img,hda,r" "xvda..xvdp"
  attach_refused pvnone "file:$TMP/c.img,xvdd,r" "pvnone"
  ! $PVCTL block-detach disk xvdp 2>"$TMP/err" && grep -q "has no disk xvdp" "$TMP/err" || die "block-detach of a missing disk: $(cat "$TMP/err")"
  console_says disk "init: waiting for xvdb and xvdc to go" 120 || { $PVCTL console --no-follow disk | tail; die "xvdc never came to /init"; }
  $PVCTL block-detach disk xvdc && $PVCTL block-detach disk xvdb || die "pvctl block-detach failed"
  id=$(json_field disk domid)
  [ "$(xenstore-list /local/domain/0/backend/vbd/$id | tr '\n' ' ')" = "51712 " ] &&
    [ "$(xenstore-list /local/domain/$id/device/vbd | tr '\n' ' ')" = "51712 " ] ||
    { xenstore-ls -f /local/domain; tail -20 "$TMP/daemon.log"; $PVCTL console --no-follow disk | tail -20
      die "xenstore still has nodes of a detached disk"; }
  echo "ok block-detach xvdc, xvdb: their nodes gone from xenstore"
  console_says disk "init: xvdb and xvdc detached" 120 || { $PVCTL console --no-follow disk | tail; die "/init never saw xvdb and xvdc go"; }
  $PVCTL input disk end || die "pvctl input failed"
  timeout $((300 * SLOW)) $PVCTL console disk | tr -d "\r" | sed "s/^/[disk] /" > "$TMP/out"
  rc=$(json_field disk exit_code)
  kill $dpid; wait $dpid 2>/dev/null
  cat "$TMP/daemon.log" >> "$TMP/out"
  grep '^\[disk\] init: \|^pvmon: \|^\[disk\] .*\(BUG\|Oops\|panic\|blkfront\|xvd\)' "$TMP/out"
  ! grep -q '^\[disk\] init: FAIL' "$TMP/out" || die "a check of /init failed"
  for want in 'init: xvda 65536 sectors, xvdb 32768 sectors ro=1' 'init: xvda mounted: hello from the host' \
              'init: 8 MiB written, synced, read back' 'init: xvdb mounted read-only: the read-only disk' \
              'init: a write to xvdb refused' 'init: xvdc attached, mounted: a disk plugged in later' \
              'init: xvdb and xvdc detached: xvda $' 'init: done'; do
    grep -q "^\[disk\] $want" "$TMP/out" || { tail -30 "$TMP/out"; die "/init never said '$want'"; }
  done
  [ "$rc" = 0 ] || die "the domain's exit code is '$rc', expected 0 (poweroff -f)"
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
