# Bad configs and commands: one line on stderr, non-zero exit, nothing started.
. tests/lib.sh
[ -x "$PVMON" ] || die "pvmon not built"
check() {  # check NAME EXPECTED-SUBSTRING CONFIG-TEXT
  printf '%s\n' "$3" > "$TMP/$1.cfg"
  $PVMON run "$TMP/$1.cfg" >"$TMP/out" 2>"$TMP/err"; rc=$?
  [ $rc -ne 0 ] || die "$1: exit status 0"
  [ "$(wc -l < "$TMP/err")" -eq 1 ] || { cat "$TMP/err"; die "$1: expected exactly one line on stderr"; }
  grep -q "^pvmon: .*$2" "$TMP/err" || { cat "$TMP/err"; die "$1: stderr lacks '$2'"; }
  [ ! -s "$TMP/out" ] || die "$1: something ran (stdout not empty)"
  echo "ok $1: $(cat "$TMP/err")"
}
K="kernel = \"$PVOS\""
check unknown_key "unknown key 'colour'" "name = \"x\"
$K
colour = 3"
check no_kernel_file "kernel '/nonexistent/pvos'" 'name = "x"
kernel = "/nonexistent/pvos"'
check missing_kernel "missing 'kernel'" 'name = "x"'
check missing_name "missing 'name'" "$K"
check bad_memory "memory = 1 is out of range" "name = \"x\"
$K
memory = 1"
check bad_number "expected an integer" "name = \"x\"
$K
vcpus = two"
check too_many_vcpus "vcpus = 9 is out of range" "name = \"x\"
$K
vcpus = 9"
check twice "given twice" "name = \"x\"
name = \"y\"
$K"
check bad_name "use letters" "name = \"a b\"
$K"
check no_equals "expected 'key = value'" "name \"x\""
check unterminated "unterminated string" "name = \"x
$K"
avail=$(awk '/MemAvailable/ {print int($2/1024)}' /proc/meminfo)
big=$((avail + 1024)); [ $big -le 65536 ] || big=65536
if [ $big -gt $avail ]; then
  check too_much_memory "available" "name = \"x\"
$K
memory = $big"
fi
# A kernel that is not an ELF image is refused before the guest starts.
echo "not an elf" > "$TMP/junk.elf"
printf 'name = "x"\nkernel = "%s"\n' "$TMP/junk.elf" > "$TMP/junk.cfg"
if [ -c /dev/kvm ]; then
  $PVMON run "$TMP/junk.cfg" >/dev/null 2>"$TMP/err" && die "junk kernel accepted"
  grep -q "not an ELF" "$TMP/err" || die "junk kernel: $(cat "$TMP/err")"
fi
# An initramfs is for a Linux PV kernel only.
if [ -c /dev/kvm ]; then
  printf 'name = "x"\n%s\nramdisk = "%s"\n' "$K" "$TMP/junk.elf" > "$TMP/rd.cfg"
  $PVMON run "$TMP/rd.cfg" >"$TMP/out" 2>"$TMP/err" && die "a ramdisk for pvos accepted"
  [ "$(wc -l < "$TMP/err")" -eq 1 ] && grep -q "'ramdisk' is for Linux PV domains" "$TMP/err" ||
    die "ramdisk for pvos: $(cat "$TMP/err")"
  echo "ok ramdisk_pvos: $(cat "$TMP/err")"
fi
# Two domains may not share a name.
printf 'name = "same"\n%s\n' "$K" > "$TMP/s1.cfg"; cp "$TMP/s1.cfg" "$TMP/s2.cfg"
$PVMON run "$TMP/s1.cfg" "$TMP/s2.cfg" >/dev/null 2>"$TMP/err" && die "duplicate names accepted"
grep -q "already used" "$TMP/err" || die "duplicate names: $(cat "$TMP/err")"
# Missing config file, bad command, bad option.
$PVMON run /nonexistent.cfg 2>"$TMP/err" && die "missing file accepted"
grep -q "No such file" "$TMP/err" || die "missing file: $(cat "$TMP/err")"
$PVMON frobnicate 2>"$TMP/err"; [ $? -eq 2 ] || die "unknown command: status not 2"
$PVMON --pcpus 0 run "$TMP/s1.cfg" 2>"$TMP/err"; [ $? -eq 2 ] || die "--pcpus 0: status not 2"
$PVMON --sched fifo run "$TMP/s1.cfg" 2>"$TMP/err" && die "unknown scheduler accepted"
$PVMON --help | grep -q "usage: pvmon" || die "--help"
echo PASS
