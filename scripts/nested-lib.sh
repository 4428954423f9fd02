# nested-lib.sh: what scripts/nested-svm.sh and scripts/nested-vmx.sh share
# (sourced by both): the common options, Debian's kernel and the modules an
# initramfs needs from it, the cached initramfs, the command's script, the
# emulator run and the exit status made from what the L1 left in $RUN.
#
# The sourcing script sets NESTED (svm|vmx), KVM_MODULE, CACHE_NAME, its
# defaults (TIMEOUT CPU MEM), OWN_OPTS (its own valued options: option ->
# variable) and defines usage, init_script and report_l1; it may define
# initramfs_extra DIR (more files for the initramfs) and poll (called
# every half second while the emulator runs; non-zero stops it).

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD:-build}
WORKDIR=$REPO
CONSOLE_LOG="" VERBOSE=0 PREPARE_ONLY=0
ENVS=() CMD=()
declare -A OWN_OPTS=()

die() { echo "nested-$NESTED: $*" >&2; exit 1; }
skip() { echo "SKIP: nested-$NESTED: $*"; exit 77; }
usage_error() { echo "nested-$NESTED: $*; see --help" >&2; exit 2; }
log() { echo "nested-$NESTED: $*" >&2; }
need_arg() { [ $# -ge 2 ] || usage_error "$1 needs a value"; }

# nested_options "$@": the options both scripts take and the script's own
# (OWN_OPTS); what is left is COMMAND, in CMD.
nested_options() {
  while [ $# -gt 0 ]; do
    case $1 in
      -h|--help) usage; exit 0 ;;
      --timeout) need_arg "$@"; TIMEOUT=$2; shift 2 ;;
      --cpu) need_arg "$@"; CPU=$2; shift 2 ;;
      --mem) need_arg "$@"; MEM=$2; shift 2 ;;
      --env) need_arg "$@"; [[ $2 == [A-Za-z_]*=* ]] || usage_error "--env wants NAME=VALUE, not '$2'"
             ENVS+=("$2"); shift 2 ;;
      -C) need_arg "$@"; WORKDIR=$(cd "$2" 2>/dev/null && pwd) || usage_error "-C: no directory '$2'"; shift 2 ;;
      --build) need_arg "$@"; BUILD_DIR=$2; shift 2 ;;
      --console) need_arg "$@"; CONSOLE_LOG=$2; shift 2 ;;
      -v) VERBOSE=1; shift ;;
      --prepare) PREPARE_ONLY=1; shift ;;
      --) shift; break ;;
      -*) [ -n "${OWN_OPTS[$1]:-}" ] || usage_error "unknown option '$1'"
          need_arg "$@"; printf -v "${OWN_OPTS[$1]}" %s "$2"; shift 2 ;;
      *) break ;;
    esac
  done
  local n
  for n in TIMEOUT MEM; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || usage_error "--${n,,} wants a positive integer, not '${!n}'"
  done
  [ "$PREPARE_ONLY" = 1 ] || [ $# -gt 0 ] || usage_error "no COMMAND given"
  CMD=("$@")
  case $BUILD_DIR in /*) ;; *) BUILD_DIR=$REPO/$BUILD_DIR ;; esac
  CACHE=$BUILD_DIR/$CACHE_NAME
}

# module_params VALUE OPTION: a usage error unless VALUE is name=value words.
module_params() {
  [[ $1 =~ ^[A-Za-z0-9_=,.\ -]*$ ]] || usage_error "$2: '$1' is not a list of name=value"
}

# ---- the kernel and the initramfs (cached) -------------------------------

# kernel_source: sets KROOT (a tree with boot/ and lib/modules/) and KVER,
# from the installed Debian 6.1 kernel or the fetched package.
kernel_source() {
  local v
  for v in /lib/modules/6.1.*-amd64; do
    if [ -f "/boot/vmlinuz-${v##*/}" ] && [ -f "$v/modules.dep" ]; then
      KROOT=/ KVER=${v##*/}; return 0
    fi
  done
  local pkg ver
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  if [ -z "$pkg" ]; then
    apt-get update -qq >&2 || true
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  fi
  [ -n "$pkg" ] || skip "apt knows no linux-image-amd64 (no Debian package lists?)"
  ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
  local debs=$CACHE/debs deb
  mkdir -p "$debs"
  deb=$debs/${pkg}_${ver//:/%3a}_amd64.deb
  if [ ! -f "$deb" ]; then
    log "fetching $pkg $ver (apt-get download, about 70 MB)"
    rm -f "$debs"/*.deb
    # as root apt drops to _apt, which may not write into the build tree
    (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) \
      || skip "cannot fetch the L1 kernel: apt-get download $pkg=$ver failed (no mirror reachable?)"
    deb=$(ls "$debs"/*.deb | head -1)
  fi
  KROOT=$CACHE/kernel.stage
  rm -rf "$KROOT"
  mkdir -p "$KROOT"
  dpkg-deb -x "$deb" "$KROOT"
  KVER=$(ls "$KROOT/lib/modules" | head -1)
  busybox depmod -b "$KROOT" "$KVER"   # the package ships no modules.dep
}

GUEST_MODULES="xen-blkfront xen-netfront ext4 crc32c_generic"

# stage_modules DIR: the closure of MODULES over modules.dep, files and
# lines alike, into DIR/lib/modules/KVER.
stage_modules() {
  local mods=$KROOT/lib/modules/$KVER to=$1/lib/modules/$KVER
  local want=() deps=() name path p
  mkdir -p "$to"
  for name in $MODULES; do
    path=$(awk -F: -v n="/${name//_/[-_]}.ko" '$1 ~ n"$" { print $1; exit }' "$mods/modules.dep")
    [ -n "$path" ] || die "module $name is not in kernel $KVER"
    read -ra deps < <(awk -F': *' -v m="$path" '$1 == m { print $2 }' "$mods/modules.dep")
    want+=("$path" "${deps[@]}")
  done
  for p in $(printf '%s\n' "${want[@]}" | sort -u); do
    install -D -m 644 "$mods/$p" "$to/$p"
    grep "^$p:" "$mods/modules.dep" >>"$to/modules.dep"
  done
}

# cpio_archive DIR OUT: DIR as a newc archive (an initramfs), compressed
# by INITRD_COMPRESS (a command; cat for none).
INITRD_COMPRESS="gzip -6"
cpio_archive() {
  (cd "$1" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null | $INITRD_COMPRESS) >"$2"
}

# build_initramfs BBDIR: $CACHE/vmlinuz and $CACHE/initrd with busybox
# (in BBDIR, its applets beside it), the modules in MODULES and their
# dependencies, the script's init and what its initramfs_extra adds.
build_initramfs() {
  local t0=$SECONDS bb=$1
  kernel_source
  local ir=$CACHE/initramfs.stage
  rm -rf "$ir"
  mkdir -p "$ir$bb" "$ir"/{proc,sys,dev}
  install -m 755 "$(readlink -f "$(command -v busybox)")" "$ir$bb/busybox"
  init_script >"$ir/init"
  chmod 755 "$ir/init"
  ! declare -F initramfs_extra >/dev/null || initramfs_extra "$ir"
  stage_modules "$ir"
  # The Linux PV guests' drivers (tests/linux/lib.sh puts them into their
  # initramfs): the same kernel's xen-blkfront, xen-netfront and ext4.
  rm -rf "$CACHE/guestmods"
  MODULES=$GUEST_MODULES stage_modules "$CACHE/guestmods"
  cp "$KROOT/boot/vmlinuz-$KVER" "$CACHE/vmlinuz.tmp"
  cpio_archive "$ir" "$CACHE/initrd.tmp"
  mv "$CACHE/vmlinuz.tmp" "$CACHE/vmlinuz"
  mv "$CACHE/initrd.tmp" "$CACHE/initrd"
  echo "$KVER" >"$CACHE/kernel.version"
  rm -rf "$ir"
  [ "$KROOT" = / ] || rm -rf "$KROOT" "$CACHE/debs"   # 70 MB; fetched again only to rebuild
  log "kernel $KVER and initramfs ready in $((SECONDS - t0)) s ($CACHE)"
}

# init_prologue BBDIR: the first lines of the L1's /init (busybox sh).
init_prologue() {
  cat <<EOF
#!$1/busybox sh
$1/busybox --install -s $1
export PATH=$1
EOF
  cat <<'EOF'
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "pvlab-l1: $*"; }
EOF
}

# prepare_cache BBDIR [WHAT...]: builds the cached kernel and initramfs
# unless the stamp (this init, the code that builds it, the modules,
# busybox, the kernel available, and WHAT) says they are current; one
# builder at a time, the others reuse.
prepare_cache() {
  local bb=$1 h; shift
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock 9
  h=$({ echo "nested-$NESTED format 1 $MODULES $GUEST_MODULES $bb $INITRD_COMPRESS"; init_script; busybox 2>&1 | head -1;
        declare -f build_initramfs stage_modules cpio_archive initramfs_extra stage_programs stage_file || true
        ls -d /lib/modules/6.1.*-amd64 2>/dev/null || true
        apt-cache policy linux-image-amd64 2>/dev/null | awk '/Candidate/ { print $2 }'
        printf '%s\n' "$@"; } | sha256sum | cut -c1-16)
  if [ ! -f "$CACHE/vmlinuz" ] || [ ! -f "$CACHE/initrd" ] || [ "$(cat "$CACHE/stamp" 2>/dev/null)" != "$h" ]; then
    rm -f "$CACHE/stamp"
    build_initramfs "$bb"
    echo "$h" >"$CACHE/stamp"
  fi
  flock -u 9
  exec 9>&-
  [ "$PREPARE_ONLY" = 0 ] || { log "ready: $CACHE/vmlinuz $(cat "$CACHE/kernel.version")"; exit 0; }
}

# ---- one run --------------------------------------------------------------

# new_run: $RUN, removed on exit (the console log kept in --console's file).
new_run() {
  RUN=$(mktemp -d /tmp/pvlab-nested.XXXXXX)
  epid="" tpid=""
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}
cleanup() {
  [ -z "$epid" ] || kill -- -"$epid" 2>/dev/null || true
  [ -z "$tpid" ] || kill "$tpid" 2>/dev/null || true
  [ -z "$CONSOLE_LOG" ] || cp "$RUN/console.log" "$CONSOLE_LOG" 2>/dev/null || true
  rm -rf "$RUN"
}

# command_script: COMMAND as a script for the L1's bash, with the caller's
# PATH (and L1_PATH_TAIL after it), BUILD, BIN, PVLAB_* and --env
# variables, in -C's directory.
command_script() {
  echo "export PVLAB_NESTED=$NESTED HOME=/root"
  local v e
  for v in PATH LANG LC_ALL TERM BUILD BIN $(compgen -e | grep '^PVLAB_' || true); do
    [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
  done
  for e in "${ENVS[@]}"; do printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"; done
  [ -z "${L1_PATH_TAIL:-}" ] || echo "PATH=\$PATH:$L1_PATH_TAIL"
  printf 'cd %q || exit 1\n' "$WORKDIR"
  printf 'exec'; printf ' %q' "${CMD[@]}"; echo
}

# run_emulator COMMAND...: runs the emulator under --timeout in a process
# group of its own, copies $RUN/out to stdout as it grows (and with -v the
# console to stderr), calls poll every half second, and sets EMU_STATUS.
run_emulator() {
  : >"$RUN/out"
  : >"$RUN/console.log"
  timeout -k 5 "$TIMEOUT" "$@" </dev/null >"$RUN/emulator.log" 2>&1 &
  epid=$!
  [ "$VERBOSE" = 0 ] || { tail -n +1 -F "$RUN/console.log" --pid="$epid" 2>/dev/null >&2 & }
  tail -n +1 -s 0.2 -f "$RUN/out" --pid="$epid" &
  tpid=$!
  if declare -F poll >/dev/null; then
    while kill -0 "$epid" 2>/dev/null; do
      sleep 0.5
      poll || { kill -- -"$epid" 2>/dev/null || true; break; }
    done
  fi
  EMU_STATUS=0
  wait "$epid" || EMU_STATUS=$?
  epid=""
  wait "$tpid" || true
  tpid=""
}

# timings: from $RUN/times (boot, kvm and done in the L1's seconds; wall_kvm
# and wall_done in the host's, where the script records them).
timings() {
  awk -v m="$KVM_MODULE" '{ t[$1] = $2 } END {
         if (t["kvm"] != "") printf "L1 up with %s in %.1f s", m, t["kvm"];
         if (t["wall_kvm"] != "") printf " (%d s wall)", t["wall_kvm"];
         if (t["done"] != "") printf ", command %.1f s", t["done"] - t["kvm"];
         if (t["wall_done"] != "") printf " (%d s wall)", t["wall_done"] - t["wall_kvm"] }' "$RUN/times" 2>/dev/null || true
}

# finish WHAT: exits with COMMAND's status (from $RUN/rc), 124 on timeout,
# 77 where the L1 skipped ($RUN/skip or its console), 1 where it stopped
# early; WHAT ends the timing line. SKIP_DETAIL, if set, ends a skip.
finish() {
  if [ "$EMU_STATUS" = 124 ] || [ "$EMU_STATUS" = 137 ]; then
    local t
    t=$(timings)
    log "timed out after $TIMEOUT s${t:+ ($t)}"
    report_l1
    exit 124
  fi
  local why
  why=$(cat "$RUN/skip" 2>/dev/null || sed -n 's/^pvlab-l1: skip: //p' "$RUN/console.log" 2>/dev/null | head -1)
  [ -z "$why" ] || skip "$why${SKIP_DETAIL:-}"
  if [ ! -f "$RUN/rc" ]; then
    log "the L1 stopped before the command finished (emulator status $EMU_STATUS)"
    report_l1
    exit 1
  fi
  log "$(timings) ($1)"
  exit "$(cat "$RUN/rc")"
}
