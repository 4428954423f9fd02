/* Progress lines and the terminal bar of pvbench run; see progress.h.
 * The ETA learns each platform/workload pair's time per unit of weight
 * from the cells already run in this session; pairs not seen yet use the
 * mean of all. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include "progress.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double progress_weight(int reps, int domains, int ncpus)
{
	double per = domains > ncpus ? (double)domains / ncpus : 1.0;
	return reps * per;
}

void format_duration(double s, char *buf, size_t n)
{
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, n, "%lds", t);
}

void progress_init(struct progress *p, FILE *out, bool tty, struct progress_cell *cells, int n)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->tty = tty;
	p->cells = cells;
	p->n = n;
	p->cur = -1;
	p->t0 = now_s();
}

static const struct progress_cell *cur(const struct progress *p)
{
	return p->cur >= 0 && p->cur < p->n ? &p->cells[p->cur] : NULL;
}

/* Seconds per unit of weight for cells like c: the same pair if seen,
 * else everything seen; -1 if nothing ran yet. */
static double rate(const struct progress *p, const struct progress_cell *c, const struct progress_cell *k,
                   double cur_s, double cur_w)
{
	double s[2] = { 0, 0 }, w[2] = { 0, 0 };
	for (int i = 0; i < p->n; i++) {
		const struct progress_cell *o = &p->cells[i];
		if (!o->ran)
			continue;
		int same = !strcmp(o->platform, c->platform) && !strcmp(o->workload, c->workload);
		s[0] += o->spent_s, w[0] += o->weight;
		if (same)
			s[1] += o->spent_s, w[1] += o->weight;
	}
	/* the repetitions of the current cell done so far count too */
	if (cur_w > 0 && k) {
		s[0] += cur_s, w[0] += cur_w;
		if (!strcmp(k->platform, c->platform) && !strcmp(k->workload, c->workload))
			s[1] += cur_s, w[1] += cur_w;
	}
	if (w[1] > 0)
		return s[1] / w[1];
	return w[0] > 0 ? s[0] / w[0] : -1;
}

double progress_eta(const struct progress *p)
{
	const struct progress_cell *k = cur(p);
	if (k && k->ran)
		k = NULL;          /* between cells */
	double cur_w = 0, cur_s = 0;
	if (k && p->rep > 1) {
		cur_w = k->weight * (p->rep - 1) / k->reps;
		cur_s = p->rep_t0 - p->cell_t0;
	}
	double left = 0;
	for (int i = p->cur < 0 ? 0 : p->cur; i < p->n; i++) {
		const struct progress_cell *c = &p->cells[i];
		if (c->finished || c->ran)
			continue;
		double r = rate(p, c, k, cur_s, cur_w);
		if (r < 0)
			return -1;
		left += r * (c == k ? c->weight - cur_w : c->weight);
	}
	if (k && p->rep >= 1)
		left -= now_s() - p->rep_t0;     /* the repetition under way has started */
	return left < 0 ? 0 : left;
}

static int count_done(const struct progress *p)
{
	int done = 0;
	for (int i = 0; i < p->n; i++)
		done += p->cells[i].finished || p->cells[i].ran;
	return done;
}

static void label(const struct progress_cell *c, char *buf, size_t n)
{
	snprintf(buf, n, "%s %s x%d", c->platform, c->workload, c->domains);
}

/* The bar: [#####-----] 12/40 pv cpu x4 rep 2/3  3m05s elapsed, ETA 4m10s */
static void draw(struct progress *p)
{
	if (!p->tty)
		return;
	int done = count_done(p), width = 24;
	int fill = p->n ? done * width / p->n : width;
	char bar[32], el[16], eta[16], what[160] = "";
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[width] = 0;
	format_duration(now_s() - p->t0, el, sizeof(el));
	double e = progress_eta(p);
	if (e < 0)
		snprintf(eta, sizeof(eta), "--");
	else
		format_duration(e, eta, sizeof(eta));
	const struct progress_cell *k = cur(p);
	if (k) {
		char l[64];
		label(k, l, sizeof(l));
		snprintf(what, sizeof(what), "%s rep %d/%d%s%.40s", l, p->rep, k->reps, p->note[0] ? " " : "", p->note);
	}
	/* one terminal line at most: a wrapped line would defeat the \r */
	char buf[300];
	snprintf(buf, sizeof(buf), "[%s] %d/%d %s  %s elapsed, ETA %s", bar, done, p->n, what, el, eta);
	struct winsize ws;
	int cols = ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
	fprintf(p->out, "\r\033[K%.*s", cols - 1, buf);
	fflush(p->out);
}

/* A permanent line: above the bar on a terminal, alone otherwise. */
static void line(struct progress *p, const char *fmt, const char *a, const char *b)
{
	if (p->tty)
		fputs("\r\033[K", p->out);
	fprintf(p->out, "pvbench: [%d/%d] ", p->cur + 1, p->n);
	fprintf(p->out, fmt, a, b);
	fputc('\n', p->out);
	fflush(p->out);
	draw(p);
}

void progress_cell_begin(struct progress *p, int i)
{
	p->cur = i;
	p->rep = 0;
	p->note[0] = 0;
	p->cell_t0 = p->rep_t0 = now_s();
	char l[64];
	label(&p->cells[i], l, sizeof(l));
	if (!p->tty)
		line(p, "%s: starting%s", l, "");
	draw(p);
}

void progress_rep(struct progress *p, int rep)
{
	p->rep = rep;
	p->rep_t0 = now_s();
	const struct progress_cell *k = cur(p);
	if (!p->tty && k && rep > 1) {
		char l[64], r[32];
		label(k, l, sizeof(l));
		snprintf(r, sizeof(r), "%d/%d", rep, k->reps);
		line(p, "%s: repetition %s", l, r);
	}
	draw(p);
}

void progress_note(struct progress *p, const char *note)
{
	snprintf(p->note, sizeof(p->note), "%s", note);
	if (!p->tty && note[0])
		line(p, "%s%s", note, "");
	draw(p);
}

void progress_tick(struct progress *p)
{
	draw(p);
}

void progress_cell_end(struct progress *p, const char *status, const char *why)
{
	struct progress_cell *k = p->cur >= 0 ? &p->cells[p->cur] : NULL;
	if (!k)
		return;
	double dt = now_s() - p->cell_t0;
	/* an unsupported cell costs nothing and must not teach the ETA that
	 * its pair is free */
	k->ran = true;
	k->spent_s = dt;
	if (strcmp(status, "done"))
		k->weight = 0, k->spent_s = 0;
	char l[64], msg[700], t[16];
	label(k, l, sizeof(l));
	format_duration(dt, t, sizeof(t));
	snprintf(msg, sizeof(msg), "%s (%s)%s%s", status, t, why && *why ? ": " : "", why ? why : "");
	p->note[0] = 0;
	line(p, "%s: %s", l, msg);
}

void progress_finish(struct progress *p)
{
	if (p->tty)
		fputs("\r\033[K", p->out);
	fflush(p->out);
}
