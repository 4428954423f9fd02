/* Suite files: parsing, validation and the --platforms filter. A suite
 * names cells; expanding "native,pvos cpu 1,2,4" into six of them here keeps
 * the files short and the run loop simple. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "numparse.h"
#include "paths.h"
#include "suite.h"

const char *const bench_platforms[] = { "native", "pv", "pvos", "fullvirt", "uml", NULL };
const char *const bench_workloads[] = {
	"cpu", "hcall", "lmbench", "pgbench-ro", "pgbench-tpcb", "dbench", "httperf", "httperf-vif", NULL,
};

const char *const bench_envs[] = { ENV_HARDWARE, ENV_NESTED_SVM, ENV_NESTED_SVM_SHADOW, NULL };

bool env_nested(const char *env)
{
	return !strncmp(env, "nested-", 7);
}

bool suite_known(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}

const char *suite_names(const char *const *list, const char *prefix, char *out, size_t n)
{
	size_t at = 0;
	out[0] = 0;
	for (const char *const *p = list; *p && at < n; p++)
		at += (size_t)snprintf(out + at, n - at, "%s%s%s", p == list ? "" : ", ", prefix, *p);
	return out;
}

uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

int suite_resolve(const char *arg, char *path, size_t n, char *err, size_t errlen)
{
	struct stat st;
	if (strchr(arg, '/') || !stat(arg, &st)) {
		snprintf(path, n, "%s", arg);
		return 0;
	}
	const char *dir = getenv("PVBENCH_SUITES_DIR");
	char def[4096];
	if (!dir || !*dir) {
		snprintf(def, sizeof(def), "%s/bench/suites", bench_srcdir());
		dir = def;
	}
	snprintf(path, n, "%s/%s.suite", dir, arg);
	if (stat(path, &st)) {
		snprintf(err, errlen, "no suite '%s' (looked for %s; give a name from %s or a file path)",
		         arg, path, dir);
		return -ENOENT;
	}
	return 0;
}

struct defaults {
	int reps, timeout_s;
};

static int add_cell(struct suite *s, const struct cell_spec *c)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->cells[i].platform, c->platform) && !strcmp(s->cells[i].workload, c->workload) &&
		    s->cells[i].domains == c->domains && !strcmp(s->cells[i].env, c->env))
			return s->cells[i].line;       /* the same cell twice */
	if (s->n >= SUITE_MAX_CELLS)
		return -ENOSPC;
	s->cells[s->n++] = *c;
	return 0;
}

/* One "PLATFORMS WORKLOAD DOMAINS [key=value|quick]..." line. */
static int parse_cells(struct suite *s, char **tok, int ntok, const struct defaults *d, int line,
                       char *why, size_t whylen)
{
	if (ntok < 3) {
		snprintf(why, whylen, "expected 'PLATFORMS WORKLOAD DOMAINS [reps=N] [timeout=S] [quick]'");
		return -EINVAL;
	}
	struct cell_spec c = { .reps = d->reps, .timeout_s = d->timeout_s, .line = line };
	if (!suite_known(bench_workloads, tok[1])) {
		snprintf(why, whylen, "unknown workload '%s'", tok[1]);
		return -EINVAL;
	}
	snprintf(c.workload, sizeof(c.workload), "%s", tok[1]);
	for (int i = 3; i < ntok; i++) {
		if (!strcmp(tok[i], "quick"))
			c.quick = true;
		else if (!strncmp(tok[i], "reps=", 5) && !num_int(tok[i] + 5, 1, 1000, &c.reps))
			;
		else if (!strncmp(tok[i], "timeout=", 8) && !num_int(tok[i] + 8, 1, 86400, &c.timeout_s))
			;
		else {
			snprintf(why, whylen, "bad option '%s' (reps=1..1000, timeout=SECONDS, quick)", tok[i]);
			return -EINVAL;
		}
	}
	/* platforms inner: the cells of one domain count run back to back, so
	 * that the platforms compared meet the same host load */
	char plats[256], doms[256], *sp, *sd;
	snprintf(doms, sizeof(doms), "%s", tok[2]);
	for (char *q = strtok_r(doms, ",", &sd); q; q = strtok_r(NULL, ",", &sd)) {
		if (num_int(q, 1, SUITE_MAX_DOMAINS, &c.domains)) {
			snprintf(why, whylen, "bad domain count '%s' (1..%d)", q, SUITE_MAX_DOMAINS);
			return -EINVAL;
		}
		snprintf(plats, sizeof(plats), "%s", tok[0]);
		for (char *p = strtok_r(plats, ",", &sp); p; p = strtok_r(NULL, ",", &sp)) {
			char *at = strchr(p, '@');
			if (at)
				*at++ = 0;
			char names[128];
			if (!suite_known(bench_platforms, p)) {
				snprintf(why, whylen, "unknown platform '%s' (%s)", p,
				         suite_names(bench_platforms, "", names, sizeof(names)));
				return -EINVAL;
			}
			if (at && !suite_known(bench_envs, at)) {
				snprintf(why, whylen, "unknown environment '@%s' (%s)", at,
				         suite_names(bench_envs, "@", names, sizeof(names)));
				return -EINVAL;
			}
			snprintf(c.platform, sizeof(c.platform), "%s", p);
			snprintf(c.env, sizeof(c.env), "%s", at ? at : "");
			int rc = add_cell(s, &c);
			if (rc > 0)
				snprintf(why, whylen, "%s%s%s %s %d is already listed on line %d", c.platform, at ? "@" : "",
				         c.env, c.workload, c.domains, rc);
			else if (rc < 0)
				snprintf(why, whylen, "more than %d cells", SUITE_MAX_CELLS);
			if (rc)
				return -EINVAL;
		}
	}
	return 0;
}

/* "reps N" and "timeout S" set the defaults for the lines below them. */
static int parse_default(char **tok, int ntok, struct defaults *d, char *why, size_t whylen)
{
	bool reps = !strcmp(tok[0], "reps");
	if (ntok != 2 || (reps ? num_int(tok[1], 1, 1000, &d->reps) : num_int(tok[1], 1, 86400, &d->timeout_s))) {
		snprintf(why, whylen, reps ? "expected 'reps N' with N in 1..1000" : "expected 'timeout SECONDS'");
		return -EINVAL;
	}
	return 0;
}

/* "fleet replicate|spread": how pvbench fleet places the cells on hosts. */
static int parse_fleet(struct suite *s, char **tok, int ntok, char *why, size_t whylen)
{
	if (ntok != 2 || (strcmp(tok[1], "replicate") && strcmp(tok[1], "spread"))) {
		snprintf(why, whylen, "expected 'fleet replicate' or 'fleet spread'");
		return -EINVAL;
	}
	snprintf(s->fleet, sizeof(s->fleet), "%s", tok[1]);
	return 0;
}

int suite_parse(const char *text, const char *path, struct suite *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(s->fleet, sizeof(s->fleet), "replicate");
	s->hash = fnv1a(text, strlen(text));
	s->cells = calloc(SUITE_MAX_CELLS, sizeof(*s->cells));
	if (!s->cells)
		return -ENOMEM;
	struct defaults d = { .reps = 3, .timeout_s = 1200 };
	char *copy = strdup(text), *next = copy, why[256];
	if (!copy) {
		suite_free(s);
		return -ENOMEM;
	}
	int line = 0, rc = 0;
	while (next && !rc) {
		char *l = next;
		next = strchr(l, '\n');
		if (next)
			*next++ = 0;
		line++;
		char *hash = strchr(l, '#');
		if (hash)
			*hash = 0;
		char *tok[16], *st;
		int ntok = 0;
		for (char *t = strtok_r(l, " \t\r", &st); t && ntok < 16; t = strtok_r(NULL, " \t\r", &st))
			tok[ntok++] = t;
		if (!ntok)
			continue;
		if (!strcmp(tok[0], "reps") || !strcmp(tok[0], "timeout"))
			rc = parse_default(tok, ntok, &d, why, sizeof(why));
		else if (!strcmp(tok[0], "fleet"))
			rc = parse_fleet(s, tok, ntok, why, sizeof(why));
		else
			rc = parse_cells(s, tok, ntok, &d, line, why, sizeof(why));
		if (rc)
			snprintf(err, errlen, "%s:%d: %s", path, line, why);
	}
	free(copy);
	if (!rc && !s->n) {
		snprintf(err, errlen, "%s: lists no cells", path);
		rc = -EINVAL;
	}
	if (rc)
		suite_free(s);
	return rc;
}

int suite_load(const char *path, struct suite *s, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot read suite %s: %s", path, strerror(errno));
		return -errno;
	}
	char *text = NULL;
	size_t cap = 0;
	errno = 0;
	ssize_t len = getdelim(&text, &cap, 0, f);   /* the whole file */
	int e = ferror(f) ? errno : 0;
	fclose(f);
	if (e) {
		free(text);
		snprintf(err, errlen, "cannot read suite %s: %s", path, strerror(e));
		return -e;
	}
	if (len < 0) {
		free(text);
		text = strdup("");
	}
	if (!text)
		return -ENOMEM;
	int rc = suite_parse(text, path, s, err, errlen);
	free(text);
	return rc;
}

void suite_free(struct suite *s)
{
	free(s->cells);
	s->cells = NULL;
	s->n = 0;
}

int suite_filter(struct suite *s, const char *list, char *err, size_t errlen)
{
	char copy[256], *sp;
	const char *keep[8];
	int nkeep = 0;
	snprintf(copy, sizeof(copy), "%s", list);
	for (char *p = strtok_r(copy, ",", &sp); p; p = strtok_r(NULL, ",", &sp)) {
		if (!suite_known(bench_platforms, p) || nkeep >= 8) {
			char names[128];
			snprintf(err, errlen, "--platforms: unknown platform '%s' (%s)", p,
			         suite_names(bench_platforms, "", names, sizeof(names)));
			return -EINVAL;
		}
		keep[nkeep++] = p;
	}
	if (!nkeep) {
		snprintf(err, errlen, "--platforms: empty list");
		return -EINVAL;
	}
	int n = 0;
	for (int i = 0; i < s->n; i++) {
		bool k = false;
		for (int j = 0; j < nkeep; j++)
			k |= !strcmp(s->cells[i].platform, keep[j]);
		if (k)
			s->cells[n++] = s->cells[i];
	}
	s->n = n;
	if (!n) {
		snprintf(err, errlen, "--platforms %s: the suite has no cell on these platforms", list);
		return -ENOENT;
	}
	return 0;
}

static bool same_group(const struct cell_spec *a, const struct cell_spec *b)
{
	return !strcmp(a->workload, b->workload) && a->domains == b->domains;
}

/* The native cell of c's group in c's environment, added before c. */
static int add_baseline(struct suite *s, int at)
{
	const struct cell_spec *c = &s->cells[at];
	struct cell_spec b = *c;
	snprintf(b.platform, sizeof(b.platform), "native");
	for (int i = at; i < s->n; i++) {
		const struct cell_spec *o = &s->cells[i];
		if (!same_group(o, c) || strcmp(o->env, c->env))
			continue;
		b.reps = o->reps > b.reps ? o->reps : b.reps;
		b.timeout_s = o->timeout_s > b.timeout_s ? o->timeout_s : b.timeout_s;
		b.quick |= o->quick;
	}
	if (s->n >= SUITE_MAX_CELLS)
		return -ENOSPC;
	memmove(&s->cells[at + 1], &s->cells[at], (size_t)(s->n - at) * sizeof(*s->cells));
	s->cells[at] = b;
	s->n++;
	return 0;
}

int suite_place(struct suite *s, const struct placement *p)
{
	int n = 0;
	for (int i = 0; i < s->n; i++) {
		struct cell_spec c = s->cells[i];
		if (!c.env[0]) {
			const char *e = ENV_HARDWARE;
			if (!strcmp(c.platform, "pvos"))
				e = p->pvos;
			else if (!strcmp(c.platform, "pv"))
				e = p->pv;
			else if (!strcmp(c.platform, "fullvirt"))
				e = p->fullvirt;
			snprintf(c.env, sizeof(c.env), "%s", e);
		}
		bool dup = false;
		for (int j = 0; j < n && !dup; j++)
			dup = !strcmp(s->cells[j].platform, c.platform) && !strcmp(s->cells[j].env, c.env) &&
			      same_group(&s->cells[j], &c);
		if (!dup)
			s->cells[n++] = c;
	}
	s->n = n;
	for (int i = 0; i < s->n; i++) {
		const struct cell_spec *c = &s->cells[i];
		if (!env_nested(c->env) || !strcmp(c->workload, "hcall"))
			continue;
		bool have = false;
		for (int j = 0; j < s->n && !have; j++)
			have = !strcmp(s->cells[j].platform, "native") && !strcmp(s->cells[j].env, c->env) &&
			       same_group(&s->cells[j], c);
		if (!have && add_baseline(s, i))
			return -ENOSPC;
	}
	return 0;
}
