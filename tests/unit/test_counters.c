/* Unit test of libpvcounters: the set opens (hardware where there is a
 * PMU, else software with a note saying so), counts what this thread
 * visibly does (CPU time spun, pages touched, sleeps), resets on start,
 * follows children with inherit, and refuses a task that does not exist. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../tracing/counters.h"
#include "check.h"

static int find(const struct pvc *c, const char *name)
{
	for (int i = 0; i < pvc_count(c); i++)
		if (!strcmp(pvc_name(c, i), name))
			return i;
	return -1;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void spin_cpu(uint64_t ns)
{
	uint64_t t0 = thread_cpu_ns();
	volatile uint64_t x = 0;
	while (thread_cpu_ns() - t0 < ns)
		for (int i = 0; i < 1000; i++)
			x += (uint64_t)i;
}

static void touch_pages(int n)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, (size_t)(n * pg), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	for (int i = 0; i < n; i++)
		p[(long)i * pg] = 1;
	munmap(p, (size_t)(n * pg));
}

static void test_self(struct pvc *c)
{
	CHECK(pvc_count(c) >= 4);
	CHECK(pvc_note(c)[0] != '\0');
	printf("note: %s\n", pvc_note(c));
	CHECK_EQ(pvc_start(c), 0);
	spin_cpu(20000000);
	touch_pages(300);
	for (int i = 0; i < 5; i++)
		usleep(1000);
	CHECK_EQ(pvc_stop(c), 0);
	for (int i = 0; i < pvc_count(c); i++)
		printf("  %-18s %llu %s\n", pvc_name(c, i), (unsigned long long)pvc_value(c, i), pvc_unit(c, i));
	if (pvc_hardware(c)) {
		CHECK(pvc_value(c, find(c, "cycles")) > 1000000);
		CHECK(pvc_value(c, find(c, "instructions")) > 1000000);
		return;
	}
	CHECK(strstr(pvc_note(c), "software events") != NULL);
	int clk = find(c, "task-clock"), pf = find(c, "page-faults"), cs = find(c, "context-switches");
	CHECK(clk >= 0 && pf >= 0 && cs >= 0 && find(c, "cpu-migrations") >= 0);
	CHECK_STR(pvc_unit(c, clk), "ns");
	/* The kernel's own accounting of the same thread: at least the spin. */
	CHECK(pvc_value(c, clk) >= 19000000);
	CHECK(pvc_value(c, pf) >= 300);
	CHECK(pvc_value(c, cs) >= 5);
	uint64_t before = pvc_value(c, clk);
	CHECK_EQ(pvc_start(c), 0);              /* resets */
	CHECK_EQ(pvc_stop(c), 0);
	CHECK(pvc_value(c, clk) < before);
	CHECK(pvc_value(c, pf) < 300);
}

static void test_inherit(void)
{
	char err[256];
	struct pvc *c = pvc_open(0, true, err, sizeof(err));
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ(pvc_start(c), 0);
	pid_t pid = fork();
	if (pid == 0) {
		touch_pages(500);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK_EQ(pvc_stop(c), 0);
	int pf = find(c, pvc_hardware(c) ? "cycles" : "page-faults");
	CHECK(pf >= 0 && pvc_value(c, pf) >= 500);
	pvc_close(c);
}

int main(void)
{
	char err[256];
	struct pvc *c = pvc_open(0, false, err, sizeof(err));
	if (!c && (strstr(err, "ermission") || strstr(err, "not permitted"))) {
		printf("SKIP: perf_event_open is not allowed here: %s\n", err);
		return 77;
	}
	CHECK(c != NULL);
	if (!c) {
		fprintf(stderr, "pvc_open: %s\n", err);
		return CHECK_DONE();
	}
	test_self(c);
	pvc_close(c);
	/* Opened twice: the verdict on the PMU is the same, said the same way. */
	struct pvc *d = pvc_open(0, false, err, sizeof(err));
	CHECK(d != NULL);
	pvc_close(d);
	test_inherit();
	CHECK(pvc_open(999999999, false, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "999999999") != NULL);
	pvc_close(NULL);
	return CHECK_DONE();
}
