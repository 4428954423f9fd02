# pvos exercises the hypercalls from inside a domain: time, events, timers,
# poll, preemptive threads, processes with system calls, multicall, vCPUs.
. tests/lib.sh
need_kvm
run_prog() {  # run_prog NAME CMDLINE EXPECT [extra cfg lines]
  local name=$1 cmd=$2 expect=$3; shift 3
  cfg=$(domcfg "$name" "$cmd" "$@")
  out=$(timeout 120 $PVMON run "$cfg" 2>&1); rc=$?
  echo "$out" | sed 's/^/  /'
  [ $rc -ne 124 ] || die "$name: the domain did not end in 120 s"
  [ $rc -eq 0 ] || die "$name: exit status $rc"
  echo "$out" | grep -q "$expect" || die "$name: output lacks '$expect'"
}
run_prog time "prog=time" "time: ok"   # its tickless sleep hangs the domain if idle arms no timer
run_prog evtchn "prog=evtchn" "evtchn: .* ok"
run_prog threads "prog=threads" "threads: context_switches"
run_prog procs "prog=procs" "procs: pid 1 exit 11, pid 2 exit 22"
run_prog cpu "prog=cpu" "cpu: sort .* ok"
run_prog hcall "prog=hcall n=200" "hcall: multicall batch=256"
run_prog misc "prog=misc" "misc: ok"
run_prog vcpus "prog=vcpus" "vcpus: up=0 again=-16 count=1000000" "vcpus = 2"
echo PASS
