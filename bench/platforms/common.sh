# Shared by detect.sh, image.sh and run.sh (sourced, bash): where things
# are, the names the contract accepts, and the Debian kernel the full-virt
# guest boots. See docs/platforms.md.
PLAT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$PLAT_DIR/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=${BIN:-$BUILD/bin}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
IMAGES=$BUILD/images
PLATFORMS="native fullvirt uml"
WORKLOADS="cpu pgbench-ro pgbench-tpcb dbench httperf"
QEMU=${PVLAB_QEMU:-qemu-system-x86_64}
LINUX_UML=${PVLAB_LINUX_UML:-linux.uml}
UMLXSTATE=$BUILD/lib/umlxstate.so

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
# from the package lists apt already has.
kernel_package() {
  local pkg
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  [ -n "$pkg" ] || return 1
  echo "$pkg $(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')"
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
uml_version() { "$LINUX_UML" --version 2>/dev/null | awk 'NF { print $NF; exit }'; }
