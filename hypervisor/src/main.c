/* pvmon command line: `run` boots domains and waits for them, `daemon`
 * serves the control socket for pvctl, `info` reports what the host offers. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <limits.h>
#include <unistd.h>
#include "console.h"
#include "control.h"
#include "dom0.h"
#include "domain.h"
#include "fastpath.h"
#include "kvm.h"
#include "limits.h"
#include "numparse.h"
#include "pvmon.h"
#include "pvmon_domstats.h"
#include "sched.h"
#include "pvtime.h"
#include "trace.h"
#include "xen_domain.h"
#include "xenstore_sock.h"
#include "../../tracing/tracectl.h"

#define PVLAB_VERSION "0.1.0"

static void usage(FILE *f)
{
	fprintf(f,
	"usage: pvmon [OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
	"  run CFG...      boot the domains in the config files, stream their consoles\n"
	"                  (each line prefixed with the domain name) and exit when all\n"
	"                  have shut down, with the first non-zero exit code (%d for a\n"
	"                  crashed domain)\n"
	"  daemon          serve the control socket for pvctl until SIGTERM/SIGINT\n"
	"  info            print what this host's KVM offers pvmon\n"
	"  xenstored       serve only the xenstore socket (no domains, no KVM needed)\n"
	"                  until SIGTERM/SIGINT: for Domain 0's tools and their tests\n"
	"options:\n"
	"  --sched bvt|rr  vCPU scheduler (default bvt)\n"
	"  --pcpus N       physical CPUs pvmon schedules vCPUs on (default: all online)\n"
	"  --socket PATH   control socket (daemon; default $PVLAB_SOCKET or /run/pvlab/pvmon.sock)\n"
	"  --xenstore PATH|off  run, daemon, xenstored: the Unix socket where Domain 0\n"
	"                  reaches pvmon's xenstore, in xenstored's wire protocol\n"
	"                  (xenstore-utils work with XENSTORED_PATH=PATH); default\n"
	"                  %s, beside the control socket (run goes\n"
	"                  on without it where another process serves that, saying so\n"
	"                  on a terminal); off: none\n"
	"  --idle-timeout S  daemon: close a control connection idle for S seconds (default %d;\n"
	"                  0 never); at most %d connections are served at once\n"
	"  --stats         print per-domain accounting when each domain ends\n"
	"  --stats-json FILE  the same accounting, one JSON object a line, into FILE\n"
	"  --quiet         run: do not echo consoles (history is still kept)\n"
	"  --console-counters  run: stamp each console line with the domain's counters when\n"
	"                  pvmon took it from the guest: \"[name] {exits=N hypercalls=N ...} text\"\n"
	"  --trace DIR     run: record the run with LTTng into DIR (CTF; read it with pvtrace\n"
	"                  or babeltrace2), or send it to an lttng-relayd: net://HOST[:CTRL:DATA]/PATH;\n"
	"                  lost events are reported at the end\n"
	"  --trace-events LIST  groups for --trace: all (default), hypercall, sched, tlb,\n"
	"                  pageflip, pvnet, exit, evtchn, domain, xen (a Linux PV domain's own);\n"
	"                  comma-separated\n"
	"  --fast-path auto|off  auto (default, or $PVLAB_FAST_PATH): deliver exceptions and\n"
	"                  system calls in the guest through the entry stub where this host\n"
	"                  allows it (pvmon info says); off: the baseline callback frames;\n"
	"                  for a Linux PV domain also its processes' system calls, page\n"
	"                  faults, irets and the kernel's port I/O served by the Xen-mode stub\n"
	"  -h, --help      this text;  --version  print the version\n"
	"config keys: name, memory (MiB), vcpus, kernel, ramdisk (Linux PV), cmdline, weight, warp, warpl, warpu,\n"
	"  disk = [ \"file:PATH,xvdX,w|r\", ... ] (Linux PV: a virtual block device on the host file PATH)\n",
	PV_EXIT_CRASHED, xenstore_default_socket(), CTL_IDLE_S, CTL_MAX_CLIENTS);
}

static int die(const char *fmt, const char *arg)
{
	fprintf(stderr, "pvmon: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 1;
}

static uint64_t host_avail_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kb = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb / 1024;
}

static bool opt_stats;
static bool opt_console_counters;

/* A domain's record of hypervisor/include/pvmon_domstats.h, and the
 * counters behind it (the text line prints some of those too). */
static void domstat_record(struct domain *d, struct domain_stats *s, uint64_t v[DOMSTAT_NR])
{
	domain_stats(d, s);
	const uint64_t r[DOMSTAT_NR] = {
		[DOMSTAT_RUN_NS] = s->run_ns, [DOMSTAT_WAIT_NS] = s->wait_ns, [DOMSTAT_BLOCKED_NS] = s->blocked_ns,
		[DOMSTAT_HYPERCALLS] = s->hypercalls, [DOMSTAT_UPCALLS] = s->upcalls, [DOMSTAT_EXITS] = s->exits,
		[DOMSTAT_EVENTS_SENT] = atomic_load(&d->events_sent), [DOMSTAT_BOOT_NS] = atomic_load(&d->boot_ns),
		[DOMSTAT_KVM_EXITS] = s->kvm[KS_EXITS], [DOMSTAT_KVM_INSN_EMULATION] = s->kvm[KS_INSN_EMULATION],
		[DOMSTAT_KVM_IO_EXITS] = s->kvm[KS_IO_EXITS], [DOMSTAT_KVM_HALT_EXITS] = s->kvm[KS_HALT_EXITS],
		[DOMSTAT_KVM_MMIO_EXITS] = s->kvm[KS_MMIO_EXITS],
	};
	memcpy(v, r, sizeof(r));
}

static void print_stats(struct domain *d)
{
	struct domain_stats s;
	uint64_t v[DOMSTAT_NR];
	domstat_record(d, &s, v);
	/* What the fast path's entry stub did in the guest, without exits. */
	char stub[2048] = "";   /* Xen mode: its blk and net lines too */
	struct fp_stats f;
	fastpath_stats(d, &f);
	if (d->fp)
		snprintf(stub, sizeof(stub), "; stub: system calls %llu exceptions %llu upcalls %llu irets %llu "
		         "cr3 loads %llu", (unsigned long long)f.syscalls, (unsigned long long)f.traps,
		         (unsigned long long)f.events, (unsigned long long)f.irets, (unsigned long long)f.cr3_loads);
	else if (d->xen)
		xen_stats(d, stub, sizeof(stub));
	fprintf(stderr, "pvmon: domain %s (%u) %s code %d: run %.3fs wait %.3fs blocked %.3fs "
	        "hypercalls %llu upcalls %llu exits %llu boot %.3fms; kvm: exits %llu insn_emulation %llu "
	        "io_exits %llu halt_exits %llu%s; mm: updates %llu rejected %llu trapped writes %llu "
	        "tlb flushes %llu shadow drops %llu pages %llu page flips %llu\n",
	        d->cfg.name, d->id, atomic_load(&d->state) == DS_CRASHED ? "crashed" : "exited", d->exit_code,
	        v[DOMSTAT_RUN_NS] / 1e9, v[DOMSTAT_WAIT_NS] / 1e9, v[DOMSTAT_BLOCKED_NS] / 1e9,
	        (unsigned long long)v[DOMSTAT_HYPERCALLS], (unsigned long long)v[DOMSTAT_UPCALLS],
	        (unsigned long long)v[DOMSTAT_EXITS], v[DOMSTAT_BOOT_NS] / 1e6,
	        (unsigned long long)v[DOMSTAT_KVM_EXITS], (unsigned long long)v[DOMSTAT_KVM_INSN_EMULATION],
	        (unsigned long long)v[DOMSTAT_KVM_IO_EXITS], (unsigned long long)v[DOMSTAT_KVM_HALT_EXITS], stub,
	        (unsigned long long)s.mmu_updates, (unsigned long long)s.mmu_rejected,
	        (unsigned long long)s.pt_writes, (unsigned long long)s.tlb_flushes,
	        (unsigned long long)s.tlb_zaps, (unsigned long long)s.mem_pages,
	        (unsigned long long)s.page_flips);
}

static int stats_json_fd = -1;

/* --stats-json: one line per domain, built whole and written with one
 * write() on an O_APPEND descriptor, so that domains ending at the same
 * time on different threads never interleave their lines. */
static void write_stats_json(struct domain *d)
{
	struct domain_stats s;
	uint64_t v[DOMSTAT_NR];
	domstat_record(d, &s, v);
	char line[1024];
	int n = snprintf(line, sizeof(line), "{\"name\": \"%s\", \"id\": %u, \"state\": \"%s\", \"exit_code\": %d",
	                 d->cfg.name, d->id, atomic_load(&d->state) == DS_CRASHED ? "crashed" : "exited", d->exit_code);
	for (int i = 0; i < DOMSTAT_NR && n > 0 && (size_t)n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, ", \"%s\": %llu", pvmon_domstat_key(i),
		              (unsigned long long)v[i]);
	if (n > 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, "}\n");
	if (n > 0 && (size_t)n < sizeof(line) && write(stats_json_fd, line, (size_t)n) != n)
		fprintf(stderr, "pvmon: --stats-json: write failed: %s\n", strerror(errno));
}

static void on_exit_stats(struct domain *d)
{
	if (opt_stats)
		print_stats(d);
	if (stats_json_fd >= 0)
		write_stats_json(d);
}

static volatile sig_atomic_t got_signal;
/* Async-signal-safe: only a flag; wait_domains() polls it every 200 ms. */
static void on_signal(int sig)
{
	got_signal = sig;
}

static void destroy_all(void)
{
	for (uint32_t id = 1; id < MAX_DOMAINS; id++) {
		struct domain *d = domain_get(id);
		if (d) {
			domain_shutdown(d, 130);
			domain_put(d);
		}
	}
}

/* Wait until no domain is alive (or a signal asks us to stop them). */
static void wait_domains(bool forever)
{
	pthread_mutex_lock(&host.exit_lock);
	while ((forever || domain_count() > 0)) {
		if (got_signal) {
			pthread_mutex_unlock(&host.exit_lock);
			destroy_all();
			pthread_mutex_lock(&host.exit_lock);
			if (forever)
				forever = false;
			got_signal = 0;
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&host.exit_cond, &host.exit_lock, &ts);
	}
	pthread_mutex_unlock(&host.exit_lock);
}

static int start_host(const char *sched_name, int pcpus)
{
	char err[256];
	const struct sched_ops *ops = sched_find(sched_name);
	if (!ops)
		return die("unknown scheduler '%s' (use bvt or rr)", sched_name);
	if (pcpus < 1 || pcpus > SCHED_MAX_SLOTS)
		return die("--pcpus must be 1..256, got %s", "out of range");
	time_init();
	vcpu_signals_init();
	trace_init();
	if (kvm_host_init(pcpus, err, sizeof(err)))
		return die("%s", err);
	fastpath_probe(0);
	if (sched_init(ops, pcpus))
		return die("cannot start the %s scheduler", sched_name);
	return 0;
}

static const char *opt_xenstore;

/* One store per pvmon (pvmon_store, xenstore.h): domain_start introduces
 * each domain, its end releases it. Domain 0 reaches it on a Unix socket.
 * Where run was given no path and another process serves the default, run
 * goes on without a socket (several runs on one host are common, and their
 * callers count stderr lines): it says so on a terminal only. */
static int start_xenstore(bool required)
{
	pvmon_store = xs_store_new(NULL);
	if (!pvmon_store)
		return die("%s", "xenstore: out of memory");
	if (opt_xenstore && !strcmp(opt_xenstore, "off"))
		return 0;
	const char *path = opt_xenstore ? opt_xenstore : xenstore_default_socket();
	int rc = xenstore_sock_start(pvmon_store, path);
	if (!rc)
		return 0;
	char msg[512];
	snprintf(msg, sizeof(msg), "--xenstore %s: %s", path, rc == -EADDRINUSE ?
	         "another pvmon or xenstored serves this socket (stop it, or give --xenstore PATH or off)" :
	         rc == -EEXIST ? "a file that is not a socket is in the way" : strerror(-rc));
	if (!required && !opt_xenstore) {
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "pvmon: %s; this run serves no xenstore socket\n", msg);
		return 0;
	}
	return die("%s", msg);
}

static const char *opt_trace_dir, *opt_trace_events;
static char trace_session[64];

/* --trace: the session starts before the provider registers (start_host). */
static int run_trace_start(void)
{
	char err[512], url[4200];
	if (!strncmp(opt_trace_dir, "net://", 6))      /* an lttng-relayd (pvbench fleet --trace) */
		snprintf(url, sizeof(url), "%s", opt_trace_dir);
	else if (mkdir(opt_trace_dir, 0755) && errno != EEXIST)
		return die("--trace %s: cannot create the directory", opt_trace_dir);
	else if (!realpath(opt_trace_dir, url))
		return die("--trace %s: no such directory", opt_trace_dir);
	/* the pid alone is not unique: pvbench runs pvmon as pid 2 of a PID
	 * namespace, and fleet hosts on one machine share a session daemon */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(trace_session, sizeof(trace_session), "pvmon-run-%d-%lld%09ld", (int)getpid(), (long long)now.tv_sec,
	         now.tv_nsec);
	/* This pvmon only: other pvmon processes on the host stay out of its trace. */
	if (tracectl_start_self(trace_session, url, opt_trace_events, err, sizeof(err)))
		return die("--trace: %s", err);
	return 0;
}

static void run_trace_stop(void)
{
	char err[512];
	uint64_t lost = 0;
	if (tracectl_stop(trace_session, &lost, err, sizeof(err)))
		fprintf(stderr, "pvmon: --trace: %s\n", err);
	else
		fprintf(stderr, "pvmon: trace written to %s: %llu events lost\n", opt_trace_dir, (unsigned long long)lost);
}

/* After the second domain: do the rest fit in the descriptor limit, at
 * what the second one took (per vCPU as much again)? 0, or -EMFILE with
 * one line in err saying how many would. */
static int fits_fds(const struct dom_config *cfg, int n, int second, char *err, size_t errlen)
{
	uint64_t need = 0, per = second > 0 ? (uint64_t)second : LIMITS_FDS_PER_DOMAIN(cfg[1].vcpus);
	for (int i = 2; i < n; i++)
		need += (per * cfg[i].vcpus + cfg[1].vcpus - 1) / cfg[1].vcpus;
	uint64_t left = limits_domains_left(1), soft, hard;
	if (need <= left)
		return 0;
	limits_nofile(&soft, &hard);
	snprintf(err, errlen, "%d domains need about %llu more file descriptors (%llu each) but the limit of %llu "
	         "(hard %llu) leaves %llu: about %llu domains fit; raise it (ulimit -n) or run fewer",
	         n, (unsigned long long)need, (unsigned long long)per, (unsigned long long)soft,
	         (unsigned long long)hard, (unsigned long long)left,
	         (unsigned long long)(2 + left / (per ? per : 1)));
	return -EMFILE;
}

static int cmd_run(int argc, char **argv, const char *sched_name, int pcpus, bool quiet)
{
	if (argc < 1)
		return die("%s", "run: give at least one domain config file (see --help)"), 2;
	int n = argc;
	struct dom_config *cfg = calloc((size_t)n, sizeof(*cfg));
	char err[1200];
	uint64_t total = 0;
	for (int i = 0; i < n; i++) {
		if (config_load(argv[i], &cfg[i], err, sizeof(err))) {
			free(cfg);
			return die("%s", err);
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(cfg[i].name, cfg[j].name)) {
				snprintf(err, sizeof(err), "%s: domain name '%s' is already used by %s", argv[i], cfg[i].name, argv[j]);
				free(cfg);
				return die("%s", err);
			}
		total += cfg[i].memory_mib;
	}
	uint64_t avail = host_avail_mib();
	if (avail && total > avail) {
		snprintf(err, sizeof(err), "the domains need %llu MiB but the host has %llu MiB available",
		         (unsigned long long)total, (unsigned long long)avail);
		free(cfg);
		return die("%s", err);
	}
	if (opt_trace_dir && run_trace_start()) {
		free(cfg);
		return 1;
	}
	if (start_host(sched_name, pcpus) || start_xenstore(false)) {
		if (opt_trace_dir)
			run_trace_stop();
		free(cfg);
		return 1;
	}
	struct domain **doms = calloc((size_t)n, sizeof(*doms));
	int fds1 = -1;           /* open after the first domain (which also opens pvmon's one-time ones) */
	for (int i = 0; i < n; i++) {
		doms[i] = domain_create(&cfg[i], quiet ? NULL : stdout, err, sizeof(err));
		if (doms[i] && i == 0)
			fds1 = limits_open_fds();
		if (doms[i] && i == 1 && fds1 >= 0 && fits_fds(cfg, n, limits_open_fds() - fds1, err, sizeof(err))) {
			domain_put(doms[1]);
			doms[1] = NULL;
		}
		if (!doms[i]) {
			fprintf(stderr, "pvmon: %s: %s\n", i ? argv[i] : "run", err);
			for (int j = 0; j < i; j++)
				domain_put(doms[j]);
			free(doms);
			free(cfg);
			xenstore_sock_stop();
			return 1;
		}
		atomic_fetch_add(&doms[i]->refs, 1);    /* ours, for the exit code */
		doms[i]->on_exit = on_exit_stats;
		if (opt_console_counters && doms[i]->console)
			console_set_stamp(doms[i]->console, domain_console_counters, doms[i]);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (int i = 0; i < n; i++)
		domain_start(doms[i]);
	wait_domains(false);
	int status = 0;
	for (int i = 0; i < n; i++) {
		if (!status && doms[i]->exit_code)
			status = doms[i]->exit_code;
		domain_put(doms[i]);
	}
	free(doms);
	free(cfg);
	xenstore_sock_stop();
	if (opt_trace_dir)
		run_trace_stop();
	return status;
}

static int cmd_daemon(const char *sched_name, int pcpus, const char *sock)
{
	if (start_host(sched_name, pcpus))
		return 1;
	if (!sock)
		sock = control_default_socket();
	dom0_on_exit = on_exit_stats;
	int rc = control_start(sock, &dom0_ops, NULL);
	if (rc) {
		fprintf(stderr, "pvmon: cannot serve %s: %s\n", sock, strerror(-rc));
		return 1;
	}
	if (start_xenstore(true)) {
		control_stop();
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "pvmon: daemon ready on %s (scheduler %s, %d pcpus)\n", sock, sched_name, pcpus);
	wait_domains(true);
	/* Give the domains a moment to stop, then leave. */
	for (int i = 0; i < 50 && domain_count() > 0; i++)
		usleep(20000);
	xenstore_sock_stop();
	control_stop();
	return 0;
}

/* The store and its socket alone: what Domain 0's tools see of pvmon,
 * testable where there is no KVM. */
static int cmd_xenstored(void)
{
	if (start_xenstore(true))
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "pvmon: xenstore ready on %s\n",
	        opt_xenstore && strcmp(opt_xenstore, "off") ? opt_xenstore : xenstore_default_socket());
	while (!got_signal)
		pause();
	xenstore_sock_stop();
	return 0;
}

static int cmd_info(int pcpus)
{
	char err[256];
	time_init();
	trace_init();
	printf("pvmon %s, ABI %d.%d\n", PVLAB_VERSION, PV_ABI_MAJOR, PV_ABI_MINOR);
	if (kvm_host_init(pcpus, err, sizeof(err))) {
		printf("kvm: unavailable: %s\n", err);
		printf("fast path: none (no KVM: %s)\n", err);
		printf("linux pv: no (no KVM: %s)\n", err);
		return 1;
	}
	double ns = 0;
	kvm_measure_exit(2000, &ns, err, sizeof(err));
	printf("kvm: backend %s, API %d, vcpu run area %d bytes\n", kvm_backend(), KVM_API_VERSION, host.run_size);
	printf("kvm: page tables: %s (%s)\n", host.tdp ? "writable pool slot, guest mappings of pool frames "
	       "read-only" : "read-only pool slot", host.paging);
	printf("kvm: I/O exits leave RIP %s the instruction\n", host.pio_rip_advanced ? "after" : "at");
	printf("kvm: guest TSC %llu kHz\n", (unsigned long long)host.tsc_khz);
	printf("kvm: port-I/O exit round trip %.2f us\n", ns / 1000);
	printf("pcpus: %d\n", pcpus);
	uint64_t soft, hard;
	limits_nofile(&soft, &hard);
	printf("limits: %llu file descriptors (hard %llu): about %llu more domains of 1 vCPU (%llu each)\n",
	       (unsigned long long)soft, (unsigned long long)hard,
	       (unsigned long long)limits_domains_left(LIMITS_FDS_PER_DOMAIN(1)),
	       (unsigned long long)LIMITS_FDS_PER_DOMAIN(1));
	printf("tracing: LTTng-UST provider %s\n", trace_provider_loaded() ? "loaded" : "not loaded");
	fastpath_probe(2000);
	if (fp_host.found)
		printf("%s: syscall into the entry stub and back %.2f us, a CR3 load from it %.2f us (probe)\n",
		       fastpath_kind_name(fp_host.found), fp_host.syscall_us, fp_host.cr3_us);
	printf("fast path: %s\n", fastpath_info());
	if (xen_pvm_modes())
		printf("pvm modes: %s\n", xen_pvm_modes());
	printf("linux pv: %s\n", xen_support());
	return 0;
}

static struct {
	const char *sched_name, *sock;
	int pcpus;
	bool quiet;
} opt = { .sched_name = "bvt" };

/* Options, before the command and after it (getopt stops at the first
 * word that is not one). -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sched", required_argument, 0, 's' }, { "pcpus", required_argument, 0, 'p' },
		{ "socket", required_argument, 0, 'S' }, { "stats", no_argument, 0, 't' },
		{ "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' }, { "trace", required_argument, 0, 'T' },
		{ "trace-events", required_argument, 0, 'E' }, { "stats-json", required_argument, 0, 'J' },
		{ "fast-path", required_argument, 0, 'F' }, { "idle-timeout", required_argument, 0, 'I' },
		{ "console-counters", no_argument, 0, 'C' }, { "xenstore", required_argument, 0, 'X' },
		{ 0, 0, 0, 0 },
	};
	int c;
	opterr = 0;          /* one line of ours instead of getopt's and the usage */
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's': opt.sched_name = optarg; break;
		case 'p':
			if (num_int(optarg, 1, SCHED_MAX_SLOTS, &opt.pcpus))
				return die("--pcpus: '%s' is not a number in 1..256", optarg), 2;
			break;
		case 'S': opt.sock = optarg; break;
		case 'X': opt_xenstore = optarg; break;
		case 'I': {
			int v;
			if (num_int(optarg, 0, 86400, &v))
				return die("--idle-timeout: '%s' is not a number of seconds in 0..86400", optarg), 2;
			control_set_idle_timeout(v);
			break;
		}
		case 't': opt_stats = true; break;
		case 'C': opt_console_counters = true; break;
		case 'F':
			if (fastpath_set_mode(optarg))
				return die("--fast-path: '%s' is not auto or off", optarg), 2;
			break;
		case 'J':
			stats_json_fd = open(optarg, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
			if (stats_json_fd < 0)
				return die("--stats-json: cannot open '%s'", optarg);
			break;
		case 'q': opt.quiet = true; break;
		case 'T': opt_trace_dir = optarg; break;
		case 'E': {
			char pats[16][64], err[256];
			if (tracectl_patterns(optarg, pats, 16, err, sizeof(err)) < 0)
				return die("--trace-events: %s", err), 2;
			opt_trace_events = optarg;
			break;
		}
		case 'h': usage(stdout); return 0;
		case 'V': printf("pvmon %s\n", PVLAB_VERSION); return 0;
		case ':': return die("option '%s' needs a value (try --help)", argv[optind - 1]), 2;
		default: return die("unknown option '%s' (try --help)", argv[optind - 1]), 2;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	opt.pcpus = get_nprocs();
	setvbuf(stdout, NULL, _IOLBF, 0);
	limits_init();
	if (fastpath_set_mode(NULL))
		return die("PVLAB_FAST_PATH: '%s' is not auto or off", getenv("PVLAB_FAST_PATH")), 2;
	int rc = parse_options(argc, argv);
	if (rc >= 0)
		return rc;
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind++];
	if ((rc = parse_options(argc, argv)) >= 0)
		return rc;
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - optind, argv + optind, opt.sched_name, opt.pcpus, opt.quiet);
	bool known = !strcmp(cmd, "daemon") || !strcmp(cmd, "info") || !strcmp(cmd, "help") ||
	             !strcmp(cmd, "xenstored");
	if (known && optind < argc) {
		char what[300];
		snprintf(what, sizeof(what), "%s takes no arguments, got '%.200s' (options go before or right after it)",
		         cmd, argv[optind]);
		return die("%s", what), 2;
	}
	if (!strcmp(cmd, "daemon"))
		return cmd_daemon(opt.sched_name, opt.pcpus, opt.sock);
	if (!strcmp(cmd, "info"))
		return cmd_info(opt.pcpus);
	if (!strcmp(cmd, "xenstored"))
		return cmd_xenstored();
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	die("unknown command '%s' (try --help)", cmd);
	return 2;
}
