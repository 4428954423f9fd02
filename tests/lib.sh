# Shared helpers for integration tests (sourced).
BUILD=${BUILD:-build}; BIN=${BIN:-$BUILD/bin}
PVMON=$BIN/pvmon PVCTL=$BIN/pvctl PVOS=$BUILD/guest/pvos.elf
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }
need_kvm() {
  [ -c /dev/kvm ] || skip "/dev/kvm is missing (no KVM on this host)"
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not accessible to $(id -un)"
}
# without_kvm CMD...: CMD as on a host with no /dev/kvm at all
# (scripts/without-kvm.sh); need_without_kvm first skips the test where
# that cannot be had (no root for a mount namespace).
need_without_kvm() {
  local why
  why=$(scripts/without-kvm.sh true) || skip "${why#SKIP: }"
}
without_kvm() { scripts/without-kvm.sh "$@"; }
# have_debian_kernel: Debian's kernel at $BUILD/nested/vmlinuz (or
# PVLAB_VMLINUZ), fetched once as the nested host's kernel is on a fresh
# clone (scripts/nested-svm.sh --prepare); false, with the reason in $why,
# where it cannot be had. need_debian_kernel: the same, or skip saying why.
have_debian_kernel() {
  why=""
  if [ -n "${PVLAB_VMLINUZ:-}" ]; then
    [ -f "$PVLAB_VMLINUZ" ] || { why="PVLAB_VMLINUZ=$PVLAB_VMLINUZ is not a file"; return 1; }
    return 0
  fi
  [ -f "$BUILD/nested/vmlinuz" ] && return 0
  [ -z "${PVLAB_NESTED:-}" ] || { why="no Debian kernel at $BUILD/nested/vmlinuz in the nested host"; return 1; }
  echo "fetching Debian's kernel (scripts/nested-svm.sh --prepare)"
  scripts/nested-svm.sh --build "$BUILD" --prepare >"$TMP/prepare" 2>&1 ||
    { why="Debian's kernel cannot be had here: $(tail -1 "$TMP/prepare")"; return 1; }
  [ -f "$BUILD/nested/vmlinuz" ] || die "scripts/nested-svm.sh --prepare left no $BUILD/nested/vmlinuz"
}
need_debian_kernel() { have_debian_kernel || skip "$why"; }
TMP=$(mktemp -d /tmp/pvlab-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# domcfg NAME CMDLINE [extra lines...]: writes $TMP/NAME.cfg
domcfg() {
  local name=$1 cmd=$2; shift 2
  { echo "name = \"$name\""; echo "memory = 16"; echo "kernel = \"$PVOS\"";
    echo "cmdline = \"$cmd\""; for l in "$@"; do echo "$l"; done; } > "$TMP/$name.cfg"
  echo "$TMP/$name.cfg"
}
# start_daemon [OPTION...]: `pvmon [OPTION...] daemon` on $TMP/pvmon.sock
# (exported as PVLAB_SOCKET), its pid in $dpid, stopped and cleaned up on exit.
start_daemon() {
  export PVLAB_SOCKET=$TMP/pvmon.sock
  $PVMON "$@" daemon >"$TMP/daemon.log" 2>&1 &
  dpid=$!
  trap 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; rm -rf "$TMP"' EXIT
  for _ in $(seq 50); do [ -S "$PVLAB_SOCKET" ] && break; sleep 0.1; done
  [ -S "$PVLAB_SOCKET" ] || { cat "$TMP/daemon.log"; die "daemon did not create its socket"; }
}
# json_field NAME FIELD: a field of domain NAME from pvctl list --json.
json_field() { list_field "$($PVCTL list --json)" "$1" "$2"; }
# list_field LIST NAME FIELD: the same from LIST, one pvctl list --json
# kept (every domain's fields from the same moment).
list_field() {
  tr '{' '\n' <<<"$1" | grep "\"name\":\"$2\"" | sed -n "s/.*\"$3\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}
# damage_table DB TABLE: overwrites the first page of TABLE in the SQLite
# file DB with text, as a bad disk would; SQLite reports it on first read.
damage_table() {
  local root size
  root=$(sqlite3 "$1" "SELECT rootpage FROM sqlite_master WHERE name = '$2'") && [ -n "$root" ] || die "damage_table: no table $2 in $1"
  size=$(sqlite3 "$1" "PRAGMA page_size")
  head -c "$size" /dev/zero | tr '\0' 'x' | dd of="$1" bs="$size" seek=$((root - 1)) conv=notrunc status=none
}

# in_nested_svm WHAT [nested-svm.sh options]: runs this test again with
# --inside in scripts/nested-svm.sh's AMD-V host (where this host cannot
# run what it tests); skips with the host's reason where it cannot be
# made, dies naming WHAT unless the inside run said PASS.
in_nested_svm() {
  local what=$1 t0 rc
  shift
  t0=$(date +%s)
  scripts/nested-svm.sh "$@" -- bash "$0" --inside | tee "$TMP/inside"
  rc=${PIPESTATUS[0]}
  [ $rc = 77 ] && skip "$(grep -m1 SKIP "$TMP/inside" || echo 'the nested AMD-V host cannot be made here')"
  [ $rc = 0 ] && grep -q '^PASS$' "$TMP/inside" || die "$what in the nested AMD-V host failed (status $rc)"
  echo "nested AMD-V host: $(( $(date +%s) - t0 )) s in all"
}
