/* Samples of one repetition and the parsers of workload output; see
 * result.h. Parsers never trust the producer: a malformed line is
 * rejected, not half-read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jsonquote.h"
#include "jsonread.h"
#include "numparse.h"
#include "result.h"

void result_reset(struct rep_result *r)
{
	r->ns = r->nd = r->nc = 0;
	r->detail[0] = r->reason[0] = r->bad[0] = r->counter_note[0] = 0;
	r->wall_s = 0;
}

void result_free(struct rep_result *r)
{
	free(r->s);
	free(r->d);
	memset(r, 0, sizeof(*r));
}

static int grow(void **p, int *cap, int need, size_t size)
{
	if (need <= *cap)
		return 0;
	int n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, (size_t)n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

int result_add(struct rep_result *r, int instance, const char *metric, const char *unit, int higher,
               int derived, double value)
{
	if (grow((void **)&r->s, &r->cap_s, r->ns + 1, sizeof(*r->s)))
		return -ENOMEM;
	struct sample *s = &r->s[r->ns++];
	s->instance = instance;
	snprintf(s->metric, sizeof(s->metric), "%s", metric);
	snprintf(s->unit, sizeof(s->unit), "%s", unit);
	s->higher = higher;
	s->derived = derived;
	s->value = value;
	return 0;
}

/* Details are "key=value" words; a key given again replaces nothing, it
 * is simply listed once (the first value wins). */
void result_detail(struct rep_result *r, const char *key, const char *value)
{
	char probe[80];
	snprintf(probe, sizeof(probe), "%s=", key);
	for (const char *p = r->detail; (p = strstr(p, probe)); p++)
		if (p == r->detail || p[-1] == ' ')
			return;
	size_t len = strlen(r->detail);
	snprintf(r->detail + len, sizeof(r->detail) - len, "%s%s%s", len ? " " : "", probe, value);
}

int result_words(struct rep_result *r, const char *words)
{
	char copy[sizeof(r->detail)], *save;
	int rc = 0;
	snprintf(copy, sizeof(copy), "%s", words);
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(w, '=');
		if (!eq || eq == w) {
			rc = -EINVAL;
			continue;
		}
		*eq = 0;
		result_detail(r, w, eq + 1);
	}
	return rc;
}

int result_count(const struct rep_result *r, int instance, const char *suffix)
{
	size_t sl = strlen(suffix);
	int n = 0;
	for (int i = 0; i < r->ns; i++) {
		size_t ml = strlen(r->s[i].metric);
		n += r->s[i].instance == instance && ml >= sl && !strcmp(r->s[i].metric + ml - sl, suffix);
	}
	return n;
}

int parse_instance(const char *line, const char **rest)
{
	int k, used = 0;
	if (sscanf(line, "[d%d]%n", &k, &used) != 1 || !used || k < 1 || line[used] != ' ')
		return -EINVAL;
	*rest = line + used + 1;
	return k;
}

static void note_bad(struct rep_result *r, const char *fmt, const char *a, const char *b)
{
	if (!r->bad[0])
		snprintf(r->bad, sizeof(r->bad), fmt, a, b);
}

int parse_console(struct rep_result *r, const char *line)
{
	const char *s;
	int k = parse_instance(line, &s);
	if (k < 0)
		return 0;
	char name[32], verdict[16], metric[64], inst[16];
	unsigned long long res, ns, n, bs, calls;
	snprintf(inst, sizeof(inst), "d%d", k);
	if (sscanf(s, "cpu: %31s result=%llu best_ns=%llu %15s", name, &res, &ns, verdict) == 4) {
		if (strcmp(verdict, "ok")) {
			note_bad(r, "%s: kernel %s returned a wrong result", inst, name);
			return 0;
		}
		snprintf(metric, sizeof(metric), "%s_ms", name);
		return result_add(r, k, metric, "ms", 0, 0, (double)ns / 1e6) ? -ENOMEM : 1;
	}
	if (sscanf(s, "hcall: null n=%llu ns=%llu", &n, &ns) == 2)
		return result_add(r, k, "null_hcall_ns", "ns", 0, 0, (double)ns) ? -ENOMEM : 1;
	if (sscanf(s, "hcall: multicall batch=%llu calls=%llu ns_per_call=%llu", &bs, &calls, &ns) == 3) {
		snprintf(metric, sizeof(metric), "multicall_b%llu_ns", bs);
		return result_add(r, k, metric, "ns", 0, 0, (double)ns) ? -ENOMEM : 1;
	}
	return 0;
}

/* key=VALUE in a contract line; value ends at a space. */
static int word(const char *line, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	for (const char *p = line; (p = strstr(p, key)); p++) {
		if ((p != line && p[-1] != ' ') || p[kl] != '=')
			continue;
		p += kl + 1;
		size_t len = strcspn(p, " \t\r\n");
		if (!len || len >= n)
			return -EINVAL;
		memcpy(out, p, len);
		out[len] = 0;
		return 0;
	}
	return -ENOENT;
}

/* instance=K (1..1000), where the driver ran several copies, names the
 * copy a sample is of; without it the sample is the caller's instance. */
static int parse_sample(struct rep_result *r, int instance, const char *line)
{
	char metric[48], unit[16], higher[4], value[64], inst[16];
	if (word(line, "metric", metric, sizeof(metric)) || word(line, "unit", unit, sizeof(unit)) ||
	    word(line, "higher", higher, sizeof(higher)) || word(line, "value", value, sizeof(value)) ||
	    (strcmp(higher, "0") && strcmp(higher, "1")))
		return -EINVAL;
	int iw = word(line, "instance", inst, sizeof(inst));
	if (iw == -EINVAL || (!iw && num_int(inst, 1, 1000, &instance)))
		return -EINVAL;
	char *end;
	double v = strtod(value, &end);
	if (*end || v != v)
		return -EINVAL;
	return result_add(r, instance, metric, unit, higher[0] == '1', 0, v) ? -ENOMEM : 1;
}

int parse_contract(struct rep_result *r, int instance, const char *line)
{
	if (!strncmp(line, "sample ", 7))
		return parse_sample(r, instance, line + 7);
	if (!strncmp(line, "detail ", 7)) {
		char key[64];
		const char *kv = line + 7, *eq = strchr(kv, '=');
		if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key))
			return -EINVAL;
		memcpy(key, kv, (size_t)(eq - kv));
		key[eq - kv] = 0;
		char val[256];
		snprintf(val, sizeof(val), "%.*s", (int)strcspn(eq + 1, "\r\n"), eq + 1);
		for (char *c = val; *c; c++)
			if (*c == ' ')
				*c = '_';      /* details are space-separated words */
		result_detail(r, key, val);
		return 1;
	}
	if (!strncmp(line, "unsupported", 11) && (line[11] == ' ' || line[11] == '\n' || !line[11])) {
		const char *why = line[11] == ' ' ? line + 12 : "the platform driver gave no reason";
		snprintf(r->reason, sizeof(r->reason), "%.*s", (int)strcspn(why, "\r\n"), why);
		return 2;
	}
	return 0;
}

int parse_stats_json(const char *line, struct dom_stat *d)
{
	memset(d, 0, sizeof(*d));
	struct json_object *o = jsonread_object(line);
	int rc = o ? 0 : -EINVAL;
	if (!rc && (jsonread_str(o, "name", d->name, sizeof(d->name)) ||
	            jsonread_str(o, "state", d->state, sizeof(d->state)) || jsonread_int(o, "exit_code", &d->exit_code)))
		rc = -EINVAL;
	for (int i = 0; i < DST_NR && !rc; i++)
		if (jsonread_u64(o, pvmon_domstat_key(i), &d->v[i]))
			rc = -EINVAL;
	jsonread_free(o);
	if (rc)
		return rc;
	const char *rest;
	char pfx[40];
	snprintf(pfx, sizeof(pfx), "[%s] x", d->name);
	int k = parse_instance(pfx, &rest);
	d->instance = k > 0 ? k : 0;
	return 0;
}

/* ---- repetitions that travel as lines ---------------------------------- */

static void print_stat(FILE *f, const struct dom_stat *d)
{
	char name[8 * sizeof(d->name) + 3], state[8 * sizeof(d->state) + 3];
	jsonquote(name, sizeof(name), d->name, sizeof(d->name));
	jsonquote(state, sizeof(state), d->state, sizeof(d->state));
	fprintf(f, REP_LINE "dstat {\"name\": %s, \"state\": %s, \"exit_code\": %d", name, state, d->exit_code);
	for (int i = 0; i < DST_NR; i++)
		fprintf(f, ", \"%s\": %llu", pvmon_domstat_key(i), (unsigned long long)d->v[i]);
	fprintf(f, "}\n");
}

void result_print(FILE *f, const struct rep_result *r)
{
	for (int i = 0; i < r->ns; i++) {
		const struct sample *s = &r->s[i];
		fprintf(f, REP_LINE "sample %d %d %d %s %s %.17g\n", s->instance, s->derived, s->higher, s->unit,
		        s->metric, s->value);
	}
	for (int i = 0; i < r->nd; i++)
		print_stat(f, &r->d[i]);
	if (r->detail[0])
		fprintf(f, REP_LINE "detail %s\n", r->detail);
	fprintf(f, REP_LINE "wall_s %.17g\n", r->wall_s);
}

static int rep_sample(struct rep_result *r, const char *p)
{
	int inst, derived, higher, used = 0;
	char unit[16], metric[48];
	double v;
	if (sscanf(p, "%d %d %d %15s %47s %lf%n", &inst, &derived, &higher, unit, metric, &v, &used) != 6 ||
	    p[used] || inst < 0 || (derived != 0 && derived != 1) || (higher != 0 && higher != 1) || v != v)
		return -EINVAL;
	return result_add(r, inst, metric, unit, higher, derived, v) ? -ENOMEM : 1;
}

int parse_rep_line(struct rep_result *r, const char *line)
{
	size_t pl = strlen(REP_LINE);
	if (strncmp(line, REP_LINE, pl))
		return 0;
	const char *p = line + pl;
	if (!strncmp(p, "sample ", 7))
		return rep_sample(r, p + 7);
	if (!strncmp(p, "dstat ", 6)) {
		struct dom_stat d;
		if (parse_stats_json(p + 6, &d))
			return -EINVAL;
		if (grow((void **)&r->d, &r->cap_d, r->nd + 1, sizeof(*r->d)))
			return -ENOMEM;
		r->d[r->nd++] = d;
		return 1;
	}
	if (!strncmp(p, "detail ", 7))
		return result_words(r, p + 7) ? -EINVAL : 1;
	if (!strncmp(p, "wall_s ", 7)) {
		char *end;
		double v = strtod(p + 7, &end);
		if (end == p + 7 || *end || v < 0)
			return -EINVAL;
		r->wall_s = v;
		return 1;
	}
	return 0;
}
