/* Suite files: expansion of platform/domain lists, defaults, every error
 * naming its line, the --platforms filter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "../../bench/suite.h"
#include "check.h"

static int parse(const char *text, struct suite *s, char *err)
{
	return suite_parse(text, "t.suite", s, err, 256);
}

static void test_expand(void)
{
	struct suite s;
	char err[256] = "";
	const char *text = "# comment\nreps 4\ntimeout 60\n\nnative,pvos cpu 1,2,4   # scaling\n"
	                   "fullvirt pgbench-ro 1 quick reps=2 timeout=9\numl dbench 1\n";
	CHECK_EQ(parse(text, &s, err), 0);
	CHECK_EQ(s.n, 8);
	/* domain-major: native 1, pvos 1, native 2, pvos 2, ... */
	CHECK_STR(s.cells[0].platform, "native");
	CHECK_STR(s.cells[1].platform, "pvos");
	CHECK_EQ(s.cells[1].domains, 1);
	CHECK_EQ(s.cells[2].domains, 2);
	CHECK_EQ(s.cells[5].domains, 4);
	CHECK_STR(s.cells[3].platform, "pvos");
	CHECK_EQ(s.cells[3].reps, 4);
	CHECK_EQ(s.cells[3].timeout_s, 60);
	CHECK_EQ(s.cells[3].line, 5);
	CHECK_EQ(s.cells[6].quick, 1);
	CHECK_EQ(s.cells[6].reps, 2);
	CHECK_EQ(s.cells[6].timeout_s, 9);
	CHECK_EQ(s.cells[7].quick, 0);
	CHECK_EQ(s.cells[7].reps, 4);
	CHECK_EQ(suite_filter(&s, "pvos,uml", err, sizeof(err)), 0);
	CHECK_EQ(s.n, 4);
	CHECK_STR(s.cells[2].platform, "pvos");
	CHECK_EQ(s.cells[2].domains, 4);
	CHECK_STR(s.cells[3].platform, "uml");
	CHECK(suite_filter(&s, "xen", err, sizeof(err)) < 0);
	CHECK(strstr(err, "xen") != NULL);
	CHECK_EQ(suite_filter(&s, "pv", err, sizeof(err)), -ENOENT);   /* none left: pv is not pvos */
	suite_free(&s);
}

static void test_errors(void)
{
	static const struct { const char *text, *want; } bad[] = {
		{ "native cpu\n", "t.suite:1: expected" },
		{ "\nnative nosuch 1\n", "t.suite:2: unknown workload 'nosuch'" },
		{ "xen cpu 1\n", "unknown platform 'xen' (native, pv, pvos, fullvirt, uml)" },
		{ "native cpu 0\n", "bad domain count '0'" },
		{ "native cpu 1,x\n", "bad domain count 'x'" },
		{ "native cpu 1 reps=0\n", "bad option 'reps=0'" },
		{ "native cpu 1 fast\n", "bad option 'fast'" },
		{ "reps many\n", "expected 'reps N'" },
		{ "native cpu 1\npv,native cpu 1\n", "t.suite:2: native cpu 1 is already listed on line 1" },
		{ "# nothing\n", "lists no cells" },
		{ "pv@xen cpu 1\n", "unknown environment '@xen'" },
		{ "fleet everywhere\nnative cpu 1\n", "t.suite:1: expected 'fleet replicate' or 'fleet spread'" },
		{ "fleet\nnative cpu 1\n", "t.suite:1: expected 'fleet replicate'" },
		{ "pv@nested-svm cpu 1\npv@nested-svm cpu 1\n", "t.suite:2: pv@nested-svm cpu 1 is already listed on line 1" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct suite s;
		char err[256] = "";
		CHECK(parse(bad[i].text, &s, err) < 0);
		if (!strstr(err, bad[i].want))
			fprintf(stderr, "case %zu: got '%s', want '%s'\n", i, err, bad[i].want);
		CHECK(strstr(err, bad[i].want) != NULL);
	}
}

/* PLATFORM@ENV, and where suite_place puts the rest: pvos, pv and fullvirt as
 * the host allows, a native baseline before the first cell of each
 * group measured in a nested environment (reps, timeout and quick the
 * most its cells ask; none for hcall), a cell named twice once. */
static void test_place(void)
{
	struct suite s;
	char err[256] = "";
	const char *text = "native,pvos cpu 1 reps=5\nfullvirt,uml cpu 1 reps=3 quick timeout=99\n"
	                   "pvos hcall 1\npvos@nested-svm-shadow cpu 2\npvos@nested-svm cpu 1\n";
	CHECK_EQ(parse(text, &s, err), 0);
	CHECK_EQ(s.n, 7);
	CHECK_STR(s.cells[0].env, "");
	CHECK_STR(s.cells[6].env, ENV_NESTED_SVM);
	struct placement p = { .pvos = ENV_NESTED_SVM, .pv = ENV_NESTED_SVM, .fullvirt = ENV_NESTED_SVM };
	CHECK_EQ(suite_place(&s, &p), 0);
	static const char *const want[] = {
		"native hardware cpu 1 5 0 1200", "native nested-svm cpu 1 5 1 1200", "pvos nested-svm cpu 1 5 0 1200",
		"fullvirt nested-svm cpu 1 3 1 99", "uml hardware cpu 1 3 1 99", "pvos nested-svm hcall 1 3 0 1200",
		"native nested-svm-shadow cpu 2 3 0 1200", "pvos nested-svm-shadow cpu 2 3 0 1200",
	};
	CHECK_EQ(s.n, 8);
	for (int i = 0; i < s.n && i < 8; i++) {
		char got[128];
		const struct cell_spec *c = &s.cells[i];
		snprintf(got, sizeof(got), "%s %s %s %d %d %d %d", c->platform, c->env, c->workload, c->domains, c->reps,
		         c->quick, c->timeout_s);
		CHECK_STR(got, want[i]);
	}
	suite_free(&s);
	/* a host that runs them: nothing moves, nothing is added */
	CHECK_EQ(parse(text, &s, err), 0);
	p = (struct placement){ .pvos = ENV_HARDWARE, .pv = ENV_HARDWARE, .fullvirt = ENV_HARDWARE };
	CHECK_EQ(suite_place(&s, &p), 0);
	CHECK_EQ(s.n, 9);
	CHECK_STR(s.cells[1].env, ENV_HARDWARE);
	CHECK_STR(s.cells[5].platform, "native");
	CHECK_STR(s.cells[5].env, ENV_NESTED_SVM_SHADOW);
	CHECK_STR(s.cells[8].env, ENV_NESTED_SVM);
	CHECK_STR(s.cells[7].platform, "native");       /* before pvos@nested-svm cpu 1 */
	CHECK_STR(s.cells[7].env, ENV_NESTED_SVM);
	suite_free(&s);
	CHECK(env_nested(ENV_NESTED_SVM) && env_nested(ENV_NESTED_SVM_SHADOW) && !env_nested(ENV_HARDWARE));
	/* a PVM host: pvos runs here, pv (Linux PV, every workload) goes to
	 * the nested host (with a native baseline there per group) */
	CHECK_EQ(parse("pvos cpu 1\npvos hcall 1\npv cpu 1\npv dbench 1 quick\n", &s, err), 0);
	p = (struct placement){ .pvos = ENV_HARDWARE, .pv = ENV_NESTED_SVM, .fullvirt = ENV_NESTED_SVM };
	CHECK_EQ(suite_place(&s, &p), 0);
	static const char *const pvm[] = {
		"pvos hardware cpu", "pvos hardware hcall", "native nested-svm cpu", "pv nested-svm cpu",
		"native nested-svm dbench", "pv nested-svm dbench",
	};
	CHECK_EQ(s.n, 6);
	for (int i = 0; i < s.n && i < 6; i++) {
		char got[128];
		snprintf(got, sizeof(got), "%s %s %s", s.cells[i].platform, s.cells[i].env, s.cells[i].workload);
		CHECK_STR(got, pvm[i]);
	}
	suite_free(&s);
	CHECK(pv_linux_workload("httperf") && pv_linux_workload("httperf-vif") && pv_linux_workload("pgbench-ro") &&
	      !pv_linux_workload("cpu") && !pv_linux_workload("lmbench"));
}

static void test_shipped_suites(void)
{
	/* the suites in the tree parse, and quick is a subset-sized full */
	struct suite q, f;
	char err[256] = "", path[4096];
	setenv("PVLAB_ROOT", ".", 1);
	CHECK_EQ(suite_resolve("quick", path, sizeof(path), err, sizeof(err)), 0);
	CHECK_EQ(suite_load(path, &q, err, sizeof(err)), 0);
	CHECK_EQ(suite_resolve("full", path, sizeof(path), err, sizeof(err)), 0);
	CHECK_EQ(suite_load(path, &f, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "%s\n", err);
	CHECK(q.n > 0 && f.n > q.n);
	CHECK(suite_resolve("nosuch", path, sizeof(path), err, sizeof(err)) < 0);
	CHECK(strstr(err, "nosuch.suite") != NULL);
	suite_free(&q);
	suite_free(&f);
}

int main(void)
{
	test_expand();
	test_errors();
	test_place();
	test_shipped_suites();
	CHECK(fnv1a("a", 1) != fnv1a("b", 1));
	return CHECK_DONE();
}
