/* Reading workloads/lmbench.c's lines, with or without pvmon's counter
 * stamps (lmrows.h): the rows of pvbench lmbench on every platform. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lmrows.h"

const char *const lm_row_names[LM_NROWS] = {
	"null_syscall", "ctx_switch", "page_fault", "prot_fault", "mmap_16m", "fork_exit", "fork_exec", "pipe_bw",
};

static int row_index(const char *p, size_t *len)
{
	for (int i = 0; i < LM_NROWS; i++) {
		size_t n = strlen(lm_row_names[i]);
		if (!strncmp(p, lm_row_names[i], n) && (p[n] == ' ' || p[n] == '\n' || !p[n])) {
			*len = n;
			return i;
		}
	}
	return -1;
}

const char *lm_stamp(const char *p, uint64_t v[CONSCNT_NR], bool has[CONSCNT_NR])
{
	for (int i = 0; i < CONSCNT_NR; i++)
		has[i] = false;
	if (*p++ != '{')
		return NULL;
	while (*p != '}') {
		const char *eq = strchr(p, '=');
		size_t kl = eq ? (size_t)(eq - p) : 0;
		if (!eq || !kl || memchr(p, ' ', kl) || memchr(p, '}', kl) || eq[1] < '0' || eq[1] > '9')
			return NULL;
		char *end;
		errno = 0;
		unsigned long long n = strtoull(eq + 1, &end, 10);
		if (errno || (*end != ' ' && *end != '}'))
			return NULL;
		for (int i = 0; i < CONSCNT_NR; i++)
			if (strlen(pvmon_console_counter_key(i)) == kl && !strncmp(p, pvmon_console_counter_key(i), kl)) {
				v[i] = n;
				has[i] = true;
			}
		p = *end == ' ' ? end + 1 : end;
	}
	return p[1] == ' ' ? p + 2 : NULL;
}

/* The end of row r, its end line stamped v/has (or not stamped): the
 * counters per operation since its begin line. */
static void row_counts(struct lm_row *r, const uint64_t v[CONSCNT_NR], const bool has[CONSCNT_NR])
{
	for (int i = 0; i < CONSCNT_NR; i++) {
		r->has[i] = r->ops > 0 && has[i] && r->at_has[i] && v[i] >= r->at[i];
		r->per_op[i] = r->has[i] ? (double)(v[i] - r->at[i]) / (double)r->ops : 0;
		r->at_has[i] = false;
	}
}

void lm_parse_line(struct lm_side *s, const char *line)
{
	const char *p = strstr(line, "pvos: fast path: "), *q = strstr(line, "pvos: baseline: ");
	if (p || q) {
		snprintf(s->mode, sizeof(s->mode), "%s", (p ? p : q) + 6);
		s->mode[strcspn(s->mode, "\n")] = 0;
		return;
	}
	p = strstr(line, "lmbench: ");
	if (!p)
		return;
	/* pvmon's stamp, when there is one, is the text before "lmbench: " */
	uint64_t v[CONSCNT_NR] = { 0 };
	bool has[CONSCNT_NR] = { false };
	const char *b = strchr(line, '{');
	if (b && b < p && lm_stamp(b, v, has) != p)
		s->bad++;
	p += 9;
	size_t n;
	if (!strncmp(p, "done", 4)) {
		s->done = 1;
		return;
	}
	if (!strncmp(p, "begin ", 6)) {
		int i = row_index(p + 6, &n);
		long ops;
		char *end;
		if (i < 0 || strncmp(p + 6 + n, " ops=", 5) || (ops = strtol(p + 11 + n, &end, 10)) <= 0 ||
		    (*end && *end != '\n')) {
			s->bad++;
			return;
		}
		struct lm_row *r = &s->rows[i];
		r->ops = ops;
		memcpy(r->at, v, sizeof(v));
		memcpy(r->at_has, has, sizeof(has));
		return;
	}
	int i = row_index(p, &n);
	if (i < 0)
		return;
	struct lm_row *r = &s->rows[i];
	p += n + 1;
	if (!strncmp(p, "unsupported ", 12)) {
		snprintf(r->note, sizeof(r->note), "%s", p + 12);
		r->note[strcspn(r->note, "\n")] = 0;
		row_counts(r, v, (bool[CONSCNT_NR]){ false });   /* no cost of a row that did not run */
	} else if (sscanf(p, "%lf %7s", &r->v, r->unit) == 2) {
		r->ok = 1;
		row_counts(r, v, has);
	}
}

bool lm_row_counted(const struct lm_row *r)
{
	for (int i = 0; i < CONSCNT_NR; i++)
		if (r->has[i])
			return true;
	return false;
}
