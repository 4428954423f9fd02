/* Progress lines and the terminal bar of pvbench run; see progress.h.
 * The ETA learns each platform/workload pair's time per repetition (per
 * unit of weight) from the repetitions run in this session, whichever
 * cells they belonged to; pairs not seen yet use the mean of all. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include "monoclock.h"
#include "progress.h"

double progress_weight(int domains, int ncpus)
{
	return domains > ncpus ? (double)domains / ncpus : 1.0;
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
	p->t0 = mono_s();
}

static const struct progress_cell *cur(const struct progress *p)
{
	return p->cur >= 0 && p->cur < p->n ? &p->cells[p->cur] : NULL;
}

/* Seconds per unit of weight for cells like c: the same pair if seen,
 * else everything seen; -1 if nothing ran yet. */
static double rate(const struct progress *p, const struct progress_cell *c)
{
	double s[2] = { 0, 0 }, w[2] = { 0, 0 };
	for (int i = 0; i < p->n; i++) {
		const struct progress_cell *o = &p->cells[i];
		double ow = o->weight * o->reps_run;
		if (ow <= 0)
			continue;
		s[0] += o->spent_s, w[0] += ow;
		if (!strcmp(o->platform, c->platform) && !strcmp(o->workload, c->workload))
			s[1] += o->spent_s, w[1] += ow;
	}
	if (w[1] > 0)
		return s[1] / w[1];
	return w[0] > 0 ? s[0] / w[0] : -1;
}

double progress_eta(const struct progress *p)
{
	double left = 0;
	for (int i = 0; i < p->n; i++) {
		const struct progress_cell *c = &p->cells[i];
		if (c->finished || c->ended)
			continue;
		double r = rate(p, c);
		if (r < 0)
			return -1;
		left += r * c->weight * (c->reps + c->warmups - c->reps_run);
	}
	if (p->rep_t0 > 0)
		left -= mono_s() - p->rep_t0;     /* the repetition under way has started */
	return left < 0 ? 0 : left;
}

static int count_done(const struct progress *p)
{
	int done = 0;
	for (int i = 0; i < p->n; i++)
		done += p->cells[i].finished || p->cells[i].ended;
	return done;
}

static void label(const struct progress_cell *c, char *buf, size_t n)
{
	snprintf(buf, n, "%s %s x%d", c->platform, c->workload, c->domains);
}

/* The bar: [#####-----] 12/40 pvos cpu x4 rep 2/3  3m05s elapsed, ETA 4m10s */
static void draw(struct progress *p)
{
	if (!p->tty)
		return;
	int done = count_done(p), width = 24;
	int fill = p->n ? done * width / p->n : width;
	char bar[32], el[16], eta[16], what[200] = "";
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[width] = 0;
	format_duration(mono_s() - p->t0, el, sizeof(el));
	double e = progress_eta(p);
	if (e < 0)
		snprintf(eta, sizeof(eta), "--");
	else
		format_duration(e, eta, sizeof(eta));
	const struct progress_cell *k = cur(p);
	if (k && !k->ended) {
		char l[96], r[32];
		label(k, l, sizeof(l));
		if (p->rep > 0)
			snprintf(r, sizeof(r), "rep %d/%d", p->rep, k->reps);
		else
			snprintf(r, sizeof(r), "%s", p->rep_t0 > 0 ? "warm-up" : "");
		snprintf(what, sizeof(what), "%s %s%s%.40s", l, r, p->note[0] ? " " : "", p->note);
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
	p->rep_t0 = 0;
	p->note[0] = 0;
	struct progress_cell *k = &p->cells[i];
	if (!k->started) {
		k->started = true;
		char l[96];
		label(k, l, sizeof(l));
		if (!p->tty)
			line(p, "%s: starting%s", l, "");
	}
	draw(p);
}

void progress_rep(struct progress *p, int rep)
{
	struct progress_cell *k = p->cur >= 0 ? &p->cells[p->cur] : NULL;
	p->rep = rep;
	p->rep_t0 = mono_s();
	if (k && rep == 0)
		k->warmups++;
	if (!p->tty && k && rep != 1) {
		char l[96], r[48];
		label(k, l, sizeof(l));
		if (rep)
			snprintf(r, sizeof(r), "repetition %d/%d", rep, k->reps);
		else
			snprintf(r, sizeof(r), "warm-up (its samples are not kept)");
		line(p, "%s: %s", l, r);
	}
	draw(p);
}

void progress_rep_end(struct progress *p)
{
	struct progress_cell *k = p->cur >= 0 ? &p->cells[p->cur] : NULL;
	if (k && p->rep_t0 > 0) {
		k->spent_s += mono_s() - p->rep_t0;
		k->reps_run++;
	}
	p->rep_t0 = 0;
}

void progress_rep_end_shared(struct progress *p, const int *cells, int n)
{
	if (p->rep_t0 <= 0 || n < 1)
		return;
	double each = (mono_s() - p->rep_t0) / n;
	for (int i = 0; i < n; i++) {
		p->cells[cells[i]].spent_s += each;
		p->cells[cells[i]].reps_run++;
		if (p->rep == 0 && cells[i] != p->cur)
			p->cells[cells[i]].warmups++;
	}
	p->rep_t0 = 0;
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
	k->ended = true;
	double dt = k->spent_s;
	/* a cell that did not finish its repetitions costs nothing more and
	 * must not teach the ETA that its pair is free (or dear) */
	if (strcmp(status, "done"))
		k->weight = 0, k->spent_s = 0;
	char l[96], msg[700], t[16];
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
