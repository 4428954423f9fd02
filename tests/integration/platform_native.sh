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
[ -z "$(ls -A "$TMP")" ] || die "workload.sh left files in its work directory: $(ls "$TMP")"
echo PASS
