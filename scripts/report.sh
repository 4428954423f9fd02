#!/usr/bin/env bash
# `make report`: run the short suite and write report/index.html.
# The suite today: pvbench hcall (exit, hypercall and multicall costs) and
# the pvos CPU workloads under pvmon. The full comparison across platforms
# (native, full-virt, uml), the results database and the R analysis replace
# this first form as they land.
set -euo pipefail
BUILD=${BUILD:-build}
BIN=$BUILD/bin
OUT=${REPORT_DIR:-report}
mkdir -p "$OUT"
esc() { sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g'; }

echo "report: [1/2] pvbench hcall, pvbench cpu"
if [ -e /dev/kvm ]; then
  "$BIN/pvbench" hcall | tee "$OUT/hcall.txt"
  "$BIN/pvbench" hcall --json > "$OUT/hcall.json"
  "$BIN/pvbench" cpu | tee "$OUT/cpu-ratio.txt"
else
  echo "skipped: /dev/kvm is missing on this host" | tee "$OUT/hcall.txt" "$OUT/cpu-ratio.txt"
fi

echo "report: [2/2] pvos CPU workloads under pvmon"
cfg=$(mktemp /tmp/pvlab-report-XXXXXX.cfg)
trap 'rm -f "$cfg"' EXIT
printf 'name = "cpu"\nmemory = 32\nkernel = "%s"\ncmdline = "prog=cpu"\n' "$BUILD/guest/pvos.elf" > "$cfg"
if [ -e /dev/kvm ]; then
  "$BIN/pvmon" --stats run "$cfg" 2>&1 | tee "$OUT/cpu.txt"
else
  echo "skipped: /dev/kvm is missing on this host" | tee "$OUT/cpu.txt"
fi

{
  echo "<!doctype html><html><head><meta charset=utf-8><title>pvlab report</title>"
  echo "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}pre{background:#f4f4f4;padding:1em}</style></head><body>"
  echo "<h1>pvlab report</h1><h2>Host</h2><pre>"
  { echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "cores:   $(nproc)"
    echo "kernel:  $(uname -r)"
    echo "pvlab:   $(git describe --always --dirty 2>/dev/null || echo unknown)"
    "$BIN/pvmon" info 2>&1 || true; } | esc
  echo "</pre><h2>Hypercall costs (pvbench hcall, one run)</h2><pre>"
  esc < "$OUT/hcall.txt"
  echo "</pre><h2>CPU kernels, native vs pvos (pvbench cpu, one run)</h2><pre>"
  esc < "$OUT/cpu-ratio.txt"
  echo "</pre><h2>CPU workloads in a pvos domain</h2><pre>"
  esc < "$OUT/cpu.txt"
  echo "</pre><p>Not yet in this report: native, full-virtualization and User-Mode Linux"
  echo "platforms, repeated samples in SQLite and the R analysis with plots.</p></body></html>"
} > "$OUT/index.html"
echo "report: wrote $(cd "$OUT" && pwd)/index.html"
