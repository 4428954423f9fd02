#!/usr/bin/env bash
# Installs the Debian packages pvlab needs (apt-get; run as root). Each layer
# lists its own in DIR/deps.txt (one or more names a line, # comments).
# --check-only: exit 1 if something is missing, install nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=$(cat */deps.txt | sed 's/#.*//' | tr -s ' \t' '\n' | sort -u)
# one dpkg-query for them all (pvbench fleet runs this on every host)
# (dpkg-query exits 1 when it has never heard of a package: a fresh machine)
installed=" $({ dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null || true; } | awk '/install ok installed$/ {print $1}' | tr '\n' ' ') "
missing=()
for p in $pkgs; do
  case "$installed" in *" $p "*) ;; *) missing+=("$p") ;; esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${1:-}" = "--check-only" ]; then echo "missing: ${missing[*]}"; exit 1; fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages ${missing[*]}; run 'make deps' as root" >&2; exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/pvlab-update-stamp
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
  apt-get update -qq && mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
