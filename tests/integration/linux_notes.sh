# Debian's own kernel through the loader's first steps, as a result of its
# own in the summary: the bzImage unpacked with its library, its Xen notes
# read, checked and printed (test_xenelf --debian). The kernel is fetched
# once as the nested host's (need_debian_kernel); skips where it cannot be.
. tests/lib.sh
t=$BUILD/tests/unit/test_xenelf
[ -x "$t" ] || die "$t is not built"
need_debian_kernel
"$t" --debian; rc=$?
[ $rc = 77 ] && skip "no Debian kernel at ${PVLAB_VMLINUZ:-$BUILD/nested/vmlinuz} (scripts/nested-svm.sh --prepare fetches it)"
[ $rc = 0 ] || die "test_xenelf --debian failed"
echo PASS
