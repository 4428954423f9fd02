/* pvbench run: a suite's cells on their platforms, every raw sample into
 * the results database. The cells compared with each other (one workload
 * and domain count, every platform) run round-robin, repetition k of each
 * before repetition k + 1 of any, so that a drift of the host's load
 * lands on all of them; each platform is warmed up by one repetition
 * whose samples are not kept; the database records every repetition in
 * the order it ran. A run is resumable: cells are written to the database
 * when the run starts, each one's status is kept there, and a later
 * `pvbench run` of the same suite and options continues the newest
 * unfinished run, skipping finished cells. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "db.h"
#include "host.h"
#include "monoclock.h"
#include "numparse.h"
#include "paths.h"
#include "platform.h"
#include "rep_counters.h"
#include "spawn.h"
#include "suite.h"

extern const struct platform_ops native_platform, pv_platform, pvos_platform, fullvirt_platform, uml_platform;
static const struct platform_ops *const platforms[] = {
	&native_platform, &pv_platform, &pvos_platform, &fullvirt_platform, &uml_platform, NULL,
};

const struct platform_ops *platform_find(const char *name)
{
	for (int i = 0; platforms[i]; i++)
		if (!strcmp(platforms[i]->name, name))
			return platforms[i];
	return NULL;
}

/* Cells of one group: one per platform and environment at most (a run
 * holds a platform x workload x domains x environment cell once). */
_Static_assert(sizeof(platforms) / sizeof(platforms[0]) == GROUP_MAX / ENV_NR + 1,
               "one cell per platform and environment in a group");
#define NSTATE GROUP_MAX

struct run {
	struct db *db;
	int64_t id;
	const char *host;          /* a fleet host: its name (run_host_cells) */
	const char *db_path, *suite_key;
	int trace;                 /* --trace and this host can */
	int counters;              /* --counters */
	char trace_base[PATH_MAX];
	struct plat_state ps[NSTATE];       /* by platform and environment */
	struct plat_state envs[ENV_NR];     /* a nested environment's probe */
	bool warmed[NSTATE];       /* the platform had its warm-up there in this session */
	struct progress prog;
	int counts[3];             /* done, unsupported, failed */
};

int platform_index(const struct platform_ops *ops)
{
	int i = 0;
	while (platforms[i] && platforms[i] != ops)
		i++;
	return i;
}

static int env_index(const char *env)
{
	int i = 0;
	while (bench_envs[i] && strcmp(bench_envs[i], env))
		i++;
	return bench_envs[i] ? i : 0;
}

/* A platform in an environment: its slot in ps[] and warmed[]. */
static int slot(const struct platform_ops *ops, const char *env)
{
	return platform_index(ops) * ENV_NR + env_index(env);
}

static struct plat_state *state_of(struct run *r, const struct platform_ops *ops, const char *env)
{
	return &r->ps[slot(ops, env)];
}

static struct progress *ticking;
static void tick(void)
{
	progress_tick(ticking);
}

static void on_signal(int sig)
{
	(void)sig;
	bench_interrupted = 1;     /* spawn_run polls it and kills the workload */
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "pvbench run: %s\n", msg);
	return 2;
}

/* --trace needs LTTng and pvmon's tracepoint provider; say once if not. */
static int trace_possible(char *why, size_t n)
{
	char lib[PATH_MAX + 32];
	snprintf(lib, sizeof(lib), "%s/../lib/libpvmon-tp.so", bindir);
	if (sh("command -v lttng >/dev/null 2>&1")) {
		snprintf(why, n, "the lttng command is not installed");
		return 0;
	}
	if (access(lib, R_OK)) {
		snprintf(why, n, "pvmon's tracepoint provider %.300s is not built", lib);
		return 0;
	}
	return 1;
}

/* pvtrace (the tracing issue) summarises a trace when it is built: its
 * output, or NULL without pvtrace or when it fails. */
static char *pvtrace_output(const char *args, const char *dir)
{
	char tool[PATH_MAX + 16], cmd[2 * PATH_MAX + 96];
	snprintf(tool, sizeof(tool), "%s/pvtrace", bindir);
	if (access(tool, X_OK))
		return NULL;
	snprintf(cmd, sizeof(cmd), "'%s' %s '%s' 2>/dev/null", tool, args, dir);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	char *out = NULL;
	size_t cap = 0;
	ssize_t len = getdelim(&out, &cap, 0, p);
	int st = pclose(p);
	if (len <= 0 || st) {
		free(out);
		return NULL;
	}
	return out;
}

/* Latency histograms of every hypercall together and of the null one. */
static void store_hists(struct run *r, const struct db_cell *c, int rep, const char *dir)
{
	static const char *const which[] = { "all", "null" };
	for (int i = 0; i < 2; i++) {
		char args[64];
		snprintf(args, sizeof(args), "hist --csv --hypercall %s", which[i]);
		char *csv = pvtrace_output(args, dir), *save = NULL;
		for (char *l = csv ? strtok_r(csv, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
			unsigned long long lo, hi, n;
			if (sscanf(l, "%llu,%llu,%llu", &lo, &hi, &n) == 3)
				db_store_hist(r->db, c->id, rep, which[i], lo, hi, n);
		}
		free(csv);
	}
}

static void store_trace(struct run *r, const struct db_cell *c, int rep, const char *dir)
{
	if (!strncmp(dir, "net://", 6)) {      /* on the fleet controller: it summarises there */
		db_store_trace(r->db, c->id, rep, dir, "streamed to pvbench fleet's lttng-relayd", NULL);
		return;
	}
	char *sum = pvtrace_output("summary --json", dir);
	const char *note = sum ? "pvtrace summary --json" : "kept for pvtrace/babeltrace2 (pvtrace is not built)";
	db_store_trace(r->db, c->id, rep, dir, note, sum);
	if (sum)
		store_hists(r, c, rep, dir);
	free(sum);
}

static void finish_cell(struct run *r, const struct db_cell *c, const char *status, const char *reason,
                        const char *detail, double wall)
{
	int rc = db_cell_finish(r->db, c, status, reason, detail, wall);
	if (rc == -ESTALE)
		fprintf(stderr, "pvbench: cell %d was given up by the fleet controller meanwhile; its result is not kept\n",
		        c->seq);
	else if (rc)
		fprintf(stderr, "pvbench: %s: cannot record cell %d: %s\n", r->db_path, c->seq, db_error(r->db));
	r->counts[!strcmp(status, "done") ? 0 : !strcmp(status, "unsupported") ? 1 : 2]++;
	progress_cell_end(&r->prog, status, reason);
}

/* A nested environment can be had here: its probe, once per run. 0, or
 * -EINTR (ask again), or -ENOTSUP with why in its state. */
static int env_gate(struct run *r, const char *env)
{
	struct plat_state *es = &r->envs[env_index(env)];
	if (!es->detected) {
		es->detected = 1;
		progress_note(&r->prog, "making the nested AMD-V host (a probe boot)");
		es->det_rc = nested_probe(env, es->detail, sizeof(es->detail), es->reason, sizeof(es->reason));
		progress_note(&r->prog, "");
	}
	if (es->det_rc == -EINTR || bench_interrupted)
		es->detected = 0;
	return bench_interrupted ? -EINTR : es->det_rc;
}

/* Detection, support and image preparation before a cell runs: 0 to run
 * it, -EINTR if interrupted meanwhile, else the cell is finished here
 * (unsupported or failed). A cell of a nested environment is detected
 * there, in each boot; here its environment is probed and the host makes
 * what the nested host cannot (guest images). */
static int cell_gate(struct run *r, const struct db_cell *c, const struct platform_ops *ops)
{
	struct plat_state *ps = state_of(r, ops, c->env);
	char why[512];
	/* a nested environment: its probe stands for the platform's detection */
	if (!ps->detected && env_nested(c->env)) {
		int rc = env_gate(r, c->env);
		if (rc == -EINTR)
			return rc;
		const struct plat_state *es = &r->envs[env_index(c->env)];
		ps->detected = 1;
		ps->det_rc = rc;
		memcpy(ps->detail, es->detail, sizeof(ps->detail));
		memcpy(ps->reason, es->reason, sizeof(ps->reason));
	}
	int rc = platform_gate(ps, ops, c->env, c->workload, &r->prog, why, sizeof(why));
	if (rc == -EINTR || bench_interrupted)
		return -EINTR;
	if (rc)
		finish_cell(r, c, rc == -ENOTSUP ? "unsupported" : "failed", why, ps->det_rc ? NULL : ps->detail, 0);
	return rc;
}

/* The workload's key=value words over the repetitions of a cell: a word
 * the same in every repetition once (key=v), one that differs with every
 * repetition's value in order (key=v1,v2,v3: httperf's errors, the
 * guest's boot_s). */
struct detail_acc {
	int n, reps;
	struct {
		char key[40], vals[200], first[64];
		bool varies;
	} kv[40];
};

static void detail_add(struct detail_acc *a, const char *words)
{
	char copy[1024], *save;
	snprintf(copy, sizeof(copy), "%s", words);
	a->reps++;
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(w, '=');
		if (!eq)
			continue;
		*eq = 0;
		int i = 0;
		while (i < a->n && strcmp(a->kv[i].key, w))
			i++;
		if (i == a->n) {
			if (a->n == (int)(sizeof(a->kv) / sizeof(a->kv[0])))
				continue;
			a->n++;
			snprintf(a->kv[i].key, sizeof(a->kv[i].key), "%s", w);
			snprintf(a->kv[i].first, sizeof(a->kv[i].first), "%s", eq + 1);
			a->kv[i].vals[0] = 0;
			a->kv[i].varies = a->reps > 1;      /* missing from earlier repetitions */
		}
		size_t l = strlen(a->kv[i].vals);
		snprintf(a->kv[i].vals + l, sizeof(a->kv[i].vals) - l, "%s%s", l ? "," : "", eq + 1);
		a->kv[i].varies |= strcmp(a->kv[i].first, eq + 1) != 0;
	}
}

/* The platform's detail, then the workload's words whose key it does not
 * already give. */
static void detail_merge(char *out, size_t n, const char *platform, const struct detail_acc *a)
{
	struct rep_result m = { 0 };
	snprintf(m.detail, sizeof(m.detail), "%s", platform);
	for (int i = 0; i < a->n; i++)
		result_detail(&m, a->kv[i].key, a->kv[i].varies ? a->kv[i].vals : a->kv[i].first);
	snprintf(out, n, "%s", m.detail);
}

/* A cell of the group under way. */
struct active {
	const struct db_cell *c;
	const struct platform_ops *ops;
	int idx;                  /* in the run's cells (progress) */
	bool live;                /* repetitions left to run */
	double t0;
	struct detail_acc details;
};

static void end_active(struct run *r, struct active *a, const char *status, const char *reason)
{
	char detail[1024];
	detail_merge(detail, sizeof(detail), state_of(r, a->ops, a->c->env)->detail, &a->details);
	progress_cell_begin(&r->prog, a->idx);
	finish_cell(r, a->c, status, reason, detail, mono_s() - a->t0);
	a->live = false;
}

/* What a measurement gave one cell (rep 0: its platform's warm-up),
 * stored with its place in the run's order. 0 done; 1 the cell failed or
 * turned out unsupported and is finished here; -EIO the database failed. */
static int record_rep(struct run *r, struct active *a, int rep, const struct rep_result *res, int rc,
                      const char *trace_dir)
{
	const struct db_cell *c = a->c;
	const char *status = !rc ? "done" : rc == -ENOTSUP ? "unsupported" : "failed";
	int st = db_store_rep(r->db, c, rep, status, res);
	if (st == -ESTALE) {
		fprintf(stderr, "pvbench: cell %d was given up by the fleet controller (its host was lost); stopping\n",
		        c->seq);
		return -EIO;
	}
	if (st) {
		fprintf(stderr, "pvbench: %s: cannot store samples: %s\n", r->db_path, db_error(r->db));
		return -EIO;
	}
	if (rep > 0)
		detail_add(&a->details, res->detail);
	if (!rc && trace_dir)
		store_trace(r, c, rep, trace_dir);
	if (!rc)
		return 0;
	/* a repetition that failed fails the cell; only an interruption or
	 * a database that cannot be written stops the run */
	char reason[512];
	if (rep == 0 && rc != -ENOTSUP)
		snprintf(reason, sizeof(reason), "warm-up repetition: %.480s", res->reason);
	else if (rep > 1 && rc != -ENOTSUP)
		snprintf(reason, sizeof(reason), "repetition %d: %.480s", rep, res->reason);
	else
		snprintf(reason, sizeof(reason), "%s", res->reason);
	end_active(r, a, status, reason);
	return 1;
}

/* A shared measurement's counters counted every side of it together: each
 * cell gets them, and says so. */
static void share_counters(struct rep_result *res, int n)
{
	if (!res[0].nc)
		return;
	size_t l = strlen(res[0].counter_note);
	snprintf(res[0].counter_note + l, sizeof(res[0].counter_note) - l, "; one measurement for %d cells: counts all", n);
	for (int i = 1; i < n; i++) {
		memcpy(res[i].c, res[0].c, sizeof(res[0].c));
		res[i].nc = res[0].nc;
		memcpy(res[i].counter_note, res[0].counter_note, sizeof(res[0].counter_note));
	}
}

/* One measurement for the cells u[0..n) of a round (rep 0: warm-ups),
 * each result stored in turn. 0, -EINTR (interrupted: nothing stored) or
 * -EIO (the database failed); *ended counts the cells it finished
 * (failed or unsupported). */
static int run_unit(struct run *r, struct active *const *u, int n, int rep, int *ended)
{
	struct rep_result res[GROUP_MAX] = { 0 };
	struct cell_ctx ctx[GROUP_MAX];
	struct measured m[GROUP_MAX];
	int idx[GROUP_MAX], rc = 0;
	char tdir[PATH_MAX + 64];
	for (int i = 0; i < n; i++) {
		ctx[i] = (struct cell_ctx){ .cell = u[i]->c, .rep = rep, .prog = &r->prog };
		m[i] = (struct measured){ .ctx = &ctx[i], .ops = u[i]->ops, .res = &res[i] };
		idx[i] = u[i]->idx;
	}
	if (r->trace && rep > 0 && n == 1 && !strcmp(u[0]->c->platform, "pvos") && !env_nested(u[0]->c->env)) {
		snprintf(tdir, sizeof(tdir), "%s/cell%lld-rep%d", r->trace_base, (long long)u[0]->c->id, rep);
		ctx[0].trace_dir = tdir;
	}
	/* counters here would count the nested host's emulator, not the cells */
	bool count = r->counters && rep > 0 && !env_nested(u[0]->c->env);
	progress_cell_begin(&r->prog, idx[0]);
	progress_rep(&r->prog, rep);
	if (count)
		rep_counters_begin(&res[0]);
	measure(m, n);
	if (count)
		rep_counters_end();
	progress_rep_end_shared(&r->prog, idx, n);
	for (int i = 0; i < n; i++)
		if (m[i].rc == -EINTR || bench_interrupted)
			rc = -EINTR;
	if (!rc && n > 1)
		share_counters(res, n);
	for (int i = 0; i < n && !rc; i++) {
		int st = record_rep(r, u[i], rep, &res[i], m[i].rc, ctx[i].trace_dir);
		if (st < 0)
			rc = st;
		else
			*ended += st;
	}
	for (int i = 0; i < n; i++)
		result_free(&res[i]);
	return rc;
}

/* The cells of one round, sel[0..n) in the group's order, measured unit
 * by unit: a unit is a cell and the later ones measured_together with it.
 * Returns as run_unit. */
static int run_round(struct run *r, struct active *const *sel, int n, int rep, int *ended)
{
	bool taken[GROUP_MAX] = { false };
	const struct db_cell *c[GROUP_MAX];
	int rc = 0;
	for (int i = 0; i < n; i++)
		c[i] = sel[i]->c;
	for (int i = 0; i < n && !rc; i++) {
		if (taken[i])
			continue;
		struct active *u[GROUP_MAX];
		int at[GROUP_MAX], k = round_unit(c, n, taken, i, at);
		for (int j = 0; j < k; j++)
			u[j] = sel[at[j]];
		rc = run_unit(r, u, k, rep, ended);
	}
	return rc;
}

/* The cells of one group: gates, the warm-ups of platforms not warmed up
 * yet in this session, then round after round. -EINTR: interrupted, the
 * cells begun stay 'running' and a resumed run starts them again; -EIO:
 * the database failed. */
static int run_group(struct run *r, struct db_cell *cells, const int *idx, int n)
{
	struct active act[GROUP_MAX], *sel[GROUP_MAX];
	int live = 0, max_reps = 0, rc = 0, ended = 0, k, ns;
	for (k = 0; k < n; k++) {
		struct db_cell *c = &cells[idx[k]];
		act[k] = (struct active){ .c = c, .idx = idx[k], .ops = platform_find(c->platform) };
		progress_cell_begin(&r->prog, idx[k]);
		if (!act[k].ops) {
			finish_cell(r, c, "failed", "unknown platform in the database", NULL, 0);
			continue;
		}
		int gate = cell_gate(r, c, act[k].ops);
		if (gate == -EINTR)
			return gate;          /* the cell stays pending */
		if (gate)
			continue;
		if (db_cell_start(r->db, c)) {
			fprintf(stderr, "pvbench: %s: %s\n", r->db_path, db_error(r->db));
			return -EIO;
		}
		act[k].live = true;
		act[k].t0 = mono_s();
		live++;
		if (c->reps > max_reps)
			max_reps = c->reps;
	}
	/* a nested host's native cell is there as the baseline of the others:
	 * without one left to compare with it, it is not run */
	for (k = 0; k < n; k++) {
		if (!act[k].live || !env_nested(act[k].c->env) || strcmp(act[k].c->platform, "native"))
			continue;
		bool other = false;
		for (int j = 0; j < n; j++)
			other |= j != k && act[j].live && !strcmp(act[j].c->env, act[k].c->env);
		if (!other)
			end_active(r, &act[k], "unsupported", "the baseline of cells that cannot run here: none of this group's "
			                                      "other cells runs in this nested host"), live--;
	}
	/* warm-ups: the live cells whose platform has not had one */
	for (k = ns = 0; k < n; k++)
		if (act[k].live && !r->warmed[slot(act[k].ops, act[k].c->env)])
			sel[ns++] = &act[k];
	if (ns) {
		rc = run_round(r, sel, ns, 0, &ended);
		/* a failed warm-up: the platform's next cell tries again */
		for (k = 0; k < ns && !rc; k++)
			r->warmed[slot(sel[k]->ops, sel[k]->c->env)] = sel[k]->live;
	}
	live -= ended;
	for (int rep = 1; rep <= max_reps && live && !rc; rep++) {
		for (k = ns = 0; k < n; k++)
			if (act[k].live && act[k].c->reps >= rep)
				sel[ns++] = &act[k];
		ended = 0;
		rc = run_round(r, sel, ns, rep, &ended);
		live -= ended;
		for (k = 0; k < ns && !rc; k++)
			if (sel[k]->live && rep == sel[k]->c->reps)
				end_active(r, sel[k], "done", NULL), live--;
	}
	return rc;
}

/* The key a suite is resumed by: its name, or the real path of a file. */
static void suite_key(const char *arg, const char *path, char *key, size_t n)
{
	char real[PATH_MAX];
	if (!strchr(arg, '/') && access(arg, F_OK))
		snprintf(key, n, "%s", arg);
	else
		snprintf(key, n, "%s", realpath(path, real) ? real : path);
}

char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *t = NULL;
	size_t cap = 0;
	if (!f || getdelim(&t, &cap, 0, f) < 0) {
		free(t);
		t = strdup("");
	}
	if (f)
		fclose(f);
	return t;
}

static int run_loop(struct run *r, struct db_cell *cells, int n)
{
	int ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN), finished = 0;
	struct progress_cell *pc = calloc((size_t)n, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		snprintf(pc[i].platform, sizeof(pc[i].platform), "%s%s%s", cells[i].platform,
		         env_nested(cells[i].env) ? "@" : "", env_nested(cells[i].env) ? cells[i].env : "");
		snprintf(pc[i].workload, sizeof(pc[i].workload), "%s", cells[i].workload);
		pc[i].domains = cells[i].domains;
		pc[i].reps = cells[i].reps;
		pc[i].weight = progress_weight(cells[i].domains, ncpus);
		pc[i].finished = !strcmp(cells[i].status, "done") || !strcmp(cells[i].status, "unsupported") ||
		                 !strcmp(cells[i].status, "failed");
		finished += pc[i].finished;
	}
	if (finished)
		printf("pvbench: resuming run %lld: %d of %d cells finished earlier are skipped\n", (long long)r->id,
		       finished, n);
	progress_init(&r->prog, stdout, isatty(1), pc, n);
	ticking = &r->prog;
	spawn_tick = tick;
	/* groups: the unfinished cells of one workload and domain count, in
	 * the order of their first cell in the suite */
	int *idx = calloc((size_t)n, sizeof(*idx)), rc = 0;
	bool *taken = calloc((size_t)n, sizeof(*taken));
	for (int i = 0; i < n && idx && taken && !rc; i++) {
		if (pc[i].finished || taken[i])
			continue;
		int g = 0;
		for (int j = i; j < n && g < GROUP_MAX; j++)
			if (!pc[j].finished && !taken[j] && !strcmp(cells[j].workload, cells[i].workload) &&
			    cells[j].domains == cells[i].domains)
				idx[g++] = j, taken[j] = true;
		rc = run_group(r, cells, idx, g);
	}
	if (!idx || !taken)
		rc = -ENOMEM;
	spawn_tick = NULL;
	progress_finish(&r->prog);
	free(idx);
	free(taken);
	free(pc);
	return rc;
}

struct run_args {
	const char *suite, *db, *platforms;
	int reps, trace, counters, fresh, no_nested;
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
		{ "suite", required_argument, 0, 's' }, { "db", required_argument, 0, 'd' },
		{ "reps", required_argument, 0, 'r' }, { "platforms", required_argument, 0, 'p' },
		{ "trace", no_argument, 0, 't' }, { "counters", no_argument, 0, 'c' },
		{ "new", no_argument, 0, 'n' }, { "no-nested", no_argument, 0, 'N' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	*a = (struct run_args){ .db = "results.db" };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': a->suite = optarg; break;
		case 'd': a->db = optarg; break;
		case 'r':
			if (num_int(optarg, 1, 1000, &a->reps))
				return usage_error("--reps must be a number in 1..1000");
			break;
		case 'p': a->platforms = optarg; break;
		case 't': a->trace = 1; break;
		case 'c': a->counters = 1; break;
		case 'n': a->fresh = 1; break;
		case 'N': a->no_nested = 1; break;
		case 'h': bench_usage(stdout); return 1;
		default: fprintf(stderr, "pvbench: try pvbench --help\n"); return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument (see pvbench --help)");
	if (!a->suite)
		return usage_error("--suite quick|full|FILE is required");
	return 0;
}

/* The same suite file, reps, platforms and placement make the same run
 * (no_nested only when given: the runs of earlier pvbench stay
 * resumable). */
static void options_string(const struct run_args *a, const struct suite *s, char *out, size_t n)
{
	char reps[16];
	snprintf(reps, sizeof(reps), "%d", a->reps);
	snprintf(out, n, "suite_hash=%016llx reps=%s platforms=%s trace=%d counters=%d%s",
	         (unsigned long long)s->hash, a->reps ? reps : "suite", a->platforms ? a->platforms : "all", a->trace,
	         a->counters, a->no_nested ? " no_nested=1" : "");
}

/* This host's facts, with what the pvos platform's detection finds here
 * (its KVM back end, or why there is none); kept for placement. */
static void detect_host(struct run *r, struct host_facts *h)
{
	char err[600];
	struct plat_state *ps = state_of(r, &pvos_platform, ENV_HARDWARE);
	ps->detected = 1;
	ps->det_rc = pvos_platform.detect(&pvos_platform, ps->detail, sizeof(ps->detail), ps->reason, sizeof(ps->reason));
	snprintf(err, sizeof(err), "unavailable: %.480s", ps->reason);
	host_facts(h, ps->det_rc ? err : ps->detail);
}

/* Where the suite's cells run (suite_place), said once. */
static int place(struct run *r, const struct run_args *a, struct suite *s)
{
	struct placement p;
	char why[512];
	bool kvm = !state_of(r, &pvos_platform, ENV_HARDWARE)->det_rc;
	nested_placement(kvm, a->no_nested, &p, why, sizeof(why));
	if (suite_place(s, &p))
		return fprintf(stderr, "pvbench: the suite and its native baselines exceed %d cells\n", SUITE_MAX_CELLS), 1;
	if (why[0])
		printf("pvbench: %s\n", why);
	return 0;
}

static int open_run(struct run *r, const struct run_args *a, struct suite *s, const char *text)
{
	char opts[512], old[512];
	options_string(a, s, opts, sizeof(opts));
	if (!a->fresh) {
		if (db_unfinished_run(r->db, r->suite_key, &r->id, old, sizeof(old)))
			return fprintf(stderr, "pvbench: %s: %s\n", r->db_path, db_error(r->db)), 1;
		if (r->id && strcmp(old, opts)) {
			fprintf(stderr, "pvbench: run %lld of suite %s in %s is unfinished with other options or an edited suite\n"
			        "  (it has: %s)\n  run with the same options to resume it, or add --new to start a new run\n",
			        (long long)r->id, a->suite, r->db_path, old);
			return 2;
		}
	}
	if (r->id)
		return 0;
	/* a new run: the host facts, with what the pvos platform finds */
	struct host_facts h;
	detect_host(r, &h);
	if (place(r, a, s))
		return 1;
	if (db_create_run(r->db, r->suite_key, s, text, opts, a->reps, &h, &r->id))
		return fprintf(stderr, "pvbench: %s: cannot create the run: %s\n", r->db_path, db_error(r->db)), 1;
	printf("pvbench: run %lld of suite %s: %d cells, results in %s\n", (long long)r->id, a->suite, s->n, r->db_path);
	return 0;
}

static void optional_features(struct run *r, const struct run_args *a)
{
	char why[512];
	if (a->trace && !(r->trace = trace_possible(why, sizeof(why))))
		printf("pvbench: --trace: not supported here (%s); running without traces\n", why);
	if (r->trace) {
		char copy[PATH_MAX];
		snprintf(copy, sizeof(copy), "%s", r->db_path);
		/* beside an SQLite file; in the current directory for a server */
		snprintf(r->trace_base, sizeof(r->trace_base), "%s/traces/run%lld", db_is_url(r->db_path) ? "." : dirname(copy),
		         (long long)r->id);
		char cmd[PATH_MAX + 32];
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", r->trace_base);
		if (sh(cmd)) {
			printf("pvbench: --trace: cannot create %s; running without traces\n", r->trace_base);
			r->trace = 0;
		}
	}
	r->counters = a->counters;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a;
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : rc;
	char path[PATH_MAX], err[1024], key[PATH_MAX];
	struct suite s;
	if (suite_resolve(a.suite, path, sizeof(path), err, sizeof(err)) ||
	    suite_load(path, &s, err, sizeof(err)))
		return fprintf(stderr, "pvbench: %s\n", err), 2;
	if (a.platforms && suite_filter(&s, a.platforms, err, sizeof(err))) {
		suite_free(&s);
		return fprintf(stderr, "pvbench: %s\n", err), 2;
	}
	suite_key(a.suite, path, key, sizeof(key));
	struct run r = { .db_path = a.db, .suite_key = key };
	if (db_open(a.db, &r.db, err, sizeof(err))) {
		suite_free(&s);
		return fprintf(stderr, "pvbench: %s\n", err), 1;
	}
	char *text = read_text(path);
	rc = open_run(&r, &a, &s, text);
	free(text);
	suite_free(&s);
	struct db_cell *cells = NULL;
	int n = 0;
	if (!rc && db_load_cells(r.db, r.id, NULL, &cells, &n)) {
		fprintf(stderr, "pvbench: %s: %s\n", a.db, db_error(r.db));
		rc = 1;
	}
	if (rc) {
		db_close(r.db);
		return rc;
	}
	optional_features(&r, &a);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = run_loop(&r, cells, n);
	free(cells);
	if (rc == -EINTR) {
		printf("pvbench: interrupted; run the same command again to resume run %lld\n", (long long)r.id);
		db_close(r.db);
		return 130;
	}
	int fin = rc ? 0 : db_finish_run(r.db, r.id);
	printf("pvbench: run %lld %s: %d done, %d unsupported, %d failed in this session; results in %s\n",
	       (long long)r.id, fin == 1 ? "finished" : "stopped", r.counts[0], r.counts[1], r.counts[2], a.db);
	db_close(r.db);
	return rc ? 1 : 0;
}

/* pvbench fleet work (bench/fleet.c): the cells of one host of a fleet
 * run, on that host, each repetition written to the fleet's database as
 * it ends. The host's facts go in first (the newest win on a resume). */
/* --trace on a fleet host: each traced repetition's LTTng session goes to
 * the controller's lttng-relayd at relayd (net://ADDR:CTRL:DATA) under
 * HOST/cellC-repK. 1 if this host can trace. */
static int relayd_trace(struct run *r, const char *relayd)
{
	char why[512];
	if (!trace_possible(why, sizeof(why))) {
		printf("pvbench: --trace: not supported on host %s (%s); running without traces\n", r->host, why);
		return 0;
	}
	snprintf(r->trace_base, sizeof(r->trace_base), "%s/%s", relayd, r->host);
	return 1;
}

int run_host_cells(const char *target, int64_t run_id, const char *host, const char *relayd)
{
	char err[1024];
	struct run r = { .id = run_id, .host = host };
	if (db_open(target, &r.db, err, sizeof(err)))
		return fprintf(stderr, "pvbench: %s\n", err), 1;
	r.db_path = db_target(r.db);
	struct host_facts h;
	detect_host(&r, &h);
	struct db_cell *cells = NULL;
	int n = 0, rc = 0;
	if (db_store_host(r.db, run_id, host, &h) || db_load_cells(r.db, run_id, host, &cells, &n)) {
		fprintf(stderr, "pvbench: %s: %s\n", r.db_path, db_error(r.db));
		db_close(r.db);
		return 1;
	}
	if (!n)
		fprintf(stderr, "pvbench: run %lld has no cells for host %s\n", (long long)run_id, host);
	r.trace = relayd ? relayd_trace(&r, relayd) : 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);       /* the controller's ssh session went away */
	rc = n ? run_loop(&r, cells, n) : 1;
	free(cells);
	printf("pvbench: host %s: %d done, %d unsupported, %d failed in this session\n", host, r.counts[0], r.counts[1],
	       r.counts[2]);
	db_close(r.db);
	return rc == -EINTR ? 130 : rc ? 1 : 0;
}
