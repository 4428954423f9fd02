# Two domains ping-pong over an inter-domain event channel.
. tests/lib.sh
need_kvm
a=$(domcfg ping "prog=pingpong role=ping peer=2 n=300")
b=$(domcfg pong "prog=pingpong role=pong peer=1 n=300")
out=$($PVMON run "$a" "$b" 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] || die "exit status $rc"
echo "$out" | grep -q "\[ping\] ping: 300 round trips" || die "ping did not finish"
echo "$out" | grep -q "\[pong\] pong: answered 300 events" || die "pong did not answer 300 events"
echo PASS
