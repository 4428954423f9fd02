/* Unit test of trace.c: every tracepoint is safe to call with no provider,
 * no session, before and after trace_init(); the provider loads from
 * PVLAB_TP_LIB. Modes used by other tests:
 *   --emit N   load the provider, emit N of each event (known values, see
 *              emit_all), print "emitted N" (tests/integration/trace_provider.sh)
 *   --bench N  time N calls of a disabled trace_hcall_entry, print ns/call */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../hypervisor/src/trace.h"
#include "check.h"

/* The values trace_provider.sh expects to read back, event i of N. */
static void emit_all(uint32_t i)
{
	const uint64_t args[5] = { 0x1000 + i, 2, 3, 4, UINT64_MAX };

	trace_hcall_entry(7, 3, i, args);
	trace_hcall_exit(7, 3, i, -22, 1500 + i);
	trace_hcall_reject(7, 3, i, "pointer", 0xdeadbeef, -14);
	trace_sched_switch(1, 7, 3, -1, -1, "block", 30000000);
	trace_sched_wake(7, 3, "event");
	trace_evtchn_send(7, 5, 8, 6);
	trace_vm_exit(7, 3, 2, 0x20000 + i);
	trace_domain_create(7, "dom-test", 16, 2);
	trace_domain_destroy(7, -1, true);
	trace_tlb_flush(7, 3, "all", 0);
	trace_mmu_update(7, 3, 2048, 2047, 1, 90000);
	trace_page_flip(7, 8, 0x123, 0x456);
	/* Xen mode: number 3 is Xen's stack_switch, not pvlab's event_channel_op. */
	trace_xen_hcall_entry(7, 3, 3, args);
	trace_xen_hcall_exit(7, 3, 3, -38, 700 + i);
	trace_xen_ptwr(7, 3, 0xffff888000123008ULL, 0x4a85008, 0x8000000000123067ULL, 0x8000000000123065ULL,
	               0xffffffff81071234ULL, -22);
	trace_xen_bounce(7, 3, 14, 0x401000, 0xffffffff81e00b90ULL, "exception #PF");
	trace_xen_emulate(7, 3, 0xffffffff81001234ULL, "rdmsr", 0xc0000080);
}

static const char *built_provider(char *buf, size_t len)
{
	const char *build = getenv("BUILD");

	snprintf(buf, len, "%s/lib/libpvmon-tp.so", build && build[0] ? build : "build");
	return access(buf, R_OK) == 0 ? buf : NULL;
}

static int load_or_fail(void)
{
	char path[4096];

	if (!getenv("PVLAB_TP_LIB") && built_provider(path, sizeof(path)))
		setenv("PVLAB_TP_LIB", path, 1);
	setenv("PVLAB_TRACE_VERBOSE", "1", 0);
	trace_init();
	if (!trace_provider_loaded()) {
		fprintf(stderr, "test_trace: provider not loaded (PVLAB_TP_LIB=%s)\n",
			getenv("PVLAB_TP_LIB") ? getenv("PVLAB_TP_LIB") : "unset");
		return -1;
	}
	return 0;
}

static int emit(long n)
{
	if (load_or_fail())
		return 1;
	printf("hcall_enabled %d\n", trace_hcall_enabled());
	for (long i = 0; i < n; i++)
		emit_all((uint32_t)i);
	printf("emitted %ld\n", n);
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Best of 5 runs: the cost of a call to trace_hcall_entry that no session
 * listens to (function call + load + branch), loop overhead included. */
static int bench(long n)
{
	const uint64_t args[5] = { 1, 2, 3, 4, 5 };
	double best = 1e30;

	if (load_or_fail())
		return 1;
	if (trace_hcall_enabled()) {
		fprintf(stderr, "test_trace: a session has pvmon:hcall_* enabled; --bench measures the disabled cost\n");
		return 1;
	}
	for (int run = 0; run < 5; run++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			trace_hcall_entry(1, 0, (uint32_t)i, args);
		double dt = (now_ns() - t0) / (double)n;
		best = dt < best ? dt : best;
	}
	printf("disabled trace_hcall_entry: %.2f ns/call (best of 5 x %ld)\n", best, n);
	return 0;
}

/* In a child, so that this process can still load the real provider: a
 * missing provider leaves tracing off and every call harmless. */
static void check_absent_provider(void)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		setenv("PVLAB_TP_LIB", "/nonexistent/libpvmon-tp.so", 1);
		trace_init();
		emit_all(0);
		_exit(!trace_provider_loaded() && !trace_hcall_enabled() ? 0 : 2);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	char path[4096];

	if (argc == 3 && !strcmp(argv[1], "--emit"))
		return emit(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "--bench"))
		return bench(atol(argv[2]));
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--emit N | --bench N]\n", argv[0]);
		return 2;
	}

	/* Before trace_init(): the tracepoints exist but have no probe. */
	emit_all(0);
	CHECK(!trace_provider_loaded());
	CHECK(!trace_hcall_enabled());
	check_absent_provider();

	if (!built_provider(path, sizeof(path))) {
		if (check_failures)
			return CHECK_DONE();
		printf("SKIP: %s is missing (build the tracing provider first)\n", path);
		return 77;
	}
	setenv("PVLAB_TP_LIB", path, 1);
	setenv("PVLAB_TRACE_VERBOSE", "1", 1);
	trace_init();
	trace_init();   /* idempotent */
	if (!trace_provider_loaded() && !dlopen("liblttng-ust.so.1", RTLD_NOW)) {
		if (check_failures)
			return CHECK_DONE();
		printf("SKIP: liblttng-ust.so.1 cannot be loaded (install liblttng-ust1)\n");
		return 77;
	}
	CHECK(trace_provider_loaded());
	/* Provider loaded, no session: still off, and still harmless. */
	CHECK(!trace_hcall_enabled());
	for (uint32_t i = 0; i < 4; i++)
		emit_all(i);
	trace_sched_wake(1, 0, NULL);   /* a NULL string is recorded as "(null)" */
	return CHECK_DONE();
}
