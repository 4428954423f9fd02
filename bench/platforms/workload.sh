#!/bin/sh
# Runs one benchmark workload on the system it runs on and prints the
# platform contract's lines (sample/detail/unsupported, docs/platforms.md).
# The same script runs natively (from run.sh) and inside the full-virt and
# uml guests (from their init), so every platform runs the same workload
# the same way. POSIX sh: in the guests it runs under busybox.
set -u

usage() {
  cat <<EOF
usage: workload.sh WORKLOAD [--quick] [--scale F] [--instances N]
       workload.sh httperf-vif --serve | --client ADDR:PORT [--quick] [--scale F] [--wait S]
WORKLOAD: cpu | pgbench-ro | pgbench-tpcb | dbench | httperf | httperf-vif
  --quick        sizes for the short suite
  --scale F      multiply the work (durations, counts) by F, 0 < F <= 1,
                 for slow platforms (TCG); recorded as detail scale=F
  --instances N  N concurrent copies (cpu only)
  --serve        httperf-vif in a linuxpv guest: nginx on every address
                 until a connection to port 5003
  --client A:P   httperf-vif in Domain 0: httperf against the guest's A:P
  --wait S       httperf's wait for a reply, seconds (default 10; run.sh
                 gives N guests sharing a CPU N times as long)
Environment: PVLAB_BIN (directory of pvcpu), PVLAB_TMP (where the work
directory goes; default \$TMPDIR or /tmp), PVLAB_PGTEMPLATE (a prebuilt
PostgreSQL cluster to use in place, as the guest images carry).
Prints 'sample metric=... unit=... higher=0|1 value=...', 'detail K=V' and
'unsupported REASON' on stdout; exit 0 ok, 1 failure, 2 usage, 3 unsupported.
EOF
}

say() { echo "workload: $*" >&2; }
die() { echo "workload: $*" >&2; exit 1; }
unsupported() { echo "unsupported $*"; exit 3; }
sample() { echo "sample metric=$1 unit=$2 higher=$3 value=$4"; }
detail() { echo "detail $1=$2"; }
bad_usage() { echo "workload: $*" >&2; exit 2; }

[ $# -ge 1 ] || { usage >&2; exit 2; }
case $1 in -h|--help) usage; exit 0 ;; esac
WORKLOAD=$1; shift
QUICK=0 SCALE=1 INSTANCES=1 ROLE="" SERVER="" WAIT=10
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --scale) [ $# -ge 2 ] || bad_usage "--scale needs a value"; SCALE=$2; shift ;;
    --instances) [ $# -ge 2 ] || bad_usage "--instances needs a value"; INSTANCES=$2; shift ;;
    --serve) ROLE=serve ;;
    --client) [ $# -ge 2 ] || bad_usage "--client needs ADDR:PORT"; ROLE=client SERVER=$2; shift ;;
    --wait) [ $# -ge 2 ] || bad_usage "--wait needs seconds"; WAIT=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) bad_usage "unknown option '$1'" ;;
  esac
  shift
done
case $WORKLOAD in cpu|pgbench-ro|pgbench-tpcb|dbench|httperf|httperf-vif) ;;
  *) bad_usage "unknown workload '$WORKLOAD' (cpu | pgbench-ro | pgbench-tpcb | dbench | httperf | httperf-vif)" ;; esac
[ -z "$ROLE" ] || [ "$WORKLOAD" = httperf-vif ] || bad_usage "--serve and --client are for httperf-vif only"
case $SERVER in
  '') ;;
  ?*:*[!0-9]*|*:) bad_usage "--client wants ADDR:PORT, not '$SERVER'" ;;
  ?*:?*) ;;
  *) bad_usage "--client wants ADDR:PORT, not '$SERVER'" ;;
esac
awk -v s="$SCALE" 'BEGIN { exit !(s + 0 > 0 && s + 0 <= 1) }' || bad_usage "--scale must be in (0, 1], not '$SCALE'"
case $INSTANCES in ''|*[!0-9]*) bad_usage "--instances must be a number, not '$INSTANCES'" ;; esac
case $WAIT in ''|*[!0-9]*|0) bad_usage "--wait must be a number of seconds, not '$WAIT'" ;; esac
[ "$INSTANCES" -ge 1 ] && [ "$INSTANCES" -le 256 ] || bad_usage "--instances must be 1..256"
if [ "$INSTANCES" -gt 1 ] && [ "$WORKLOAD" != cpu ]; then
  unsupported "--instances $INSTANCES: concurrent copies are implemented for cpu only"
fi

# work: a base size scaled by SCALE, at least min.
scaled() { awk -v v="$1" -v s="$SCALE" -v m="$2" 'BEGIN { x = int(v * s + 0.5); if (x < m) x = m; print x }'; }
# Seconds since boot with 10 ms resolution (busybox date has no %N).
now() { awk '{ print $1 }' /proc/uptime; }
# The file system type DIR is on; busybox's stat names no overlayfs
# (linuxpv's root): then the mount's type.
fs_type() {
  t=$(stat -f -c %T "$1" | tr '/' '_')
  if [ "$t" = UNKNOWN ]; then
    mnt=$(df -P "$1" | awk 'NR == 2 { print $6 }')
    t=$(awk -v m="$mnt" '$2 == m { t = $3 } END { print t }' /proc/mounts)
  fi
  echo "${t:-UNKNOWN}"
}

WORK=$(mktemp -d "${PVLAB_TMP:-${TMPDIR:-/tmp}}/pvlab-wl.XXXXXX") || die "cannot make a work directory"
PG_STOP="" NGINX_PID=""
cleanup() {
  [ -n "$PG_STOP" ] && $PG_STOP >/dev/null 2>&1
  [ -n "$NGINX_PID" ] && [ -f "$NGINX_PID" ] && kill "$(cat "$NGINX_PID")" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$SCALE" != 1 ] && detail scale "$SCALE"

# PostgreSQL and the web server's workers must not run as root. util-linux
# setpriv by its path: busybox's applet of that name cannot change users.
if [ "$(id -u)" = 0 ]; then
  if id postgres >/dev/null 2>&1; then RUNUSER=postgres; else RUNUSER=nobody; fi
  SETPRIV=/usr/bin/setpriv
  as_user() { "$SETPRIV" --reuid="$RUNUSER" --regid="$(id -g "$RUNUSER")" --clear-groups "$@"; }
else
  RUNUSER=$(id -un)
  as_user() { "$@"; }
fi

need() {  # need PROGRAM PACKAGE
  command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || unsupported "$1 is not installed (Debian package $2)"
}

# ---- cpu: the kernels of workloads/cpu.c, each run once ------------------
# One pass a sample, as pvbench's native and pv cells time them: pvbench
# repeats the cell, so every platform's samples are alike (a best of N here
# would favour the guests).
run_cpu() {
  pvcpu=${PVLAB_BIN:-}/pvcpu
  [ -x "$pvcpu" ] || die "no pvcpu at '$pvcpu' (build it with make; set PVLAB_BIN)"
  reps=1
  detail reps "$reps"
  t0=$(now)
  i=1 pids=""
  while [ "$i" -le "$INSTANCES" ]; do
    "$pvcpu" --reps "$reps" >"$WORK/cpu.$i" 2>"$WORK/cpu.$i.err" &
    pids="$pids $!"
    i=$((i + 1))
  done
  bad=0
  for pid in $pids; do wait "$pid" || bad=1; done
  t1=$(now)
  i=1
  while [ "$i" -le "$INSTANCES" ]; do
    cat "$WORK/cpu.$i"
    cat "$WORK/cpu.$i.err" >&2
    i=$((i + 1))
  done
  [ $bad = 0 ] || die "pvcpu failed (a kernel gave a wrong result or ran out of memory)"
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  sample wall_s s 0 "$wall"
  # one pass = every kernel once; every instance makes reps passes
  awk -v n="$INSTANCES" -v r="$reps" -v w="$wall" \
    'BEGIN { if (w > 0) printf "sample metric=aggregate_passes_per_s unit=passes/s higher=1 value=%.4f\n", n * r / w }'
}

# ---- pgbench: PostgreSQL, read-only (-S) or TPC-B-like -------------------
run_pgbench() {
  mode=$1
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -1)   # the newest
  [ -n "$bindir" ] && [ -x "$bindir/pgbench" ] || unsupported "PostgreSQL with pgbench is not installed (Debian package postgresql)"
  [ "$(id -u)" != 0 ] || [ -x "$SETPRIV" ] || unsupported "$SETPRIV is missing (Debian package util-linux)"
  sf=$([ $QUICK = 1 ] && echo 1 || echo 10)
  clients=4 threads=2
  secs=$(scaled "$([ $QUICK = 1 ] && echo 10 || echo 30)" 5)
  port=$(awk -v s="$$" 'BEGIN { srand(s); print 20000 + int(rand() * 30000) }')
  sock=$WORK/sock
  mkdir -p "$sock"
  chmod 755 "$WORK"
  if [ -n "${PVLAB_PGTEMPLATE:-}" ] && [ -f "$PVLAB_PGTEMPLATE/PG_VERSION" ] &&
     [ "$(fs_type "$PVLAB_PGTEMPLATE")" = overlay ]; then
    # an overlay copies a file up whole, with an fsync, the first time it
    # is written (linuxpv's root): done here, before the clock starts, as
    # fullvirt's and uml's roots have no such step
    say "copying the prebuilt cluster out of the overlay's lower layer"
    cp -a "$PVLAB_PGTEMPLATE" "$WORK/data" && sync || die "cannot copy $PVLAB_PGTEMPLATE to $WORK/data"
    data=$WORK/data
    detail cluster prebuilt_in_image_copied
  elif [ -n "${PVLAB_PGTEMPLATE:-}" ] && [ -f "$PVLAB_PGTEMPLATE/PG_VERSION" ]; then
    data=$PVLAB_PGTEMPLATE          # the image is a throwaway copy: use in place
    detail cluster prebuilt_in_image
  else
    data=$WORK/data
    chown "$RUNUSER" "$WORK" 2>/dev/null
    as_user test -w "$WORK" || die "$RUNUSER cannot reach $WORK: give PVLAB_TMP a directory it can traverse"
    say "initdb in $data"
    as_user "$bindir/initdb" -D "$data" -U postgres --locale=C -E UTF8 -A trust --no-sync \
      >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
    detail cluster fresh
  fi
  chown -R "$RUNUSER" "$sock" "$data" 2>/dev/null
  chmod 700 "$data"
  log=$WORK/postgres.log
  : >"$log"; chown "$RUNUSER" "$log" 2>/dev/null
  as_user "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 300 -o "-k $sock -p $port -c listen_addresses='' \
    -c shared_buffers=64MB -c max_connections=20 -c jit=off" start >/dev/null \
    || { cat "$log" >&2; die "PostgreSQL did not start"; }
  PG_STOP="as_user $bindir/pg_ctl -D $data -m immediate stop"
  pgb() { as_user "$bindir/pgbench" -h "$sock" -p "$port" -U postgres "$@" postgres; }
  if [ "$(cat "$data/pvlab_scale" 2>/dev/null)" != "$sf" ]; then
    say "pgbench -i -s $sf"
    pgb -i -q -s "$sf" >"$WORK/init.log" 2>&1 || { cat "$WORK/init.log" >&2; die "pgbench -i failed"; }
  fi
  detail pg_version "$("$bindir/postgres" --version | awk '{ print $3 }')"
  detail scale_factor "$sf"
  detail clients "$clients"
  if [ "$mode" = ro ]; then set -- -S; else set --; fi
  # A guest emulated on a loaded host may commit nothing in a short run
  # (pgbench then prints no tps): twice as long, at most twice more.
  local try
  for try in 1 2 3; do
    say "pgbench $mode for $secs s"
    pgb "$@" -c "$clients" -j "$threads" -T "$secs" >"$WORK/run.log" 2>&1 \
      || { cat "$WORK/run.log" >&2; die "pgbench failed"; }
    grep -q '^number of transactions actually processed: 0$' "$WORK/run.log" && [ $try -lt 3 ] || break
    say "pgbench processed no transaction in $secs s: again for $((secs * 2)) s"
    secs=$((secs * 2))
  done
  detail duration_s "$secs"
  tps=$(awk '/^tps = / { print $3; exit }' "$WORK/run.log")
  lat=$(awk '/^latency average = / { print $4; exit }' "$WORK/run.log")
  [ -n "$tps" ] || { cat "$WORK/run.log" >&2; die "no tps in pgbench's output"; }
  sample tps tps 1 "$tps"
  [ -n "$lat" ] && sample latency_ms ms 0 "$lat"
  return 0
}

# ---- dbench: the file system under a NetBench-like load ------------------
run_dbench() {
  need dbench dbench
  loadfile=/usr/share/dbench/client.txt
  [ -f "$loadfile" ] || unsupported "dbench's load file $loadfile is missing (Debian package dbench)"
  clients=$([ $QUICK = 1 ] && echo 4 || echo 8)
  secs=$(scaled "$([ $QUICK = 1 ] && echo 10 || echo 30)" 5)
  mkdir -p "$WORK/dbench"
  detail clients "$clients"
  detail duration_s "$secs"
  detail fs "$(fs_type "$WORK/dbench")"
  say "dbench $clients clients for $secs s in $WORK/dbench"
  dbench -D "$WORK/dbench" -c "$loadfile" -t "$secs" "$clients" >"$WORK/dbench.log" 2>&1 \
    || { tail -20 "$WORK/dbench.log" >&2; die "dbench failed"; }
  mbs=$(awk '/^Throughput / { print $2; exit }' "$WORK/dbench.log")
  maxlat=$(awk '/^Throughput / { for (i = 1; i <= NF; i++) if ($i ~ /^max_latency=/) { sub(/max_latency=/, "", $i); print $i } }' "$WORK/dbench.log")
  [ -n "$mbs" ] || { tail -20 "$WORK/dbench.log" >&2; die "no throughput in dbench's output"; }
  sample throughput MB/s 1 "$mbs"
  [ -n "$maxlat" ] && sample max_latency_ms ms 0 "$maxlat"
  return 0
}

# ---- httperf: nginx serving a fixed page, SPECweb-like -------------------
# httperf: server and client on this system's loopback. httperf-vif (a
# linuxpv guest's VIF, run.sh): the guest runs the server (--serve) and
# Domain 0 the client (--client ADDR:PORT). Same page, server and count.
PAGE_BYTES=16384 CALLS=10

# nginx_start ADDR: nginx serving a fixed page from $WORK/www on a free
# port of ADDR, the port in $PORT; dies if none of 5 tries starts.
nginx_start() {
  need nginx nginx-light
  mkdir -p "$WORK/www" "$WORK/tmp"
  chmod 755 "$WORK" "$WORK/www"
  # a fixed, incompressible-looking page: the same bytes on every platform
  awk -v n="$PAGE_BYTES" 'BEGIN { s = ""; x = 12345; while (length(s) < n) { x = (x * 1103515245 + 12345) % 2147483648; s = s sprintf("%c", 97 + int(x / 65536) % 26); if (length(s) % 64 == 63) s = s "\n" } printf "%s", substr(s, 1, n) }' >"$WORK/www/index.html"
  user=""
  [ "$(id -u)" = 0 ] && user="user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
  NGINX_PID=$WORK/nginx.pid
  PORT="" tries=0
  while [ -z "$PORT" ] && [ $tries -lt 5 ]; do
    p=$(awk -v s="$$$tries" 'BEGIN { srand(s); print 20000 + int(rand() * 30000) }')
    cat >"$WORK/nginx.conf" <<EOF
$user
worker_processes 1;
pid $NGINX_PID;
error_log $WORK/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fastcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  types { text/html html; }
  server { listen $1:$p; root $WORK/www; }
}
EOF
    if nginx -e "$WORK/error.log" -p "$WORK" -c "$WORK/nginx.conf" 2>>"$WORK/error.log"; then
      PORT=$p
    fi
    tries=$((tries + 1))
  done
  [ -n "$PORT" ] || { cat "$WORK/error.log" >&2; die "nginx did not start"; }
  detail server "nginx_$(nginx -v 2>&1 | sed 's|.*/||')"
  detail file_bytes "$PAGE_BYTES"
}

# httperf_measure ADDR PORT CLIENT: httperf's connections to ADDR:PORT
# (CLIENT says from where), its details and reply rate.
httperf_measure() {
  need httperf httperf
  conns=$(scaled "$([ $QUICK = 1 ] && echo 5000 || echo 30000)" 50)
  detail client "$3"
  detail connections "$conns"
  detail calls_per_connection "$CALLS"
  detail reply_wait_s "$WAIT"
  say "httperf: $conns connections x $CALLS calls on $1:$2"
  httperf --hog --server "$1" --port "$2" --uri /index.html --num-conns "$conns" \
    --num-calls "$CALLS" --timeout "$WAIT" >"$WORK/httperf.log" 2>&1 \
    || { cat "$WORK/httperf.log" >&2; die "httperf failed"; }
  set -- $(awk '/^Total: connections/ { print $7, $9 }' "$WORK/httperf.log")
  [ $# -eq 2 ] || { cat "$WORK/httperf.log" >&2; die "no totals in httperf's output"; }
  replies=$1 dur=$2
  errors=$(awk '/^Errors: total/ { print $3 }' "$WORK/httperf.log")
  [ "$replies" -gt 0 ] || { cat "$WORK/httperf.log" >&2; die "no replies"; }
  detail errors "${errors:-0}"
  # a connection that failed is not a reply the server gave slowly: the
  # rate would no longer measure the server, so the repetition fails
  if [ "${errors:-0}" -gt 0 ]; then
    kinds=$(awk '/^Errors:/ { for (i = 2; i < NF; i += 2) if ($i != "total" && $(i + 1) > 0) { printf "%s%s %s", s, $i, $(i + 1); s = ", " } }' "$WORK/httperf.log")
    die "httperf: $errors errors ($kinds) in $conns connections: the reply rate would not be the server's"
  fi
  awk -v r="$replies" -v d="$dur" 'BEGIN { if (d > 0) printf "sample metric=reply_rate unit=replies/s higher=1 value=%.1f\n", r / d }'
  return 0
}

run_httperf() {
  nginx_start 127.0.0.1
  httperf_measure 127.0.0.1 "$PORT" loopback_same_system
}

# The guest's side of httperf-vif: the server on every address until
# Domain 0, done measuring, connects to port 5003 (run.sh starts its
# httperf when this "serving" line reaches the console).
STOP_PORT=5003
run_httperf_vif_serve() {
  command -v nc >/dev/null 2>&1 || unsupported "nc is not installed (busybox)"
  nginx_start 0.0.0.0
  say "serving on port $PORT until a connection to port $STOP_PORT"
  nc -l -p "$STOP_PORT" >/dev/null || die "nc -l -p $STOP_PORT failed"
}

case $WORKLOAD in
  cpu) run_cpu ;;
  pgbench-ro) run_pgbench ro ;;
  pgbench-tpcb) run_pgbench tpcb ;;
  dbench) run_dbench ;;
  httperf) run_httperf ;;
  httperf-vif)
    case $ROLE in
      serve) run_httperf_vif_serve ;;
      client) httperf_measure "${SERVER%:*}" "${SERVER##*:}" dom0_over_vif ;;
      *) unsupported "httperf-vif is Domain 0's httperf against nginx in a linuxpv guest over its VIF: only run.sh linuxpv runs it (--serve in the guest, --client ADDR:PORT in Domain 0)" ;;
    esac ;;
esac
