# Shared by detect.sh, image.sh and run.sh (sourced, bash, after set
# -Eeuo pipefail): where things are, the names the contract accepts, the
# Debian kernel the full-virt guest boots, and the ERR trap that names any
# unexpected failure. See docs/platforms.md.
PLAT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$PLAT_DIR/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=${BIN:-$BUILD/bin}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
IMAGES=$BUILD/images
PLATFORMS="native fullvirt uml linuxpv"
WORKLOADS="cpu pgbench-ro pgbench-tpcb dbench httperf httperf-vif"
QEMU=${PVLAB_QEMU:-qemu-system-x86_64}
LINUX_UML=${PVLAB_LINUX_UML:-linux.uml}
UMLXSTATE=$BUILD/lib/umlxstate.so
SELECTWAIT=$BUILD/lib/selectwait.so

# Unexpected failures. The scripts run under set -eE with this ERR trap:
# a command that fails where nothing checks it ends the script with one
# line on stderr naming the command, its line and function, and its
# status (pvbench keeps a script's last stderr line as the reason, which
# must never be an unrelated progress line). A failure inside a subshell
# ($(...), a pipeline) is named where it happened: the subshell leaves a
# note for the script's own shell, which exits because of it and prints
# the note instead of its own, less precise, line.
ERR_NOTE=${TMPDIR:-/tmp}/pvlab-err.$$
on_error() {  # on_error STATUS PIPESTATUS LINE COMMAND
  local st=$1 ps=$2 line=$3 cmd=$4 fn=${FUNCNAME[1]:-main} n=${#BASH_LINENO[@]} msg
  # the script line the failure belongs to, in whichever shell it fired
  local top=${BASH_LINENO[n - 2]:-$line}
  [ "$n" -gt 1 ] || top=$line
  [ "$fn" = main ] && fn="" || fn=" (in $fn)"
  if [[ $ps == *" "* ]]; then
    msg="$(basename "$0"): line $line$fn: the pipeline ending in '$cmd' failed (statuses $ps)"
  else
    msg="$(basename "$0"): line $line$fn: '$cmd' failed with status $st"
  fi
  if [ "$BASH_SUBSHELL" -gt 0 ]; then
    [ -e "$ERR_NOTE" ] || printf '%s\t%s\n' "$top" "$msg" >"$ERR_NOTE" 2>/dev/null || echo "$msg" >&2
  else
    local at note=""
    [ -f "$ERR_NOTE" ] && IFS=$'\t' read -r at note <"$ERR_NOTE" && [ "$at" = "$top" ] && msg=$note
    rm -f "$ERR_NOTE"
    echo "$msg" >&2
  fi
  exit "$st"
}
trap 'on_error $? "${PIPESTATUS[*]}" $LINENO "$BASH_COMMAND"' ERR
# A note left by a subshell whose failure its caller tolerated.
clear_err_note() { rm -f "$ERR_NOTE"; }
trap clear_err_note EXIT

log() { echo "$(basename "$0"): $*" >&2; }
usage_error() { echo "$(basename "$0"): $*" >&2; exit 2; }
unsupported() { echo "unsupported $*"; exit 3; }
fail() { echo "$(basename "$0"): $*" >&2; exit 1; }
in_list() { local w=$1; shift; for x in "$@"; do [ "$x" = "$w" ] && return 0; done; return 1; }

check_platform() {
  [ -n "${1:-}" ] || usage_error "no PLATFORM given (one of: $PLATFORMS)"
  # shellcheck disable=SC2086
  in_list "$1" $PLATFORMS || usage_error "unknown platform '$1' (one of: $PLATFORMS)"
}

# The Debian kernel package behind linux-image-amd64 (name and version),
# from the package lists apt already has. apt-cache takes 15 s under TCG
# (the nested host checks the image in every boot): the answer is kept
# in $IMAGES for as long as the lists are the same files.
kernel_package() {
  local pkg key cache
  key=$(stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* /var/cache/apt/*.bin 2>/dev/null | sha256sum | cut -c1-12)
  cache=$IMAGES/kernel.package.$key
  if [ -s "$cache" ]; then cat "$cache"; return 0; fi
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  [ -n "$pkg" ] || return 1
  pkg="$pkg $(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')"
  { mkdir -p "$IMAGES" && rm -f "$IMAGES"/kernel.package.* && echo "$pkg" >"$cache"; } 2>/dev/null || true
  echo "$pkg"
}

# Versions of the Debian packages whose files go into the guest image.
IMAGE_PACKAGES="busybox-static postgresql-15 postgresql-client-15 libpq5 dbench httperf nginx nginx-common util-linux libc6"
package_versions() {
  local p
  for p in $IMAGE_PACKAGES; do
    echo "$p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo missing)"
  done
}

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] && echo "$d"
}

qemu_version() { "$QEMU" --version 2>/dev/null | awk 'NR == 1 { print $4 }'; }
# What /dev/kvm is here, for the KVM probe's stamp; never fails (a host
# without KVM has none, or a file that is not a device in its place).
kvm_node() {
  if [ -c /dev/kvm ]; then stat -c "%F %a %u %t:%T" /dev/kvm
  elif [ -e /dev/kvm ]; then echo "not a character device"
  else echo "missing"; fi
}
# Where image.sh keeps what its KVM probe found on this kind of host (kvm
# or tcg and why): one file per QEMU, kernel and /dev/kvm, so that this
# host and the nested host (which shares $IMAGES) keep their own.
accel_file() {
  echo "$IMAGES/fullvirt.accel.$( { qemu_version; uname -r; kvm_node; } | sha256sum | cut -c1-12)"
}
# linuxpv: can pvmon run a Linux PV domain on this host? Its own answer
# (`pvmon info`, from a probe of the KVM it finds): "yes ..." or "no (why)".
linux_pv_answer() {
  local a
  a=$("$BIN/pvmon" info 2>/dev/null | sed -n 's/^linux pv: //p') || true
  echo "${a:-no (pvmon info said nothing about linux pv)}"
}
pvmon_version() { "$BIN/pvmon" info 2>/dev/null | awk 'NR == 1 { sub(/,$/, "", $2); print $2; exit }'; }
uml_version() { "$LINUX_UML" --version 2>/dev/null | awk 'NF { print $NF; exit }'; }
