/* The nested environments: cells measured in the AMD-V host that
 * scripts/nested-svm.sh makes under QEMU TCG (kvm_amd, nested paging on
 * or off), for the platforms this host cannot run on hardware
 * virtualization (pvos without KVM; pv (Linux PV) and fullvirt where
 * KVM is not VT-x/AMD-V, as on PVM hosts). Every such figure is an emulated one: it is compared
 * only with native measured in the same nested host (suite_place adds
 * that cell), never with this host's hardware. One boot of the nested
 * host serves every nested cell of a round: `pvbench rep` runs them
 * there, one after another, and prints each result as lines
 * (result_print) that come back through the script's output. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "bench.h"
#include "numparse.h"
#include "paths.h"
#include "platform.h"
#include "pvmon_probe.h"
#include "spawn.h"

/* Room for the nested host to boot, beside the cells' own limits. */
#define NESTED_BOOT_S 300

/* kvm_amd's npt parameter the environment stands for. */
static char env_npt(const char *env)
{
	return !strcmp(env, ENV_NESTED_SVM_SHADOW) ? 'N' : 'Y';
}

static const char *nested_script(void)
{
	static char path[PATH_MAX];
	const char *e = getenv("PVBENCH_NESTED");
	if (e && *e)
		return e;
	snprintf(path, sizeof(path), "%s/scripts/nested-svm.sh", bench_srcdir());
	return path;
}

int nested_possible(char *why, size_t n)
{
	if (getenv("PVLAB_NESTED")) {
		snprintf(why, n, "pvbench runs inside the nested host already (no nested host in it)");
		return 0;
	}
	if (access(nested_script(), X_OK)) {
		snprintf(why, n, "%s is missing", nested_script());
		return 0;
	}
	return 1;
}

void nested_placement(bool kvm, bool no_nested, struct placement *p, char *why, size_t n)
{
	char no[256];
	const char *be = kvm ? pvmon_probe_backend() : "none";
	bool hv = !strcmp(be, "vmx") || !strcmp(be, "svm");
	bool nested = !no_nested && nested_possible(no, sizeof(no));
	p->pvos = kvm || !nested ? ENV_HARDWARE : ENV_NESTED_SVM;
	p->fullvirt = hv || !nested ? ENV_HARDWARE : ENV_NESTED_SVM;
	/* Linux PV needs the entry stub at CPL0 under hardware virtualization */
	p->pv = p->fullvirt;
	why[0] = 0;
	if (nested && (!kvm || !hv))
		snprintf(why, n, "%s run in the nested AMD-V host (QEMU TCG emulating AMD-V; this host's KVM is %s), "
		         "each against native measured there: emulated figures, never compared with this host's",
		         kvm ? "pv (Linux PV) and fullvirt cells" : "pvos, pv and fullvirt cells", kvm ? be : "missing");
}

/* What one boot of the nested host said, cell by cell. */
struct nested_out {
	struct measured *m;
	int n, cur;              /* the cell whose lines come now; -1 none */
	bool ended[GROUP_MAX];
	char env[256];           /* the "env" line of pvbench rep */
	char why[256];           /* nested-svm.sh's first word on a failure */
	int bad;                 /* malformed lines */
};

static void on_nested(void *ctx, int fd, char *line)
{
	struct nested_out *o = ctx;
	if (fd == 2) {
		/* the script's own account; the L1's console and QEMU say less */
		if (!o->why[0] && !strncmp(line, "nested-svm: ", 12) && !strstr(line, "L1 console:") &&
		    !strstr(line, ": qemu:") && !strstr(line, "L1 up with"))
			snprintf(o->why, sizeof(o->why), "%s", line);
		return;
	}
	if (!strncmp(line, "SKIP: ", 6) && !o->why[0]) {
		snprintf(o->why, sizeof(o->why), "%s", line + 6);
		return;
	}
	if (strncmp(line, REP_LINE, strlen(REP_LINE)))
		return;
	const char *p = line + strlen(REP_LINE);
	if (!strncmp(p, "env ", 4)) {
		snprintf(o->env, sizeof(o->env), "%s", p + 4);
		return;
	}
	if (!strncmp(p, "cell ", 5)) {
		o->cur = -1;
		for (int i = 0; i < o->n && o->cur < 0; i++)
			if (!strcmp(o->m[i].ops->name, p + 5) && !o->ended[i])
				o->cur = i;
		o->bad += o->cur < 0;
		return;
	}
	if (o->cur < 0)
		return;
	struct measured *m = &o->m[o->cur];
	if (!strncmp(p, "end ", 4)) {
		const char *st = p + 4, *why = strchr(st, ' ');
		m->rc = !strncmp(st, "done", 4) ? 0 : !strncmp(st, "unsupported", 11) ? -ENOTSUP : -EIO;
		if (why)
			snprintf(m->res->reason, sizeof(m->res->reason), "%s", why + 1);
		o->ended[o->cur] = true;
		o->cur = -1;
		return;
	}
	if (parse_rep_line(m->res, line) < 0)
		o->bad++;
}

/* "key=value" of words, or "" */
static void word_of(const char *words, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	out[0] = 0;
	for (const char *p = words; (p = strstr(p, key)); p++)
		if ((p == words || p[-1] == ' ') && p[kl] == '=') {
			snprintf(out, n, "%.*s", (int)strcspn(p + kl + 1, " "), p + kl + 1);
			return;
		}
}

/* The nested host is the environment the cells are for: AMD-V with
 * nested paging on or off as they say. 0 or -EIO with why. */
static int check_env(const char *env, const char *words, char *why, size_t n)
{
	char kvm[16], npt[8];
	word_of(words, "kvm", kvm, sizeof(kvm));
	word_of(words, "kvm_amd_npt", npt, sizeof(npt));
	if (strcmp(kvm, "svm")) {
		snprintf(why, n, "the nested host's KVM is '%s', not AMD-V (kvm_amd)", kvm[0] ? kvm : "unknown");
		return -EIO;
	}
	if (npt[0] != env_npt(env)) {
		snprintf(why, n, "the nested host's kvm_amd has npt=%s; %s needs npt=%c", npt[0] ? npt : "?", env,
		         env_npt(env));
		return -EIO;
	}
	return 0;
}

/* argv for one boot: SCRIPT --timeout T --mem M [--kvm-amd npt=0] --
 * BIN/pvbench CMD ARGS... (args NULL-terminated); its strings in bufs
 * (bl bytes, PATH_MAX + 64 at least). */
static void boot_argv(char **argv, char *bufs, size_t bl, const char *env, int timeout, const char *cmd,
                      char *const *args)
{
	int a = 0;
	char *t = bufs, *mem = bufs + 32, *self = bufs + 64;
	const char *m = getenv("PVLAB_NESTED_MEM");
	snprintf(t, 32, "%d", timeout);
	snprintf(mem, 32, "%.16s", m && *m ? m : "3072");
	snprintf(self, bl - 64, "%s/pvbench", bindir);
	argv[a++] = (char *)nested_script();
	argv[a++] = "--timeout";
	argv[a++] = t;
	argv[a++] = "--mem";
	argv[a++] = mem;
	if (env_npt(env) == 'N') {
		argv[a++] = "--kvm-amd";
		argv[a++] = "npt=0";
	}
	argv[a++] = "--";
	argv[a++] = self;
	argv[a++] = (char *)cmd;
	while (*args)
		argv[a++] = *args++;
	argv[a] = NULL;
}

int nested_probe(const char *env, char *detail, size_t n, char *reason, size_t rn)
{
	if (!nested_possible(reason, rn))
		return -ENOTSUP;
	char *args[] = { "--probe", NULL }, *argv[24], bufs[PATH_MAX + 128];
	boot_argv(argv, bufs, sizeof(bufs), env, NESTED_BOOT_S, "rep", args);
	struct nested_out o = { .cur = -1 };
	struct spawn_io io = { .on_line = on_nested, .ctx = &o };
	double wall;
	export_build_env();
	int st = spawn_run(argv, NESTED_BOOT_S + 30, &io, &wall);
	if (st == -EINTR)
		return st;
	if (st == 77 || (st == 0 && !o.env[0])) {
		snprintf(reason, rn, "no nested AMD-V host: %s", o.why[0] ? o.why : "pvbench rep --probe said nothing");
		return -ENOTSUP;
	}
	if (st) {
		struct rep_result r = { 0 };
		spawn_failed(&r, "scripts/nested-svm.sh", st, NESTED_BOOT_S + 30, o.why[0] ? o.why : spawn_last_error(&io));
		snprintf(reason, rn, "no nested AMD-V host: %s", r.reason);
		return -ENOTSUP;
	}
	if (check_env(env, o.env, reason, rn))
		return -ENOTSUP;
	snprintf(detail, n, "nested=%s %s", env, o.env);
	return 0;
}

void nested_measure(struct measured *m, int n)
{
	const char *env = m[0].ctx->cell->env;
	char *args[GROUP_MAX + 4], cells[GROUP_MAX][96], tl[16], *argv[GROUP_MAX + 24], bufs[PATH_MAX + 128];
	int timeout = 0, a = 0;
	for (int i = 0; i < n; i++) {
		const struct db_cell *c = m[i].ctx->cell;
		snprintf(cells[i], sizeof(cells[i]), "%s/%s/%d%s", c->platform, c->workload, c->domains,
		         c->quick ? "/quick" : "");
		timeout = c->timeout_s > timeout ? c->timeout_s : timeout;
	}
	snprintf(tl, sizeof(tl), "%d", timeout);
	args[a++] = "--timeout";
	args[a++] = tl;
	for (int i = 0; i < n; i++)
		args[a++] = cells[i];
	args[a] = NULL;
	int limit = NESTED_BOOT_S + n * timeout;
	boot_argv(argv, bufs, sizeof(bufs), env, limit, "rep", args);
	struct nested_out o = { .m = m, .n = n, .cur = -1 };
	struct spawn_io io = { .on_line = on_nested, .ctx = &o };
	double wall;
	for (int i = 0; i < n; i++)
		m[i].rc = -EIO;
	export_build_env();
	int st = spawn_run(argv, limit + 30, &io, &wall);
	char why[256] = "";
	if (!st && !o.bad)
		check_env(env, o.env, why, sizeof(why));
	for (int i = 0; i < n; i++) {
		struct rep_result *r = m[i].res;
		if (st == -EINTR) {
			m[i].rc = -EINTR;
		} else if (st == 77) {
			snprintf(r->reason, sizeof(r->reason), "no nested AMD-V host: %s", o.why);
			m[i].rc = -ENOTSUP;
		} else if (st) {
			m[i].rc = spawn_failed(r, "scripts/nested-svm.sh", st, limit + 30,
			                       o.why[0] ? o.why : spawn_last_error(&io));
		} else if (!o.ended[i]) {
			snprintf(r->reason, sizeof(r->reason), "pvbench rep in the nested host gave no result for it");
			m[i].rc = -EIO;
		} else if (o.bad) {
			snprintf(r->reason, sizeof(r->reason), "pvbench rep in the nested host: %d malformed lines", o.bad);
			m[i].rc = -EIO;
		} else if (why[0]) {
			snprintf(r->reason, sizeof(r->reason), "%s", why);
			m[i].rc = -EIO;
		}
		if (m[i].rc)
			r->ns = r->nd = 0;      /* a failed repetition keeps nothing */
	}
}

/* One boot's stdout and stderr: the caller's lines, and the script's
 * first word on a failure. */
struct nested_cmd {
	struct spawn_io *io;
	char why[256];
};

static void on_nested_cmd(void *ctx, int fd, char *line)
{
	struct nested_cmd *o = ctx;
	if (fd == 2 && !o->why[0] && !strncmp(line, "nested-svm: ", 12) && !strstr(line, "L1 console:") &&
	    !strstr(line, ": qemu:") && !strstr(line, "L1 up with"))
		snprintf(o->why, sizeof(o->why), "%s", line);
	if (fd == 1 && !strncmp(line, "SKIP: ", 6) && !o->why[0])
		snprintf(o->why, sizeof(o->why), "%s", line + 6);
	if (o->io->on_line)
		o->io->on_line(o->io->ctx, fd, line);
}

int nested_pvbench(const char *cmd, char *const *args, int timeout, struct spawn_io *io, char *why, size_t n)
{
	char *argv[32], bufs[PATH_MAX + 128];
	size_t na = 0;
	while (args[na])
		na++;
	if (na > 16)
		return snprintf(why, n, "nested_pvbench: too many arguments"), -E2BIG;
	if (!nested_possible(why, n))
		return -ENOTSUP;
	boot_argv(argv, bufs, sizeof(bufs), ENV_NESTED_SVM, timeout, cmd, args);
	struct nested_cmd o = { .io = io };
	struct spawn_io own = { .on_line = on_nested_cmd, .ctx = &o };
	double wall;
	export_build_env();
	int st = spawn_run(argv, timeout + 30, &own, &wall);
	memcpy(io->tail, own.tail, sizeof(io->tail));
	if (st == 77)
		snprintf(why, n, "no nested AMD-V host: %s", o.why[0] ? o.why : "scripts/nested-svm.sh skipped");
	else if (st == -ETIMEDOUT || st == 124)
		snprintf(why, n, "the nested AMD-V host ran past %d s", timeout);
	else if (st)
		snprintf(why, n, "scripts/nested-svm.sh: status %d: %s", st, o.why[0] ? o.why : spawn_last_error(&own));
	return st;
}

/* ---- pvbench rep: one round of cells on this machine, as lines --------- */

void nested_env_words(char *buf, size_t n)
{
	char npt[8] = "-", why[256];
	FILE *f = fopen("/sys/module/kvm_amd/parameters/npt", "r");
	if (f) {
		if (fgets(npt, sizeof(npt), f))
			npt[strcspn(npt, "\n")] = 0;
		fclose(f);
	}
	struct utsname u;
	uname(&u);
	int kvm = !bench_kvm_usable(why, sizeof(why));
	snprintf(buf, n, "kvm=%s kvm_amd_npt=%s l1_kernel=%s l1_cpus=%ld", kvm ? pvmon_probe_backend() : "none", npt,
	         u.release, sysconf(_SC_NPROCESSORS_ONLN));
}

/* What this machine is, for the host to check against the environment
 * its cells are for. */
static void print_env(void)
{
	char words[512];
	nested_env_words(words, sizeof(words));
	printf(REP_LINE "env %s\n", words);
	fflush(stdout);
}

static void print_end(const char *platform, const struct rep_result *r, int rc)
{
	printf(REP_LINE "cell %s\n", platform);
	if (!rc)
		result_print(stdout, r);
	const char *st = !rc ? "done" : rc == -ENOTSUP ? "unsupported" : "failed";
	printf(REP_LINE "end %s%s%s\n", st, rc ? " " : "", rc ? r->reason : "");
	fflush(stdout);
}

/* PLATFORM/WORKLOAD/DOMAINS[/quick] */
static int parse_cell(const char *arg, struct db_cell *c, int timeout)
{
	char copy[96], *save;
	snprintf(copy, sizeof(copy), "%s", arg);
	const char *p = strtok_r(copy, "/", &save), *w = strtok_r(NULL, "/", &save), *d = strtok_r(NULL, "/", &save),
	           *q = strtok_r(NULL, "/", &save);
	*c = (struct db_cell){ .reps = 1, .timeout_s = timeout };
	if (!p || !w || !d || !platform_find(p) || !suite_known(bench_workloads, w) || (q && strcmp(q, "quick")) ||
	    num_int(d, 1, SUITE_MAX_DOMAINS, &c->domains))
		return -EINVAL;
	snprintf(c->platform, sizeof(c->platform), "%s", p);
	snprintf(c->workload, sizeof(c->workload), "%s", w);
	snprintf(c->env, sizeof(c->env), "%s", ENV_HARDWARE);
	snprintf(c->status, sizeof(c->status), "running");
	c->quick = q != NULL;
	return 0;
}

/* The gate of a cell's platform here (each platform detected and
 * prepared once): 0, else rc and r->reason; its detection's words in
 * detail. */
static int rep_gate(const struct db_cell *c, const struct platform_ops *ops, char *detail, size_t dn,
                    struct rep_result *r)
{
	static struct plat_state ps[GROUP_MAX];
	struct plat_state *s = &ps[platform_index(ops)];
	int rc = platform_gate(s, ops, ENV_HARDWARE, c->workload, NULL, r->reason, sizeof(r->reason));
	snprintf(detail, dn, "%s", s->det_rc ? "" : s->detail);
	return rc;
}

int cmd_rep(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, 0, 't' }, { "probe", no_argument, 0, 'p' }, { 0, 0, 0, 0 },
	};
	int timeout = 600, probe = 0, c, n;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't' && !num_int(optarg, 1, INT_MAX, &timeout))
			continue;
		if (c == 'p')
			probe = 1;
		else
			return fprintf(stderr, "pvbench rep: usage: pvbench rep --probe | [--timeout S] CELL...\n"), 2;
	}
	n = argc - optind;
	if (n > GROUP_MAX || (!probe && n < 1))
		return fprintf(stderr, "pvbench rep: 1..%d cells, PLATFORM/WORKLOAD/DOMAINS[/quick]\n", GROUP_MAX), 2;
	struct db_cell cells[GROUP_MAX];
	for (int i = 0; i < n; i++)
		if (parse_cell(argv[optind + i], &cells[i], timeout))
			return fprintf(stderr, "pvbench rep: bad cell '%s' (PLATFORM/WORKLOAD/DOMAINS[/quick])\n",
			               argv[optind + i]), 2;
	print_env();
	if (probe)
		return 0;
	struct rep_result res[GROUP_MAX] = { 0 };
	struct cell_ctx ctx[GROUP_MAX];
	struct measured m[GROUP_MAX];
	char detail[GROUP_MAX][512];
	int live[GROUP_MAX], nl = 0;
	for (int i = 0; i < n; i++) {
		const struct platform_ops *ops = platform_find(cells[i].platform);
		ctx[i] = (struct cell_ctx){ .cell = &cells[i], .rep = 1 };
		m[i] = (struct measured){ .ctx = &ctx[i], .ops = ops, .res = &res[i] };
		m[i].rc = rep_gate(&cells[i], ops, detail[i], sizeof(detail[i]), &res[i]);
		if (!m[i].rc)
			live[nl++] = i;
	}
	/* the round, measurement by measurement */
	bool taken[GROUP_MAX] = { false };
	const struct db_cell *lc[GROUP_MAX];
	for (int i = 0; i < nl; i++)
		lc[i] = &cells[live[i]];
	for (int i = 0; i < nl; i++) {
		if (taken[i])
			continue;
		struct measured u[GROUP_MAX];
		int at[GROUP_MAX], k = round_unit(lc, nl, taken, i, at);
		for (int j = 0; j < k; j++)
			u[j] = m[live[at[j]]];
		measure(u, k);
		for (int j = 0; j < k; j++)
			m[live[at[j]]].rc = u[j].rc;
	}
	for (int i = 0; i < n; i++) {
		/* the platform's words first, as pvbench run gives a cell's */
		struct rep_result *r = &res[i];
		char own[sizeof(r->detail)];
		snprintf(own, sizeof(own), "%s", r->detail);
		r->detail[0] = 0;
		result_words(r, detail[i]);
		result_words(r, own);
		print_end(cells[i].platform, r, m[i].rc);
		result_free(r);
	}
	return 0;
}
