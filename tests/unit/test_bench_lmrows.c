/* lmrows.c: workloads/lmbench.c's lines read with and without pvmon's
 * counter stamps; counters per operation from a row's begin and result
 * lines; malformed stamps and begin lines counted, never taken. */
#include "../../bench/lmrows.h"
#include "check.h"

static void feed(struct lm_side *s, const char *text)
{
	char line[512];
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		lm_parse_line(s, line);
		p += n + (p[n] == '\n');
	}
}

int main(void)
{
	/* Native: no stamps, values but no counts. */
	struct lm_side nat = { 0 };
	feed(&nat, "lmbench: begin null_syscall ops=600\nlmbench: null_syscall 165 ns\n"
	           "lmbench: begin pipe_bw ops=512\nlmbench: pipe_bw 4000 MB/s\nlmbench: done\n");
	CHECK(nat.done);
	CHECK_EQ(nat.bad, 0);
	CHECK(nat.rows[0].ok);
	CHECK_EQ(nat.rows[0].v, 165);
	CHECK_STR(nat.rows[0].unit, "ns");
	CHECK_EQ(nat.rows[0].ops, 600);
	CHECK(!lm_row_counted(&nat.rows[0]));
	CHECK_STR(nat.rows[7].unit, "MB/s");

	/* A Linux PV domain under pvmon --console-counters. */
	struct lm_side pv = { 0 };
	feed(&pv, "[lmlinux] {exits=1000 hypercalls=400 pt_writes=10 mmu_updates=7 bounces=300 emulated=20} "
	          "lmbench: begin null_syscall ops=600\n"
	          "[lmlinux] {exits=2203 hypercalls=1003 pt_writes=10 mmu_updates=7 bounces=903 emulated=20} "
	          "lmbench: null_syscall 98000 ns\n"
	          "[lmlinux] {exits=2300 hypercalls=1050 pt_writes=10 mmu_updates=7 bounces=950 emulated=20} "
	          "lmbench: begin fork_exec ops=5\n"
	          "[lmlinux] {exits=4300 hypercalls=1550 pt_writes=1010 mmu_updates=507 bounces=1950 emulated=1030} "
	          "lmbench: fork_exec 9000 us\n"
	          "[lmlinux] {exits=4301 hypercalls=1551 pt_writes=1010 mmu_updates=507 bounces=1951 emulated=1030} "
	          "lmbench: done\n");
	CHECK(pv.done);
	CHECK_EQ(pv.bad, 0);
	const struct lm_row *r = &pv.rows[0];
	CHECK(r->ok && lm_row_counted(r));
	CHECK(r->per_op[CONSCNT_EXITS] == 1203.0 / 600);
	CHECK(r->per_op[CONSCNT_HYPERCALLS] == 603.0 / 600);
	CHECK(r->per_op[CONSCNT_BOUNCES] == 603.0 / 600);
	CHECK(r->has[CONSCNT_PT_WRITES] && r->per_op[CONSCNT_PT_WRITES] == 0);
	r = &pv.rows[6];
	CHECK_EQ(r->per_op[CONSCNT_EXITS], 400);
	CHECK_EQ(r->per_op[CONSCNT_PT_WRITES], 200);
	CHECK_EQ(r->per_op[CONSCNT_MMU_UPDATES], 100);
	CHECK_EQ(r->per_op[CONSCNT_EMULATED], 202);
	CHECK(!lm_row_counted(&pv.rows[1]));                 /* never began nor ended */

	/* pvos: no Xen counters; a row without a begin line has no counts;
	 * an unsupported row has none either. */
	struct lm_side pvos = { 0 };
	feed(&pvos, "[t] {exits=3 hypercalls=3 pt_writes=0 mmu_updates=0} pvos: fast path: exceptions are delivered\n"
	            "[t] {exits=3 hypercalls=3 pt_writes=0 mmu_updates=0} lmbench: ctx_switch 5 ns\n"
	            "[t] {exits=5 hypercalls=5 pt_writes=0 mmu_updates=0} lmbench: begin page_fault ops=2\n"
	            "[t] {exits=9 hypercalls=9 pt_writes=0 mmu_updates=0} lmbench: page_fault unsupported baseline\n");
	CHECK_STR(pvos.mode, "fast path: exceptions are delivered");
	CHECK(pvos.rows[1].ok && !lm_row_counted(&pvos.rows[1]));
	CHECK(!pvos.rows[2].ok && !lm_row_counted(&pvos.rows[2]));
	CHECK_STR(pvos.rows[2].note, "baseline");
	CHECK(!pvos.rows[2].has[CONSCNT_BOUNCES]);

	/* Counters that went backwards or a key only one line has: not measured. */
	struct lm_side odd = { 0 };
	feed(&odd, "[d] {exits=10 hypercalls=5} lmbench: begin mmap_16m ops=2\n"
	           "[d] {exits=9 hypercalls=7 bounces=4} lmbench: mmap_16m 10 us\n");
	CHECK(!odd.rows[4].has[CONSCNT_EXITS]);
	CHECK(odd.rows[4].has[CONSCNT_HYPERCALLS] && odd.rows[4].per_op[CONSCNT_HYPERCALLS] == 1);
	CHECK(!odd.rows[4].has[CONSCNT_BOUNCES]);

	/* Malformed: counted as bad, the begin line not taken. */
	struct lm_side bad = { 0 };
	feed(&bad, "[d] {exits=} lmbench: begin null_syscall ops=6\n"
	           "[d] {exits=1 hypercalls=x} lmbench: null_syscall 3 ns\n"
	           "[d] {exits=1 lmbench: done\n"
	           "lmbench: begin null_syscall ops=0\n"
	           "lmbench: begin nosuchrow ops=5\n"
	           "lmbench: begin fork_exit ops=5x\n");
	CHECK_EQ(bad.bad, 6);
	CHECK(bad.rows[0].ok && !lm_row_counted(&bad.rows[0]));
	CHECK_EQ(bad.rows[5].ops, 0);

	/* lm_stamp itself: unknown keys skipped, the text after "} ". */
	uint64_t v[CONSCNT_NR] = { 0 };
	bool has[CONSCNT_NR];
	CHECK_STR(lm_stamp("{future=3 exits=42} text", v, has), "text");
	CHECK(has[CONSCNT_EXITS] && v[CONSCNT_EXITS] == 42 && !has[CONSCNT_HYPERCALLS]);
	CHECK(lm_stamp("{exits=18446744073709551616} t", v, has) == NULL);   /* past 64 bits */
	CHECK(lm_stamp("{exits=1}t", v, has) == NULL);
	CHECK(lm_stamp("exits=1} t", v, has) == NULL);
	CHECK(lm_stamp("{ex its=1} t", v, has) == NULL);
	return CHECK_DONE();
}
