# Shared by the tests that boot Debian's kernel as a Linux PV domain
# (after tests/lib.sh): its config and the busybox initramfs.
VMLINUZ=${PVLAB_VMLINUZ:-$BUILD/nested/vmlinuz}

linux_cfg() {  # linux_cfg NAME [extra lines...]: $TMP/NAME.cfg for Debian's kernel
  local name=$1; shift
  { echo "name = \"$name\""; echo "memory = 256"; echo "kernel = \"$(realpath "$VMLINUZ")\"";
    echo "cmdline = \"console=hvc0 earlyprintk=xen loglevel=8\""; for l in "$@"; do echo "$l"; done; } > "$TMP/$name.cfg"
  echo "$TMP/$name.cfg"
}

# linux_refused WHAT EXPECTED LINE: pvmon run refuses a Linux domain
# whose config has LINE (e.g. a bad disk or vif list) in one line naming
# EXPECTED, with a non-zero status.
linux_refused() {
  local cfg rc
  cfg=$(linux_cfg bad "$3")
  timeout 60 $PVMON run "$cfg" >"$TMP/bad.out" 2>"$TMP/bad.err"; rc=$?
  [ $rc -ne 0 ] && [ "$(wc -l < "$TMP/bad.err")" = 1 ] && grep -q "$2" "$TMP/bad.err" ||
    { cat "$TMP/bad.err"; die "$1: not refused in one line naming '$2' (status $rc)"; }
  echo "ok $1 refused: $(cat "$TMP/bad.err")"
}

# The initramfs: a static busybox, pvlm and tests/linux/init.sh as /init.
initramfs() {
  local ir=$TMP/initramfs
  mkdir -p "$ir/bin" "$ir/proc" "$ir/dev" "$ir/sys"
  cp "$BUSYBOX" "$ir/bin/busybox"
  cp tests/linux/init.sh "$ir/init"
  [ ! -x "$BIN/pvlm" ] || cp "$BIN/pvlm" "$ir/bin/pvlm"   # static: --qd's reads at a queue depth
  # The kernel's own xen-blkfront, xen-netfront and ext4 (scripts/nested-lib.sh stages them).
  [ ! -d "$(dirname "$VMLINUZ")/guestmods/lib" ] || cp -r "$(dirname "$VMLINUZ")/guestmods/lib" "$ir/"
  chmod 755 "$ir/init"
  (cd "$ir" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1) > "$TMP/initramfs.gz"
  echo "$TMP/initramfs.gz"
}

need_busybox() {  # $BUSYBOX: a static busybox, or skip
  BUSYBOX=$(command -v busybox) || skip "no busybox for the initramfs (Debian's busybox or busybox-static)"
  file -L "$BUSYBOX" | grep -q 'statically linked' || skip "$BUSYBOX is not statically linked (the initramfs holds it alone)"
}

# console_says NAME TEXT SECONDS: waits until domain NAME's console
# (pvctl console --no-follow) has a line with TEXT; false after SECONDS.
console_says() {
  local i
  for i in $(seq $(($3 * 2))); do
    $PVCTL console --no-follow "$1" 2>/dev/null | grep -q "$2" && return 0
    sleep 0.5
  done
  return 1
}
