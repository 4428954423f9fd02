#!/usr/bin/env bash
# without-kvm.sh CMD [ARG...]: runs CMD as on a host that has no KVM at all
# (the AMD EPYC machines of DESIGN.md): in a private mount namespace whose
# /dev is a tmpfs holding everything of the real /dev but kvm, so that
# /dev/kvm is missing for CMD and everything it starts. Needs root (a
# mount namespace); exits 77 with "SKIP: why" where it cannot make one,
# else with CMD's status. On a host without /dev/kvm it just runs CMD.
set -euo pipefail
case ${1:-} in
  ""|-h|--help)
    echo "usage: scripts/without-kvm.sh CMD [ARG...]   (CMD sees no /dev/kvm)"
    [ -n "${1:-}" ]; exit ;;
esac
[ -e /dev/kvm ] || exec "$@"
command -v unshare >/dev/null || { echo "SKIP: without-kvm: unshare (util-linux) is missing"; exit 77; }
unshare -m --propagation private true 2>/dev/null ||
  { echo "SKIP: without-kvm: cannot make a private mount namespace (unshare -m needs root)"; exit 77; }
# In the namespace: the real /dev moves aside, a tmpfs takes its place and
# gets every entry back (devices and files bound, directories bound with
# their mounts, links copied) but kvm; then the real /dev is let go.
exec unshare -m --propagation private bash -c '
set -euo pipefail
old=$(mktemp -d /tmp/pvlab-dev.XXXXXX)
mount --rbind /dev "$old"
mount -t tmpfs -o mode=755 without-kvm /dev
for e in "$old"/* "$old"/.[!.]*; do
  [ -e "$e" ] || [ -L "$e" ] || continue
  n=${e##*/}
  [ "$n" != kvm ] || continue
  # ptmx finds its devpts through the "pts" beside it: a node of its own
  # here, not a bind of the old one (which would look beside the old /dev)
  if [ "$n" = ptmx ] && [ -c "$e" ]; then mknod -m 666 /dev/ptmx c 5 2
  elif [ -L "$e" ]; then cp -P "$e" "/dev/$n"
  elif [ -d "$e" ]; then mkdir "/dev/$n"; mount --rbind "$e" "/dev/$n"
  else touch "/dev/$n"; mount --bind "$e" "/dev/$n"; fi
done
umount -l "$old"
rmdir "$old"
[ ! -e /dev/kvm ] || { echo "without-kvm: /dev/kvm is still there" >&2; exit 1; }
exec "$@"' without-kvm "$@"
