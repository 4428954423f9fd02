#!/usr/bin/env bash
# image.sh PLATFORM: builds (or finds up to date) what the platform's guest
# boots, under $BUILD/images/:
#   rootfs.img   ext4 (mkfs.ext4 -d), shared by fullvirt and uml: busybox,
#                PostgreSQL with a prebuilt pgbench cluster, dbench, httperf,
#                nginx, pvcpu, the workload script and a minimal init
#   vmlinuz, initrd.cpio.gz   fullvirt: the Debian kernel (linux-image-amd64,
#                fetched with apt-get download) and an initramfs with its
#                virtio and ext4 modules
#   initrd-linuxpv.cpio.gz    linuxpv: the same kernel and /init with the
#                modules a Xen PV domain needs (xen-blkfront, ext4, overlay,
#                and xen-netfront for its VIF)
#   fullvirt.accel.HOSTKEY    fullvirt: kvm or tcg, from a boot probe on
#                this kind of host (common.sh accel_file); with
#                PVLAB_KVM_PROBE_S=0 there is no probe (pvbench, making the
#                image for the nested host, which probes its own KVM)
# Each part is rebuilt only when the hash of its inputs (scripts, package
# versions, pvcpu) differs from its stamp. Files from Debian packages come
# from the host's installed packages (bench/deps.txt), copied with their
# shared libraries. Progress on stderr; exit 0 ok, 1 failure, 2 usage,
# 3 unsupported (with a line saying why).
set -Eeuo pipefail
. "$(dirname "$0")/common.sh"

usage() {
  cat <<EOF
usage: image.sh PLATFORM      (PLATFORM: $PLATFORMS)
Builds or reuses the guest image for PLATFORM under \$BUILD/images
(BUILD=$BUILD). native needs none. Rebuilds when the inputs change.
EOF
}
case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ $# -eq 1 ] || { usage >&2; exit 2; }
check_platform "$1"
PLATFORM=$1
[ "$PLATFORM" = native ] && { log "native runs on the host: no image"; exit 0; }

hash_of() { sha256sum | cut -c1-16; }
mkdir -p "$IMAGES"
exec 9>"$IMAGES/.lock"
flock 9                      # one builder at a time; the others wait, then reuse

# ---- the root file system ------------------------------------------------
PGBIN=$(pg_bindir || true)
rootfs_inputs() {
  echo "rootfs format 1"
  sha256sum "$PLAT_DIR/image.sh" "$PLAT_DIR/common.sh" "$PLAT_DIR/workload.sh" \
    "$PLAT_DIR/guest/init.sh" "$BIN/pvcpu" | cut -d' ' -f1
  package_versions
  echo "pg $PGBIN"
}

# copy_elf FILE...: FILE and every shared library it loads, at their paths.
copy_elf() {
  local f lib
  for f in "$@"; do
    install -D -m 755 "$f" "$STAGE$f"
    ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
      # keep the mode: the ELF interpreter must stay executable
      [ -e "$STAGE$lib" ] || { mkdir -p "$STAGE$(dirname "$lib")" && cp -L --preserve=mode "$lib" "$STAGE$lib"; }
    done
  done
}

copy_tree() {  # copy_tree DIR: DIR as it is (files from a package's data)
  mkdir -p "$STAGE$(dirname "$1")"
  cp -a "$1" "$STAGE$(dirname "$1")/"
}

# A cluster initialised here with the image's own binaries, so the guests
# skip initdb and pgbench -i (minutes under TCG). Owned by postgres where
# that user exists; the guest's passwd gives postgres the same uid.
make_pg_template() {
  local tmp data pgu=postgres run=()
  id postgres >/dev/null 2>&1 || pgu=$(id -un)
  [ "$(id -u)" = 0 ] && run=(setpriv --reuid="$pgu" --regid="$(id -g "$pgu")" --clear-groups)
  tmp=$(mktemp -d /tmp/pvlab-img-pg.XXXXXX)    # a place $pgu can reach
  data=$tmp/data
  chown "$pgu" "$tmp"
  TZ=UTC "${run[@]}" "$PGBIN/initdb" -D "$data" -U postgres --locale=C -E UTF8 -A trust --no-sync >/dev/null
  "${run[@]}" "$PGBIN/pg_ctl" -D "$data" -l "$tmp/log" -w -o "-k $tmp -c listen_addresses=''" start >/dev/null
  "${run[@]}" "$PGBIN/pgbench" -h "$tmp" -U postgres -i -q -s 1 postgres 2>/dev/null
  "${run[@]}" "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  echo 1 >"$data/pvlab_scale"             # workload.sh: initialised at scale 1
  mkdir -p "$STAGE/var/lib/pvlab"
  cp -a "$data" "$STAGE/var/lib/pvlab/pgdata"
  rm -rf "$tmp"
  PG_UID=$(id -u "$pgu") PG_GID=$(id -g "$pgu")
}

build_rootfs() {
  local t0=$SECONDS
  [ -x "$BIN/pvcpu" ] || fail "$BIN/pvcpu is missing: run make (BUILD=$BUILD) first"
  [ -n "$PGBIN" ] || fail "PostgreSQL is not installed (scripts/deps.sh installs bench/deps.txt)"
  local b
  for b in busybox dbench httperf nginx setpriv mkfs.ext4; do
    command -v "$b" >/dev/null || fail "$b is missing (scripts/deps.sh installs bench/deps.txt)"
  done
  log "building the root file system (a few seconds to a minute)"
  STAGE=$IMAGES/rootfs.stage
  rm -rf "$STAGE"
  mkdir -p "$STAGE"/{usr/bin,usr/sbin,usr/lib,usr/lib64,proc,sys,dev,tmp,run,root,etc,var/tmp,var/lib/nginx,pvlab/bin}
  local d
  for d in bin sbin lib lib64; do ln -s "usr/$d" "$STAGE/$d"; done   # merged /usr, as bookworm
  chmod 1777 "$STAGE/tmp" "$STAGE/var/tmp"
  install -m 755 "$(readlink -f "$(command -v busybox)")" "$STAGE/usr/bin/busybox"
  local a
  for a in $(busybox --list); do
    [ -e "$STAGE/usr/bin/$a" ] || ln -s busybox "$STAGE/usr/bin/$a"
  done
  copy_elf "$PGBIN"/{postgres,pg_ctl,initdb,pgbench,psql} "$(command -v dbench)" \
    "$(command -v httperf)" "$(command -v nginx)" "$(readlink -f "$(command -v setpriv)")"
  # setpriv and the tools must win over busybox applets of the same name
  rm -f "$STAGE/usr/bin/setpriv"; install -m 755 "$(readlink -f "$(command -v setpriv)")" "$STAGE/usr/bin/setpriv"
  local pglib=${PGBIN%/bin}/lib so
  for so in "$pglib"/*.so; do
    case $(basename "$so") in llvmjit*) continue ;; esac   # jit=off: no LLVM in the image
    copy_elf "$so"
  done
  copy_tree "/usr/share/postgresql/$(basename "${PGBIN%/bin}")"
  copy_tree /usr/share/dbench
  install -D -m 644 "$(readlink -f /usr/share/zoneinfo/UTC)" "$STAGE/usr/share/zoneinfo/UTC"
  install -D -m 644 "$(readlink -f /usr/share/zoneinfo/UTC)" "$STAGE/usr/share/zoneinfo/Etc/UTC"
  install -m 755 "$BIN/pvcpu" "$STAGE/pvlab/bin/pvcpu"
  install -m 755 "$PLAT_DIR/workload.sh" "$STAGE/pvlab/workload.sh"
  install -m 755 "$PLAT_DIR/guest/init.sh" "$STAGE/usr/sbin/pvlab-init"
  make_pg_template
  cat >"$STAGE/etc/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
postgres:x:$PG_UID:$PG_GID:PostgreSQL:/var/lib/pvlab:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$STAGE/etc/group" <<EOF
root:x:0:
postgres:x:$PG_GID:
nogroup:x:65534:
EOF
  printf 'passwd: files\ngroup: files\nhosts: files\n' >"$STAGE/etc/nsswitch.conf"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$STAGE/etc/hosts"
  # room for dbench's files, pgbench at scale 10 and WAL beside what is there
  local used_mb size_mb
  used_mb=$(du -sm "$STAGE" | cut -f1)
  size_mb=$((used_mb + 2048))
  rm -f "$IMAGES/rootfs.img.tmp"
  # inode tables and journal zeroed here: left lazy, every guest's kernel
  # would zero them in the background (ext4lazyinit, ~34 MB of writes)
  # during the very workloads it measures
  mkfs.ext4 -q -F -L pvlab-root -m 0 -E lazy_itable_init=0,lazy_journal_init=0 -d "$STAGE" \
    "$IMAGES/rootfs.img.tmp" "${size_mb}M" >&2
  mv "$IMAGES/rootfs.img.tmp" "$IMAGES/rootfs.img"
  rm -rf "$STAGE"
  log "rootfs.img: ${used_mb} MiB of files in a ${size_mb} MiB ext4 image, built in $((SECONDS - t0)) s"
}

# ---- fullvirt: the Debian kernel and an initramfs ------------------------
INITRAMFS_MODULES="virtio_pci virtio_blk crc32c_generic ext4"
PV_INITRAMFS_MODULES="xen-blkfront xen-netfront crc32c_generic ext4 overlay"

# modules_in_order KVER MODULE...: module paths, dependencies first, from
# modules.dep
modules_in_order() {
  local dep=$KROOT/lib/modules/$1/modules.dep
  declare -A seen=()
  emit() {
    local m=$1 d
    [ -n "${seen[$m]:-}" ] && return
    seen[$m]=1
    for d in $(awk -v m="$m" -F': *' '$1 == m { print $2 }' "$dep"); do emit "$d"; done
    echo "$m"
  }
  local name path
  shift
  for name in "$@"; do
    path=$(awk -F: -v n="/$name.ko" 'index($1, n) && substr($1, length($1) - length(n) + 1) == n { print $1; exit }' "$dep")
    [ -n "$path" ] || fail "module $name not in the kernel package"
    emit "$path"
  done
}

# make_initrd KVER NAME MODULE...: $IMAGES/NAME.tmp, busybox, the guests'
# /init and the modules (with their dependencies, in load order).
make_initrd() {
  local kver=$1 name=$2 ir=$IMAGES/initramfs.stage m
  shift 2
  rm -rf "$ir"
  mkdir -p "$ir/bin" "$ir/modules"
  install -m 755 "$(readlink -f "$(command -v busybox)")" "$ir/bin/busybox"
  install -m 755 "$PLAT_DIR/guest/initramfs.sh" "$ir/init"
  : >"$ir/modules/order"
  for m in $(modules_in_order "$kver" "$@"); do
    cp "$KROOT/lib/modules/$kver/$m" "$ir/modules/"
    basename "$m" >>"$ir/modules/order"
  done
  (cd "$ir" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null | gzip -6) >"$IMAGES/$name.tmp"
  rm -rf "$ir"
}

build_kernel() {
  local pkg=$1 ver=$2 t0=$SECONDS
  log "fetching and unpacking $pkg $ver (apt-get download)"
  local debs=$IMAGES/debs
  mkdir -p "$debs"
  local deb
  deb=$(ls "$debs/${pkg}_"*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ] || ! dpkg-deb -f "$deb" Version | grep -qx "$ver"; then
    rm -f "$debs/${pkg}_"*.deb
    # as root apt would drop to _apt, which cannot write into the build tree
    (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) \
      || unsupported "cannot fetch the guest kernel: apt-get download $pkg=$ver failed (no mirror reachable?)"
    deb=$(ls "$debs/${pkg}_"*.deb | head -1)
  fi
  KROOT=$IMAGES/kernel.stage
  rm -rf "$KROOT"
  mkdir -p "$KROOT"
  dpkg-deb -x "$deb" "$KROOT"
  local kver
  kver=$(ls "$KROOT/lib/modules" | head -1)
  busybox depmod -b "$KROOT" "$kver"
  # shellcheck disable=SC2086
  make_initrd "$kver" initrd.cpio.gz $INITRAMFS_MODULES
  # shellcheck disable=SC2086
  make_initrd "$kver" initrd-linuxpv.cpio.gz $PV_INITRAMFS_MODULES
  cp "$KROOT/boot/vmlinuz-$kver" "$IMAGES/vmlinuz.tmp"
  mv "$IMAGES/initrd.cpio.gz.tmp" "$IMAGES/initrd.cpio.gz"
  mv "$IMAGES/initrd-linuxpv.cpio.gz.tmp" "$IMAGES/initrd-linuxpv.cpio.gz"
  mv "$IMAGES/vmlinuz.tmp" "$IMAGES/vmlinuz"
  echo "$kver" >"$IMAGES/kernel.version"
  rm -rf "$KROOT"
  log "kernel $kver and initramfs ($(du -k "$IMAGES/initrd.cpio.gz" | cut -f1) KiB, linuxpv's $(du -k "$IMAGES/initrd-linuxpv.cpio.gz" | cut -f1) KiB) ready in $((SECONDS - t0)) s"
}

# Can QEMU boot the kernel with KVM here? A stock kernel under KVM on this
# kind of host (PVM) runs interpreted and prints nothing for minutes, so
# give it PROBE_S seconds to reach the initramfs; else TCG. The answer
# goes to $ACCEL (accel_file).
PROBE_S=${PVLAB_KVM_PROBE_S:-25}
probe_accel() {
  local why
  if [ ! -c /dev/kvm ]; then
    why="no /dev/kvm"
  elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    why="/dev/kvm is not accessible to $(id -un)"
  else
    log "probing QEMU with KVM (up to $PROBE_S s)"
    local out t0=$SECONDS
    out=$(timeout -k 5 "$PROBE_S" "$QEMU" -accel kvm -cpu host -m 256 -smp 1 -nodefaults -no-user-config \
      -display none -no-reboot -serial stdio -kernel "$IMAGES/vmlinuz" -initrd "$IMAGES/initrd.cpio.gz" \
      -append "console=ttyS0 quiet panic=-1 pvlab.probe=1" </dev/null 2>&1 || true)
    if grep -q "pvlab: probe ok" <<<"$out"; then
      echo "kvm booted_to_initramfs_in_$((SECONDS - t0))s" >"$ACCEL"
      return
    fi
    local lines
    lines=$(grep -vc '^qemu-system' <<<"$out" || true)   # grep -c: status 1 on 0
    why="KVM did not reach the initramfs in ${PROBE_S}s ($lines lines of guest console output)"
  fi
  echo "tcg ${why// /_}" >"$ACCEL"
}

# PVLAB_IMAGE_CHECKED=1: whoever started us checked the inputs against
# the stamps a moment ago (pvbench, before each boot of the nested host,
# where hashing them takes seconds under TCG): the stamps stand for them.
checked() { [ "${PVLAB_IMAGE_CHECKED:-}" = 1 ] && [ -f "$IMAGES/$1.stamp" ] && [ -f "$IMAGES/$2" ]; }
if checked rootfs rootfs.img; then rootfs_hash=$(cat "$IMAGES/rootfs.stamp")
else rootfs_hash=$(rootfs_inputs | hash_of); fi
if [ ! -f "$IMAGES/rootfs.img" ] || [ "$(cat "$IMAGES/rootfs.stamp" 2>/dev/null)" != "$rootfs_hash" ]; then
  rm -f "$IMAGES/rootfs.stamp"
  build_rootfs
  echo "$rootfs_hash" >"$IMAGES/rootfs.stamp"
fi

if [ "$PLATFORM" = fullvirt ]; then
  command -v "$QEMU" >/dev/null || unsupported "$QEMU is not installed (Debian package qemu-system-x86)"
fi
if [ "$PLATFORM" = linuxpv ]; then
  [ -x "$BIN/pvmon" ] || fail "$BIN/pvmon is missing: run make (BUILD=$BUILD) first"
fi
# ---- fullvirt and linuxpv: the kernel and its initramfs --------------------
if [ "$PLATFORM" = fullvirt ] || [ "$PLATFORM" = linuxpv ]; then
  if checked kernel initrd-linuxpv.cpio.gz; then
    kernel_hash=$(cat "$IMAGES/kernel.stamp")
  else
    kp=$(kernel_package) || unsupported "apt knows no linux-image-amd64 (run apt-get update)"
    kernel_hash=$( { echo "$kp"; sha256sum "$PLAT_DIR/guest/initramfs.sh" | cut -d' ' -f1;
                     echo "$INITRAMFS_MODULES / $PV_INITRAMFS_MODULES"; package_versions | grep busybox; } | hash_of)
  fi
  if [ ! -f "$IMAGES/vmlinuz" ] || [ ! -f "$IMAGES/initrd-linuxpv.cpio.gz" ] ||
     [ "$(cat "$IMAGES/kernel.stamp" 2>/dev/null)" != "$kernel_hash" ]; then
    rm -f "$IMAGES/kernel.stamp" "$IMAGES"/fullvirt.accel.*
    build_kernel $kp
    echo "$kernel_hash" >"$IMAGES/kernel.stamp"
  fi
fi
if [ "$PLATFORM" = linuxpv ]; then
  log "linuxpv: $(cat "$IMAGES/kernel.version") as a Xen PV domain of $BIN/pvmon, rootfs.img read-only"
  exit 0
fi
if [ "$PLATFORM" = fullvirt ]; then
  ACCEL=$(accel_file)
  rm -f "$IMAGES/fullvirt.accel" "$IMAGES/accel.stamp"     # one for every host, before accel_file
  if [ "$PROBE_S" = 0 ]; then
    log "fullvirt: $(cat "$IMAGES/kernel.version"), no KVM probe here (PVLAB_KVM_PROBE_S=0)"
    exit 0
  fi
  accel_hash=$( { echo "$kernel_hash"; qemu_version; uname -r; kvm_node; } | hash_of)
  if [ ! -f "$ACCEL" ] || [ "$(cat "$ACCEL.stamp" 2>/dev/null)" != "$accel_hash" ]; then
    probe_accel
    echo "$accel_hash" >"$ACCEL.stamp"
  fi
  log "fullvirt: $(cat "$IMAGES/kernel.version"), accel $(cat "$ACCEL")"
fi
if [ "$PLATFORM" = uml ]; then
  command -v "$LINUX_UML" >/dev/null || unsupported "$LINUX_UML is not installed (Debian package user-mode-linux)"
  [ -f "$UMLXSTATE" ] || fail "$UMLXSTATE is missing: run make (BUILD=$BUILD) first"
fi
exit 0
