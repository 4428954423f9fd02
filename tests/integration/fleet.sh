# pvbench fleet across three hosts made on this machine: network
# namespaces on a bridge, each with its own address and its own sshd
# (keys made here, host keys checked against a known_hosts built here), a
# PostgreSQL server started here whose pvbench user may write only its own
# schema. A quick native suite runs on every host; one host's link goes
# down in the middle of a cell: that cell is marked failed with the
# reason, the others finish; a resume after the link is back completes it
# with no sample lost or stored twice (SQL counts). A bad inventory and an
# unreachable host, or one whose host key is not the known one, each get
# one clear line and a non-zero exit. Where KVM and LTTng are, a traced
# run sends every host's sessions to one lttng-relayd and pvtrace
# summarises each host and all of them.
. tests/lib.sh
PVBENCH=$(realpath "$BIN/pvbench")
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, sshd, a PostgreSQL server)"
for t in ansible ansible-playbook ip ssh ssh-keygen psql; do
  command -v $t >/dev/null || skip "$t is not installed (make deps)"
done
[ -x /usr/sbin/sshd ] || skip "openssh-server is not installed (make deps)"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] && id postgres >/dev/null 2>&1 || skip "the PostgreSQL server is not installed"
ip netns add "pvfleet-probe-$$" 2>/dev/null || skip "cannot make network namespaces here"
ip netns del "pvfleet-probe-$$"

# Names and addresses of this test only (others may run beside it).
tag=$(printf '%04x' $(($$ % 65536)))
net=10.213.$(($$ % 250))
br=pvfb$tag port=$((20000 + $$ % 20000))
ns() { echo "pvfleet-$tag-$1"; }
chmod 755 "$TMP"     # the postgres user works in it too
cleanup() {
  for h in h1 h2 h3; do
    for p in $(ip netns pids "$(ns $h)" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$(ns $h)" 2>/dev/null
    ip link del "pvf${tag}$h" 2>/dev/null
  done
  ip link del "$br" 2>/dev/null
  [ -f "$TMP/pg/postmaster.pid" ] && su postgres -s /bin/sh -c "'$PGBIN/pg_ctl' -D '$TMP/pg' -m immediate stop" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT

# --- the network: a bridge, the controller at .1, host hN at .1N --------
ip link add "$br" type bridge && ip addr add "$net.1/24" dev "$br" && ip link set "$br" up ||
  die "cannot make bridge $br"
for i in 1 2 3; do
  h=h$i
  ip netns add "$(ns $h)"
  ip link add "pvf${tag}$h" type veth peer name eth0 netns "$(ns $h)"
  ip link set "pvf${tag}$h" master "$br" up
  ip -n "$(ns $h)" addr add "$net.1$i/24" dev eth0
  ip -n "$(ns $h)" link set eth0 up
  ip -n "$(ns $h)" link set lo up
done

# --- ssh: a client key, a host key and an sshd per host, known_hosts ----
S=$TMP/ssh; mkdir -m 700 "$S"; mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$S/id" -C pvbench-fleet-test
cp "$S/id.pub" "$S/authorized_keys"
for i in 1 2 3; do
  h=h$i
  ssh-keygen -q -t ed25519 -N '' -f "$S/host_$h"
  echo "$net.1$i $(cut -d' ' -f1,2 "$S/host_$h.pub")" >> "$S/known_hosts"
  # StrictModes no: the keys live under /tmp, whose mode it refuses
  cat > "$S/sshd_$h.conf" <<EOF
ListenAddress $net.1$i
HostKey $S/host_$h
PidFile $S/sshd_$h.pid
AuthorizedKeysFile $S/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
ClientAliveInterval 2
ClientAliveCountMax 3
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  ip netns exec "$(ns $h)" /usr/sbin/sshd -f "$S/sshd_$h.conf" -E "$S/sshd_$h.log" || die "sshd of $h did not start"
done
inventory() {   # inventory HOST=ADDRESS...
  echo "[fleet]"
  for a in "$@"; do echo "${a%%=*} ansible_host=${a#*=} pvlab_dir=$TMP/hosts/${a%%=*}"; done
  echo "[fleet:vars]"
  echo "ansible_user=root"
  echo "ansible_python_interpreter=/usr/bin/python3"
  echo "ansible_ssh_private_key_file=$S/id"
  echo "ansible_ssh_common_args=-o UserKnownHostsFile=$S/known_hosts -o GlobalKnownHostsFile=/dev/null"
}
inventory h1=$net.11 h2=$net.12 h3=$net.13 > "$TMP/fleet.ini"
export ANSIBLE_LOCAL_TEMP=$TMP/ansible-local ANSIBLE_REMOTE_TEMP=$TMP/ansible-remote

# --- PostgreSQL: its own cluster, port and socket; pvbench's own schema --
mkdir -m 700 "$TMP/pg" "$TMP/pgsock"; chown postgres "$TMP/pg" "$TMP/pgsock"
pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
su postgres -s /bin/sh -c "'$PGBIN/initdb' -D '$TMP/pg' -A peer --auth-host=scram-sha-256" >"$TMP/initdb.log" 2>&1 ||
  { cat "$TMP/initdb.log"; die "initdb failed"; }
cat >> "$TMP/pg/postgresql.conf" <<EOF
listen_addresses = '$net.1'
port = $port
unix_socket_directories = '$TMP/pgsock'
fsync = off
# a host cut off in the middle of a transaction must not hold its locks
idle_in_transaction_session_timeout = 10s
tcp_keepalives_idle = 5
tcp_keepalives_interval = 2
tcp_keepalives_count = 3
EOF
printf 'local all postgres peer\nhost pvbench pvbench %s.0/24 scram-sha-256\n' "$net" > "$TMP/pg/pg_hba.conf"
su postgres -s /bin/sh -c "'$PGBIN/pg_ctl' -D '$TMP/pg' -l '$TMP/pg/server.log' -w start" >/dev/null ||
  { cat "$TMP/pg/server.log"; die "PostgreSQL did not start"; }
asroot() { su postgres -s /bin/sh -c "psql -X -q -v ON_ERROR_STOP=1 -h '$TMP/pgsock' -p $port $*"; }
asroot "-d postgres" <<EOF || die "cannot make the pvbench role and database"
CREATE ROLE pvbench LOGIN PASSWORD '$pw';
CREATE DATABASE pvbench;
\c pvbench
REVOKE ALL ON DATABASE pvbench FROM PUBLIC;
GRANT CONNECT ON DATABASE pvbench TO pvbench;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA pvbench AUTHORIZATION pvbench;
EOF
URL="postgresql://pvbench:$pw@$net.1:$port/pvbench"
q() { psql -X -qtA "$URL" -c "$1"; }
# the pvbench user writes its own schema and nothing else
q "CREATE TABLE pvbench.t (x int); DROP TABLE pvbench.t" || die "pvbench cannot write its own schema"
q "CREATE TABLE public.t (x int)" 2>/dev/null && die "pvbench created a table in schema public"
q "CREATE SCHEMA other" 2>/dev/null && die "pvbench created a schema"

# --- the suite: cheap native cells, every one on every host -------------
cat > "$TMP/fleet.suite" <<EOF
fleet replicate
timeout 60
native cpu 1 reps=3
native cpu 2 reps=2
EOF
fleet() { $PVBENCH fleet run --inventory "$1" --suite "$TMP/fleet.suite" --db "$URL" "${@:2}"; }

# a bad inventory: one line, non-zero
printf '[fleet\nh1 ansible_host=\n' > "$TMP/bad.ini"
fleet "$TMP/bad.ini" >"$TMP/bad.out" 2>"$TMP/bad.err" && die "a bad inventory was accepted"
cat "$TMP/bad.err"
[ "$(wc -l < "$TMP/bad.err")" = 1 ] && grep -q "^pvbench fleet: inventory $TMP/bad.ini: " "$TMP/bad.err" ||
  die "a bad inventory: not one clear line"

# --- the run; h2's link goes down during its first cell ------------------
t0=$SECONDS
fleet "$TMP/fleet.ini" > "$TMP/run1" 2>&1 & pid=$!
for _ in $(seq 600); do
  [ "$(q "SELECT count(*) FROM reps r JOIN cells c ON c.id = r.cell_id WHERE c.host = 'h2' AND c.status = 'running'
          AND r.rep >= 1" 2>/dev/null)" -ge 1 ] 2>/dev/null && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
cell=$(q "SELECT id FROM cells WHERE host = 'h2' AND status = 'running'")
[ -n "$cell" ] || { cat "$TMP/run1"; die "h2 never ran a cell"; }
ip link set "pvf${tag}h2" down
echo "h2 cut off in cell $cell after $((SECONDS - t0)) s"
wait $pid; rc=$?
cat "$TMP/run1"
[ $rc = 1 ] || die "a run that lost a host: status $rc, not 1"
grep -q "^pvbench fleet: host h2 lost: unreachable: " "$TMP/run1" || die "h2's loss not said"
reason=$(q "SELECT reason FROM cells WHERE id = $cell")
echo "cell $cell: $(q "SELECT status FROM cells WHERE id = $cell"): $reason"
[ "$(q "SELECT status FROM cells WHERE id = $cell")" = failed ] && case $reason in "host lost: h2: unreachable: "*) ;; *) false ;; esac ||
  die "h2's running cell was not marked failed with the reason"
[ "$(q "SELECT count(*) FROM cells WHERE host IN ('h1', 'h3') AND status = 'done'")" = 4 ] ||
  die "h1 and h3 did not finish: $(q "SELECT host, workload, domains, status, reason FROM cells")"
[ "$(q "SELECT status FROM runs")" = running ] || die "a run with a lost cell was marked finished"
# a new PostgreSQL database: version 5's tables at once, then the later steps
[ "$(q "SELECT string_agg(version::text, ' ' ORDER BY version) FROM schema_version")" = "1 5 6" ] ||
  die "schema versions: $(q "SELECT version, description FROM schema_version")"

# --- the link is back: the same command resumes and completes ------------
others() { q "SELECT string_agg(cell_id || ':' || rep || ':' || metric || ':' || value, ' ' ORDER BY cell_id, rep, instance, metric)
              FROM samples WHERE host <> 'h2'"; }
before=$(others)
ip link set "pvf${tag}h2" up
# back means h2's sshd answers again (a loaded host took longer than
# ssh's own connect timeout once): up to 30 s
for _ in $(seq 60); do
  timeout 2 bash -c "exec 3<>/dev/tcp/$net.12/22" 2>/dev/null && break
  sleep 0.5
done
fleet "$TMP/fleet.ini" > "$TMP/run2" 2>&1; rc=$?
cat "$TMP/run2"
[ $rc = 0 ] || die "the resume failed (status $rc)"
grep -q "resuming run 1" "$TMP/run2" && grep -q "1 host at work: h2$" "$TMP/run2" || die "the resume did not run h2 alone"
grep -q "run 1 finished" "$TMP/run2" || die "run 1 not finished"
[ "$(q "SELECT count(*) FROM runs")" = 1 ] || die "the resume created a new run"
[ "$(others)" = "$before" ] || die "the resume touched the cells of h1 and h3"
[ "$(q "SELECT count(*) FROM cells WHERE status = 'done'")" = 6 ] || die "not every cell is done"
# every measured repetition once, each with the samples of its cell's kind
# (one cpu process: 7 samples a repetition... whatever the workload gives,
# the same for every repetition of a workload and domain count)
[ "$(q "SELECT count(*) FROM reps WHERE rep >= 1")" = 15 ] || die "repetitions: $(q "SELECT cell_id, rep FROM reps")"
[ "$(q "SELECT count(*) FROM (SELECT c.id FROM cells c JOIN reps r ON r.cell_id = c.id AND r.rep >= 1
        GROUP BY c.id, c.reps HAVING count(*) = c.reps AND count(DISTINCT r.rep) = c.reps) x")" = 6 ] ||
  die "a cell lacks repetitions or has one twice"
per=$(q "SELECT count(DISTINCT n) FROM (SELECT c.workload, c.domains, count(*) AS n FROM samples s
         JOIN cells c ON c.id = s.cell_id GROUP BY c.id, c.workload, c.domains, s.rep) x GROUP BY workload, domains")
[ "$per" = "$(printf '1\n1')" ] || die "samples per repetition differ between hosts or repetitions: $per"
[ "$(q "SELECT count(*) FROM samples WHERE rep NOT IN (SELECT rep FROM reps r WHERE r.cell_id = samples.cell_id)")" = 0 ] ||
  die "samples of a repetition that is not recorded"
[ "$(q "SELECT count(*) FROM samples s JOIN cells c ON c.id = s.cell_id WHERE s.host <> c.host")" = 0 ] ||
  die "samples tagged with another host than their cell's"
[ "$(q "SELECT count(*) FROM hosts WHERE cpu_model <> '' AND kernel <> '' AND kvm_backend <> ''")" = 3 ] ||
  die "host facts missing: $(q "SELECT * FROM hosts")"
echo "samples: $(q "SELECT host, count(*) FROM samples GROUP BY host ORDER BY host" | tr '\n' ' ')"

# --- the report reads PostgreSQL and shows each host --------------------
if command -v Rscript >/dev/null; then
  $PVBENCH report --db "$URL" --out "$TMP/report" > "$TMP/report.out" 2>&1 || { cat "$TMP/report.out"; die "pvbench report failed"; }
  cat "$TMP/report/per-host.txt"
  grep -q "^h2 " "$TMP/report/per-host.txt" || die "no per-host view"
  grep -q "per host" "$TMP/report/index.html" || die "no per-host section in the report"
else
  echo "(R is not installed: the report is not checked)"
fi

# --- an unreachable host and one whose host key is not the known one:
# one line each, non-zero -----------------------------------------------
inventory h3=$net.13 h9=$net.99 > "$TMP/unreach.ini"
echo "$net.13 $(cut -d' ' -f1,2 "$S/host_h1.pub")" > "$S/known_hosts.bad"
sed -i "s|^h3 .*|& ansible_ssh_common_args='-o UserKnownHostsFile=$S/known_hosts.bad -o GlobalKnownHostsFile=/dev/null'|" \
  "$TMP/unreach.ini"
fleet "$TMP/unreach.ini" > "$TMP/un.out" 2>&1 && die "an unreachable host: status 0"
cat "$TMP/un.out"
[ "$(grep -c "host h9" "$TMP/un.out")" = 1 ] && grep -q "^pvbench fleet: host h9 lost: unreachable: .*$net.99" "$TMP/un.out" ||
  die "an unreachable host: not one clear line"
[ "$(grep -c "host h3" "$TMP/un.out")" = 1 ] && grep -q "^pvbench fleet: host h3 lost: unreachable: .*Host key verification failed" "$TMP/un.out" ||
  die "a host with another host key: not one clear line"
# --- --trace: the pvos repetitions' LTTng sessions go to one lttng-relayd
# started by the fleet run; pvtrace summarises each host and all ---------
if [ -c /dev/kvm ] && command -v lttng-relayd >/dev/null && command -v lttng >/dev/null &&
   [ -f "$BUILD/lib/libpvmon-tp.so" ] && ! $PVBENCH rep --probe | grep -q " kvm=none "; then
  printf 'fleet replicate\npvos hcall 1 reps=1\n' > "$TMP/trace.suite"
  (cd "$TMP" && $PVBENCH fleet run --inventory "$TMP/fleet.ini" --suite "$TMP/trace.suite" --db "$URL" --trace \
     --limit h1:h3 > "$TMP/trace.out" 2>&1); rc=$?
  cat "$TMP/trace.out"
  [ $rc = 0 ] || die "fleet run --trace: status $rc"
  events() { sed -n "s/^pvbench fleet: traces of $1: events \([0-9]*\) .*/\1/p" "$TMP/trace.out"; }
  e1=$(events h1) e3=$(events h3) all=$(events "all hosts")
  [ -n "$e1" ] && [ -n "$e3" ] && [ "$e1" -gt 0 ] && [ "$e3" -gt 0 ] ||
    die "--trace: no events from h1 or h3: $(q "SELECT host, status, reason FROM cells WHERE run_id = 3")"
  [ "$all" = $((e1 + e3)) ] || die "--trace: all hosts ($all events) is not h1 + h3 ($e1 + $e3)"
  ls "$TMP"/traces/fleet-run*/relayd/*/h1/cell*-rep1 >/dev/null || die "--trace: no h1 trace in the relayd's tree"
  [ "$(q "SELECT count(*) FROM traces WHERE path LIKE 'net://%'")" = 2 ] || die "--trace: traces not recorded"
else
  echo "(no KVM, LTTng or tracepoint provider here: --trace is not checked)"
fi

# --- pvbench run on one host writes to PostgreSQL as well --------------
printf 'native cpu 1 reps=1\n' > "$TMP/one.suite"
$PVBENCH run --suite "$TMP/one.suite" --db "$URL" > "$TMP/one.out" 2>&1 || { cat "$TMP/one.out"; die "pvbench run into PostgreSQL"; }
[ "$(q "SELECT count(*) FROM samples s JOIN cells c ON c.id = s.cell_id JOIN runs r ON r.id = c.run_id
        WHERE r.suite LIKE '%one.suite' AND c.host = '' AND c.status = 'done'")" -gt 0 ] ||
  die "pvbench run stored no samples in PostgreSQL"
echo "PASS ($((SECONDS)) s)"
