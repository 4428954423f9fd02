# Shared helpers for integration tests (sourced).
BUILD=${BUILD:-build}; BIN=${BIN:-$BUILD/bin}
PVMON=$BIN/pvmon PVCTL=$BIN/pvctl PVOS=$BUILD/guest/pvos.elf
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }
need_kvm() {
  [ -c /dev/kvm ] || skip "/dev/kvm is missing (no KVM on this host)"
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not accessible to $(id -un)"
}
TMP=$(mktemp -d /tmp/pvlab-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# domcfg NAME CMDLINE [extra lines...]: writes $TMP/NAME.cfg
domcfg() {
  local name=$1 cmd=$2; shift 2
  { echo "name = \"$name\""; echo "memory = 16"; echo "kernel = \"$PVOS\"";
    echo "cmdline = \"$cmd\""; for l in "$@"; do echo "$l"; done; } > "$TMP/$name.cfg"
  echo "$TMP/$name.cfg"
}
