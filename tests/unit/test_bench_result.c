/* Parsers of workload output: pvos/worker console lines, the platform
 * contract, pvmon's --stats-json; malformed input is refused. */
#include <errno.h>
#include <math.h>
#include "../../bench/result.h"
#include "check.h"

static void test_console(void)
{
	struct rep_result r = { 0 };
	CHECK_EQ(parse_console(&r, "[d2] cpu: sort result=5 best_ns=1500000 ok"), 1);
	CHECK_EQ(r.ns, 1);
	CHECK_EQ(r.s[0].instance, 2);
	CHECK_STR(r.s[0].metric, "sort_ms");
	CHECK_STR(r.s[0].unit, "ms");
	CHECK_EQ(r.s[0].higher, 0);
	CHECK(fabs(r.s[0].value - 1.5) < 1e-9);
	CHECK_EQ(parse_console(&r, "[d1] hcall: null n=3000 ns=28000"), 1);
	CHECK_STR(r.s[1].metric, "null_hcall_ns");
	CHECK_EQ(parse_console(&r, "[d1] hcall: multicall batch=16 calls=3000 ns_per_call=2100"), 1);
	CHECK_STR(r.s[2].metric, "multicall_b16_ns");
	CHECK_EQ(parse_console(&r, "[d1] hello from pvos"), 0);
	CHECK_EQ(parse_console(&r, "cpu: sort result=5 best_ns=1 ok"), 0);      /* no instance */
	CHECK_EQ(parse_console(&r, "[x1] cpu: sort result=5 best_ns=1 ok"), 0);
	CHECK_EQ(parse_console(&r, "[d3] cpu: crc result=5 best_ns=1 WRONG"), 0);
	CHECK(strstr(r.bad, "d3: kernel crc") != NULL);
	CHECK_EQ(r.ns, 3);
	CHECK_EQ(result_count(&r, 1, "_ns"), 2);
	CHECK_EQ(result_count(&r, 2, "_ms"), 1);
	result_free(&r);
}

static void test_contract(void)
{
	struct rep_result r = { 0 };
	CHECK_EQ(parse_contract(&r, 1, "sample metric=tps unit=tx/s higher=1 value=123.5"), 1);
	CHECK_STR(r.s[0].metric, "tps");
	CHECK_EQ(r.s[0].higher, 1);
	CHECK(fabs(r.s[0].value - 123.5) < 1e-9);
	CHECK_EQ(parse_contract(&r, 1, "sample metric=tps unit=tx/s higher=2 value=1"), -EINVAL);
	CHECK_EQ(parse_contract(&r, 1, "sample metric=tps unit=tx/s higher=1 value=12x"), -EINVAL);
	CHECK_EQ(parse_contract(&r, 1, "sample metric=tps higher=1 value=1"), -EINVAL);
	CHECK_EQ(parse_contract(&r, 1, "sample metric=a unit=us higher=0 value=1e3"), 1);
	/* several copies: each sample names its own */
	CHECK_EQ(parse_contract(&r, 0, "sample metric=rate unit=x/s higher=1 value=6 instance=2"), 1);
	CHECK_EQ(r.s[r.ns - 1].instance, 2);
	CHECK_EQ(parse_contract(&r, 0, "sample metric=rate unit=x/s higher=1 value=6"), 1);
	CHECK_EQ(r.s[r.ns - 1].instance, 0);
	CHECK_EQ(parse_contract(&r, 0, "sample metric=rate unit=x/s higher=1 value=6 instance=0"), -EINVAL);
	CHECK_EQ(parse_contract(&r, 0, "sample metric=rate unit=x/s higher=1 value=6 instance=x"), -EINVAL);
	CHECK_EQ(parse_contract(&r, 1, "detail accel=tcg"), 1);
	CHECK_EQ(parse_contract(&r, 1, "detail kernel=6.1 x"), 1);
	CHECK_EQ(parse_contract(&r, 1, "detail accel=kvm"), 1);      /* first value wins */
	CHECK_STR(r.detail, "accel=tcg kernel=6.1_x");
	CHECK_EQ(parse_contract(&r, 1, "detail =x"), -EINVAL);
	CHECK_EQ(parse_contract(&r, 1, "unsupported qemu-system-x86_64 is missing"), 2);
	CHECK_STR(r.reason, "qemu-system-x86_64 is missing");
	CHECK_EQ(parse_contract(&r, 1, "progress 50%"), 0);
	CHECK_EQ(r.ns, 4);
	result_free(&r);
}

static void test_stats(void)
{
	struct dom_stat d;
	const char *line = "{\"name\": \"d7\", \"id\": 9, \"state\": \"exited\", \"exit_code\": 0, \"run_ns\": 100, "
	                   "\"wait_ns\": 2, \"blocked_ns\": 3, \"hypercalls\": 4, \"upcalls\": 5, \"exits\": 6, "
	                   "\"events_sent\": 7, \"boot_ns\": 8, \"kvm_exits\": 9, \"kvm_insn_emulation\": 10, "
	                   "\"kvm_io_exits\": 11, \"kvm_halt_exits\": 12, \"kvm_mmio_exits\": 13}";
	CHECK_EQ(parse_stats_json(line, &d), 0);
	CHECK_EQ(d.instance, 7);
	CHECK_STR(d.name, "d7");
	CHECK_STR(d.state, "exited");
	CHECK_EQ(d.v[DST_RUN_NS], 100);
	CHECK_EQ(d.v[DST_KVM_MMIO_EXITS], 13);
	CHECK_EQ(d.v[DST_HYPERCALLS], 4);
	CHECK_EQ(parse_stats_json("{\"name\": \"d1\", \"state\": \"exited\", \"exit_code\": 0}", &d), -EINVAL);
	CHECK_EQ(parse_stats_json("garbage", &d), -EINVAL);
}

static void test_detail(void)
{
	struct rep_result r = { 0 };
	result_detail(&r, "a", "1");
	result_detail(&r, "ba", "2");
	result_detail(&r, "a", "3");
	CHECK_STR(r.detail, "a=1 ba=2");
	result_reset(&r);
	CHECK_STR(r.detail, "");
	result_free(&r);
}

/* A repetition measured elsewhere (pvbench rep) travels as lines and comes
 * back the same; a malformed line is refused. */
static void test_rep_lines(void)
{
	struct dom_stat dom = { .instance = 1, .name = "d1", .state = "exited", .v[DST_HYPERCALLS] = 42 };
	struct rep_result a = { .d = &dom, .nd = 1 }, b = { 0 };
	result_add(&a, 1, "sort_ms", "ms", 0, 0, 12.345678901234567);
	result_add(&a, 0, "aggregate_passes_per_s", "passes/s", 1, 1, 3.5);
	result_detail(&a, "kvm", "svm");
	result_detail(&a, "boot_s", "1.5");
	a.wall_s = 2.25;
	char buf[8192] = "", *save;
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	result_print(f, &a);
	fclose(f);
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		CHECK_EQ(parse_rep_line(&b, l), 1);
	CHECK_EQ(b.ns, 2);
	CHECK_STR(b.s[0].metric, "sort_ms");
	CHECK(b.s[0].value == a.s[0].value);
	CHECK_EQ(b.s[1].instance, 0);
	CHECK_EQ(b.s[1].derived, 1);
	CHECK_EQ(b.s[1].higher, 1);
	CHECK_EQ(b.nd, 1);
	CHECK_EQ(b.d[0].instance, 1);
	CHECK_EQ(b.d[0].v[DST_HYPERCALLS], 42);
	CHECK_STR(b.detail, "kvm=svm boot_s=1.5");
	CHECK(b.wall_s == 2.25);
	CHECK_EQ(parse_rep_line(&b, "pvbench-rep: sample 1 0 0 ms sort_ms"), -EINVAL);
	CHECK_EQ(parse_rep_line(&b, "pvbench-rep: sample 1 2 0 ms sort_ms 1"), -EINVAL);
	CHECK_EQ(parse_rep_line(&b, "pvbench-rep: sample 1 0 0 ms sort_ms 1 extra"), -EINVAL);
	CHECK_EQ(parse_rep_line(&b, "pvbench-rep: detail noequals"), -EINVAL);
	CHECK_EQ(parse_rep_line(&b, "pvbench-rep: wall_s -1"), -EINVAL);
	CHECK_EQ(parse_rep_line(&b, "pvbench-rep: dstat {}"), -EINVAL);
	CHECK_EQ(parse_rep_line(&b, "sample metric=x unit=y higher=0 value=1"), 0);
	CHECK_EQ(b.ns, 2);
	a.d = NULL;       /* dom is on the stack */
	result_free(&a);
	result_free(&b);
}

int main(void)
{
	test_rep_lines();
	test_console();
	test_contract();
	test_stats();
	test_detail();
	return CHECK_DONE();
}
