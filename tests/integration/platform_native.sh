# run.sh native cpu: one sample per CPU kernel with sane values, and N
# concurrent copies; the real workloads (PostgreSQL/pgbench, dbench,
# httperf against nginx) run natively through workload.sh, shortened.
. tests/lib.sh
P=bench/platforms
kernels=$($BIN/pvcpu --list) || die "pvcpu --list"
[ "$(echo "$kernels" | wc -l)" -ge 9 ] || die "pvcpu lists fewer than 9 kernels"
check_cpu() {  # check_cpu OUTPUT COPIES
  local out=$1 n=$2 k v
  for k in $kernels; do
    [ "$(echo "$out" | grep -c "^sample metric=${k}_ms unit=ms higher=0 value=")" = "$n" ] \
      || die "not $n sample(s) for $k"
    for v in $(echo "$out" | sed -n "s/^sample metric=${k}_ms .*value=//p"); do
      awk -v v="$v" 'BEGIN { exit !(v > 0 && v < 60000) }' || die "$k: $v ms is not sane"
    done
  done
  echo "$out" | grep -q "^sample metric=aggregate_passes_per_s unit=passes/s higher=1 value=[0-9.]*$" \
    || die "no aggregate rate"
  echo "$out" | grep -v '^sample metric=[a-z_]* unit=[^ ]* higher=[01] value=[0-9.]*$' | grep -v '^detail [a-z_]*=' \
    | grep . && die "lines outside the contract"
  return 0
}
out=$($P/run.sh native cpu --quick) || die "run.sh native cpu --quick failed"
echo "$out"
check_cpu "$out" 1
echo "$out" | grep -q "^detail host_kernel=" || die "no host_kernel detail"
out=$($P/run.sh native cpu --quick --instances 2) || die "run.sh native cpu --instances 2 failed"
echo "$out"
check_cpu "$out" 2
echo "$out" | grep -q "^detail instances=2$" || die "no instances detail"
echo "$out" | grep -q "^detail scale=" && die "a native run here is scaled"
# in the nested host native runs the size every platform there runs
out=$(PVLAB_NESTED=svm $P/run.sh native cpu --quick) || die "run.sh native cpu in 'the nested host' failed"
echo "$out" | grep -q "^detail scale=0.25$" || die "native in the nested host: not the emulated scale 0.25"
# the tools: every workload once, at a tenth of the quick size (in $TMP,
# which PostgreSQL's user must be able to traverse)
chmod 755 "$TMP"
for w in pgbench-ro pgbench-tpcb dbench httperf; do
  out=$(PVLAB_BIN=$BIN PVLAB_TMP=$TMP $P/workload.sh $w --quick --scale 0.1); rc=$?
  echo "$w: rc=$rc"; echo "$out"
  [ $rc = 3 ] && { echo "$out" | grep -q "^unsupported ." || die "$w: status 3 without a reason"; continue; }
  [ $rc = 0 ] || die "$w failed natively"
  case $w in
    pgbench-*) m="tps unit=tps higher=1" ;;
    dbench) m="throughput unit=MB/s higher=1" ;;
    httperf) m="reply_rate unit=replies/s higher=1" ;;
  esac
  v=$(echo "$out" | sed -n "s|^sample metric=$m value=||p")
  awk -v v="$v" 'BEGIN { exit !(v > 0) }' || die "$w: no positive '$m' sample"
  echo "$out" | grep -q "^detail scale=0.1$" || die "$w: the scale is not recorded"
done
# httperf's errors fail the repetition, with the count and kinds (a
# stand-in httperf on PATH reports 12 reset connections)
if command -v nginx >/dev/null; then
  mkdir -p "$TMP/fake"
  cat > "$TMP/fake/httperf" <<'S'
#!/bin/sh
echo "Total: connections 500 requests 4988 replies 4988 test-duration 2.000 s"
echo "Errors: total 12 client-timo 0 socket-timo 0 connrefused 0 connreset 12"
echo "Errors: fd-unavail 0 addrunavail 0 ftab-full 0 other 0"
S
  chmod +x "$TMP/fake/httperf"
  out=$(PATH=$TMP/fake:$PATH PVLAB_BIN=$BIN PVLAB_TMP=$TMP $P/workload.sh httperf --quick --scale 0.1 2>"$TMP/err"); rc=$?
  echo "httperf with errors: rc=$rc"; echo "$out"
  [ $rc = 1 ] || die "httperf with 12 errors: status $rc, not 1"
  tail -1 "$TMP/err" | grep -q "^workload: httperf: 12 errors (connreset 12) in 500 connections" ||
    die "httperf with errors: the reason is '$(tail -1 "$TMP/err")'"
  echo "$out" | grep -q "^sample " && die "httperf with errors: a sample was printed"
  rm -rf "$TMP/fake" "$TMP/err"
fi
# selectwait.so (Domain 0's httperf in httperf-vif): httperf sleeps in
# select() while a reply is due instead of spinning; the reply still
# comes. A server that answers after 2 s: httperf alone takes most of
# those 2 s of CPU, with the shim a few hundredths.
if command -v httperf >/dev/null; then
  [ -f "$BUILD/lib/selectwait.so" ] || die "$BUILD/lib/selectwait.so is not built"
  shim=$(readlink -f "$BUILD/lib/selectwait.so")
  python3 - "$TMP/port" 2>/dev/null <<'S' &
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(2); self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
S
  srv=$!
  for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
  port=$(cat "$TMP/port" 2>/dev/null); rm -f "$TMP/port"
  [ -n "$port" ] || { kill $srv; die "the slow server did not start"; }
  cpu_of() {  # cpu_of [PRELOAD]: httperf's user+sys seconds for one 2 s reply
    local out t
    t=$( { TIMEFORMAT='%U %S'; time env ${1:+LD_PRELOAD=$1} httperf --server 127.0.0.1 --port "$port" --num-conns 1 --timeout 20 >"$TMP/h.out" 2>&1; } 2>&1 )
    grep -q "^Total: connections 1 requests 1 replies 1 " "$TMP/h.out" || { cat "$TMP/h.out"; die "httperf ${1:+with the shim }got no reply"; }
    rm -f "$TMP/h.out"
    awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.2f\n", a[1] + a[2] }'
  }
  plain=$(cpu_of) waits=$(cpu_of "$shim")
  kill $srv
  echo "httperf waiting 2 s for a reply: $plain s of CPU alone, $waits s with selectwait.so"
  awk -v w="$waits" 'BEGIN { exit !(w < 0.5) }' || die "with selectwait.so httperf still spins ($waits s of CPU in a 2 s wait)"
fi
[ -z "$(ls -A "$TMP")" ] || die "workload.sh left files in its work directory: $(ls "$TMP")"
echo PASS
