/* pvtop: a live per-domain monitor of pvmon, xentop-like. Every -d seconds
 * it asks `pvmon daemon` for `list` and shows each domain's shares of time
 * and event rates between two consecutive samples, over pvmon's own clock
 * (time_ns): a full screen on a terminal, whitespace-separated rows in batch
 * mode. pvmon's own counters, not a trace. Exit status: 0 done, 1 failed,
 * 2 usage. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctlclient.h"
#include "jsonread.h"
#include "numparse.h"

#define MIN_DELAY_S 0.01
#define MAX_DELAY_S 86400.0

/* ---- samples ---------------------------------------------------------- */

/* Counters of a `list` object that pvtop turns into rates or shares. */
enum counter {
	C_TIME, C_RUN, C_WAIT, C_BLOCKED, C_HCALLS, C_EVENTS, C_UPCALLS, C_TLBFL, C_FLIPS,
	C_KEXITS, C_EMUL, C_IOEXITS, C_HALTS, C_MMIO, C_VMEXITS, C_PTWR, C_BOUNCES, C_BLKRQ, C_BLKB,
	C_NETTX, C_NETRX, NR_COUNTERS
};
static const char *const counter_keys[NR_COUNTERS] = {
	"time_ns", "run_ns", "wait_ns", "blocked_ns", "hypercalls", "events", "upcalls",
	"tlb_flushes", "page_flips", "kvm_exits", "kvm_insn_emulation", "kvm_io_exits",
	"kvm_halt_exits", "kvm_mmio_exits", "vm_exits", "pt_writes", "bounces", "blk_requests", "blk_bytes",
	"net_tx_bytes", "net_rx_bytes",
};

struct dom_sample {
	uint64_t domid, vcpus, mem_mib;  /* mem_mib: held now (mem_kib) if pvmon says, else configured */
	char name[33];
	char state[16];
	uint64_t c[NR_COUNTERS];
};

/* One `list` reply, in pvmon's order. */
struct sample {
	int n, cap;
	struct dom_sample *d;
};

/* A counter from pvmon's list entry, or an option: NULL or not a number: false. */
static bool parse_u64(const char *s, uint64_t *v)
{
	return s && !num_u64(s, 0, UINT64_MAX, v);
}

/* A name or state goes into a whitespace-separated row: no blanks in it. */
static void copy_word(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src && *src ? src : "?");
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			*p = '?';
}

static int sample_entry(void *arg, const char *text)
{
	struct sample *s = arg;
	struct json_object *o = jsonread_object(text);
	if (!o)
		return complain(EXIT_FAIL, "pvmon sent a list entry pvtop cannot read: '%.60s'", text);
	int rc = 0;
	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 64;
		struct dom_sample *d = realloc(s->d, (size_t)cap * sizeof(*d));
		if (!d) {
			rc = complain(EXIT_FAIL, "out of memory");
			goto out;
		}
		s->d = d;
		s->cap = cap;
	}
	struct dom_sample *d = &s->d[s->n];
	static const char *const fixed[] = { "domid", "vcpus", "mem_mib" };
	uint64_t *fixed_v[] = { &d->domid, &d->vcpus, &d->mem_mib };
	for (int i = 0; i < 3 + NR_COUNTERS && !rc; i++) {
		const char *key = i < 3 ? fixed[i] : counter_keys[i - 3];
		const char *v = jsonread_text(o, key);
		if (!v)
			rc = complain(EXIT_FAIL, "pvmon's list has no '%s' (pvmon is older than pvtop: "
			              "restart `pvmon daemon` from the same build)", key);
		else if (!parse_u64(v, i < 3 ? fixed_v[i] : &d->c[i - 3]))
			rc = complain(EXIT_FAIL, "pvmon's list has '%s' = '%.30s', not a count", key, v);
	}
	/* With a balloon the memory held moves below the configured size; a
	 * pvmon from before the balloon has no mem_kib (or reports 0). */
	uint64_t kib;
	if (!rc && parse_u64(jsonread_text(o, "mem_kib"), &kib) && kib)
		d->mem_mib = (kib + 512) / 1024;
	if (!rc) {
		copy_word(d->name, sizeof(d->name), jsonread_text(o, "name"));
		copy_word(d->state, sizeof(d->state), jsonread_text(o, "state"));
		s->n++;
	}
out:
	jsonread_free(o);
	return rc;
}

static int take_sample(struct ctlc_conn *c, struct sample *s)
{
	struct reply_cb cb = { .data = sample_entry, .arg = s };
	s->n = 0;
	return ctlc_ask(c, "list", &cb, NULL, 0);
}

/* The same domain in the previous sample: same id and name, time and
 * counters not gone back (a new domain may reuse an id). NULL if none. */
static const struct dom_sample *previous(const struct sample *prev, int hint, const struct dom_sample *d)
{
	if (!prev)
		return NULL;
	for (int k = 0; k < prev->n; k++) {
		const struct dom_sample *p = &prev->d[(hint + k) % prev->n];
		if (p->domid != d->domid)
			continue;
		if (strcmp(p->name, d->name) || p->c[C_TIME] >= d->c[C_TIME])
			return NULL;
		for (int i = 0; i < NR_COUNTERS; i++)
			if (p->c[i] > d->c[i])
				return NULL;
		return p;
	}
	return NULL;
}

/* ---- the table -------------------------------------------------------- */

enum col_kind { K_ID, K_STATE, K_SHARE, K_RATE, K_KIB_RATE, K_MEM, K_VCPUS };

static const struct column {
	const char *head;
	int width;                   /* negative: left-aligned */
	enum col_kind kind;
	enum counter c;              /* K_SHARE, K_RATE, K_KIB_RATE (bytes per second in KiB) */
} columns[] = {
	{ "ID", 5, K_ID, 0 },
	{ "STATE", -8, K_STATE, 0 },
	{ "CPU%", 6, K_SHARE, C_RUN },
	{ "WAIT%", 6, K_SHARE, C_WAIT },
	{ "BLOCK%", 6, K_SHARE, C_BLOCKED },
	{ "HCALL/s", 8, K_RATE, C_HCALLS },
	{ "EVENTS/s", 8, K_RATE, C_EVENTS },
	{ "UPCALL/s", 8, K_RATE, C_UPCALLS },
	{ "TLBFL/s", 7, K_RATE, C_TLBFL },
	{ "FLIPS/s", 7, K_RATE, C_FLIPS },
	{ "MEM_MIB", 7, K_MEM, 0 },
	{ "VCPUS", 5, K_VCPUS, 0 },
	{ "EXITS/s", 8, K_RATE, C_KEXITS },
	{ "EMUL/s", 7, K_RATE, C_EMUL },
	{ "IOEXIT/s", 8, K_RATE, C_IOEXITS },
	{ "HALT/s", 7, K_RATE, C_HALTS },
	{ "MMIO/s", 7, K_RATE, C_MMIO },
	{ "PVEXIT/s", 8, K_RATE, C_VMEXITS },
	{ "PTWR/s", 7, K_RATE, C_PTWR },
	{ "BOUNCE/s", 8, K_RATE, C_BOUNCES },
	{ "BLKRQ/s", 7, K_RATE, C_BLKRQ },
	{ "BLKKB/s", 8, K_KIB_RATE, C_BLKB },
	{ "NETTXKB/s", 9, K_KIB_RATE, C_NETTX },
	{ "NETRXKB/s", 9, K_KIB_RATE, C_NETRX },
};
#define NR_COLUMNS (sizeof(columns) / sizeof(columns[0]))

/* The change of counter c per second of pvmon's time (K_RATE), or as a
 * percentage of it (K_SHARE). */
static double per_time(const struct dom_sample *p, const struct dom_sample *d, enum counter c, double scale)
{
	return (double)(d->c[c] - p->c[c]) * scale / (double)(d->c[C_TIME] - p->c[C_TIME]);
}

static void cell(FILE *f, const struct column *col, const struct dom_sample *p, const struct dom_sample *d)
{
	switch (col->kind) {
	case K_ID:
		fprintf(f, " %*llu", col->width, (unsigned long long)d->domid);
		break;
	case K_STATE:
		fprintf(f, " %*s", col->width, d->state);
		break;
	case K_MEM:
		fprintf(f, " %*llu", col->width, (unsigned long long)d->mem_mib);
		break;
	case K_VCPUS:
		fprintf(f, " %*llu", col->width, (unsigned long long)d->vcpus);
		break;
	case K_SHARE:
	case K_RATE:
	case K_KIB_RATE:
		/* A domain new since the previous sample has no rates yet. */
		if (!p)
			fprintf(f, " %*s", col->width, "-");
		else if (col->kind == K_SHARE)
			fprintf(f, " %*.1f", col->width, per_time(p, d, col->c, 100.0));
		else
			fprintf(f, " %*.0f", col->width, per_time(p, d, col->c, col->kind == K_KIB_RATE ? 1e9 / 1024 : 1e9));
		break;
	}
}

/* The header and a row per domain of cur, each line ending in '\n'.
 * prev NULL: no rates yet. */
static void write_table(FILE *f, const struct sample *prev, const struct sample *cur)
{
	int namew = 4;
	for (int i = 0; i < cur->n; i++)
		if ((int)strlen(cur->d[i].name) > namew)
			namew = (int)strlen(cur->d[i].name);
	fprintf(f, "%-*s", namew, "NAME");
	for (size_t k = 0; k < NR_COLUMNS; k++)
		fprintf(f, " %*s", columns[k].width, columns[k].head);
	fputc('\n', f);
	for (int i = 0; i < cur->n; i++) {
		const struct dom_sample *d = &cur->d[i];
		const struct dom_sample *p = previous(prev, i, d);
		fprintf(f, "%-*s", namew, d->name);
		for (size_t k = 0; k < NR_COLUMNS; k++)
			cell(f, &columns[k], p, d);
		fputc('\n', f);
	}
}

/* ---- options ---------------------------------------------------------- */

struct options {
	double delay_s;
	bool batch;
	unsigned long count;         /* iterations; 0: until stopped */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: pvtop [--socket PATH] [-d SECONDS] [-b] [-n N] [--help]\n"
	        "Live per-domain statistics of pvmon (xentop-like), from `pvmon daemon`.\n"
	        "options:\n"
	        "  -d, --delay SECONDS     time between samples, %g to %g (default 1)\n"
	        "  -b, --batch             rows on stdout instead of a screen (also when stdout\n"
	        "                          is not a terminal)\n"
	        "  -n, --iterations N      stop after N refreshes (default: run until stopped,\n"
	        "                          in batch mode too)\n"
	        "  --socket PATH           pvmon's control socket (default $PVLAB_SOCKET or %s)\n"
	        "  PVLAB_CTL_TIMEOUT       seconds a reply may take (default 60)\n"
	        "  -h, --help              this text\n"
	        "Interactive: the screen is redrawn every SECONDS; q quits.\n"
	        "Batch: each iteration prints a header line, then a row per domain:\n"
	        "  NAME ID STATE  the domain\n"
	        "  CPU%% WAIT%% BLOCK%%  its vCPUs' running, runnable-waiting and blocked time, in %%\n"
	        "                 of the interval (summed over vCPUs: may pass 100)\n"
	        "  HCALL/s EVENTS/s UPCALL/s  hypercalls, event-channel sends, callbacks delivered\n"
	        "  TLBFL/s FLIPS/s  explicit TLB flushes and page flips (grant transfers)\n"
	        "  MEM_MIB VCPUS  memory it holds now (follows the balloon), its vCPUs\n"
	        "  EXITS/s EMUL/s IOEXIT/s HALT/s MMIO/s  KVM's own counts: exits, emulated\n"
	        "                 instructions, I/O, HLT and MMIO exits\n"
	        "  PVEXIT/s PTWR/s BOUNCE/s  exits to pvmon, page-table writes trapped and\n"
	        "                 emulated, and (a Linux PV domain) exceptions, events and system\n"
	        "                 calls bounced to its kernel\n"
	        "  BLKRQ/s BLKKB/s  (a Linux PV domain) block requests its back end answered,\n"
	        "                 and KiB they read and wrote\n"
	        "  NETTXKB/s NETRXKB/s  (a Linux PV domain) KiB its VIFs sent to the host and\n"
	        "                 received from it\n"
	        "Rates are over pvmon's clock between two samples; the first iteration comes\n"
	        "after two samples SECONDS apart. A domain new since the previous sample shows\n"
	        "- for its rates; one that has gone is no longer listed.\n"
	        "exit status: 0 done, 1 failed, 2 usage error\n",
	        MIN_DELAY_S, MAX_DELAY_S, CTLC_DEFAULT_SOCKET);
}

/* argv[*i] as -X VALUE, -XVALUE, --long VALUE or --long=VALUE: its value
 * (*i moved to it), or NULL when argv[*i] is not that option. A missing
 * value is "" with *i unchanged. */
static const char *opt_value(int argc, char **argv, int *i, const char *shrt, const char *lng)
{
	const char *a = argv[*i];
	size_t ll = strlen(lng);
	if (!strncmp(a, lng, ll) && a[ll] == '=')
		return a + ll + 1;
	if (!strncmp(a, shrt, 2) && a[2])
		return a + 2;
	if (strcmp(a, shrt) && strcmp(a, lng))
		return NULL;
	return *i + 1 < argc ? argv[++*i] : "";
}

/* -1 when parsed, else the exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .delay_s = 1.0 };
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		int rc = ctlc_socket_option(argc, argv, &i);
		if (rc >= 0) {
			if (rc)
				return rc;
		} else if (!strcmp(a, "-b") || !strcmp(a, "--batch")) {
			o->batch = true;
		} else if ((v = opt_value(argc, argv, &i, "-d", "--delay"))) {
			if (!*v)
				return complain(EXIT_USAGE, "-d needs SECONDS (try `pvtop --help`)");
			if (num_double(v, MIN_DELAY_S, MAX_DELAY_S, &o->delay_s))
				return complain(EXIT_USAGE, "-d '%s' is not a number of seconds from %g to %g",
				                v, MIN_DELAY_S, MAX_DELAY_S);
		} else if ((v = opt_value(argc, argv, &i, "-n", "--iterations"))) {
			uint64_t n;
			if (!*v)
				return complain(EXIT_USAGE, "-n needs N (try `pvtop --help`)");
			if (!parse_u64(v, &n) || n == 0 || n > 1000000000)
				return complain(EXIT_USAGE, "-n '%s' is not a number of iterations (1 or more)", v);
			o->count = (unsigned long)n;
		} else {
			return complain(EXIT_USAGE, "%s '%s' (try `pvtop --help`)",
			                a[0] == '-' ? "unknown option" : "unexpected argument", a);
		}
	}
	return -1;
}

/* ---- time ------------------------------------------------------------- */

static struct timespec ts_add(struct timespec t, double s)
{
	long long ns = t.tv_nsec + (long long)(s * 1e9);
	t.tv_sec += (time_t)(ns / 1000000000);
	t.tv_nsec = (long)(ns % 1000000000);
	return t;
}

static long long ms_until(struct timespec t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ns = (long long)(t.tv_sec - now.tv_sec) * 1000000000 + (t.tv_nsec - now.tv_nsec);
	return ns > 0 ? (ns + 999999) / 1000000 : 0;
}

/* The next deadline: one delay after the last, or after now if pvmon was
 * slower than that (no burst of samples to catch up). */
static struct timespec next_deadline(struct timespec last, double delay_s)
{
	struct timespec next = ts_add(last, delay_s), now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ms_until(next) == 0)
		next = ts_add(now, delay_s);
	return next;
}

/* ---- batch mode ------------------------------------------------------- */

static int run_batch(struct ctlc_conn *c, const struct options *o)
{
	struct sample s[2] = { { 0 } }, *prev = &s[0], *cur = &s[1];
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	int rc = take_sample(c, prev);
	for (unsigned long it = 0; !rc && (!o->count || it < o->count); it++) {
		next = next_deadline(next, o->delay_s);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		if ((rc = take_sample(c, cur)))
			break;
		write_table(stdout, prev, cur);
		if (fflush(stdout))
			rc = complain(EXIT_FAIL, "cannot write to stdout: %s", strerror(errno));
		struct sample *t = prev;
		prev = cur;
		cur = t;
	}
	free(s[0].d);
	free(s[1].d);
	return rc;
}

/* ---- interactive mode ------------------------------------------------- */

/* Set by the signal handlers only; read by the main loop. */
static volatile sig_atomic_t stop_signal;    /* SIGINT or SIGTERM received */
static volatile sig_atomic_t resized, suspended;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else if (sig == SIGTSTP)
		suspended = 1;
	else
		stop_signal = sig;
}

struct screen {
	bool keys;                   /* stdin is a terminal: q quits */
	struct termios saved;
	char *text;                  /* the last frame drawn, for redraws */
	size_t len;
};

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;      /* the terminal is gone: nothing left to show */
		p += w;
		n -= (size_t)w;
	}
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	int sigs[] = { SIGINT, SIGTERM, SIGWINCH, SIGTSTP };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Keys one at a time without echo; the alternate screen, cursor hidden. */
static void term_enter(struct screen *s)
{
	if (s->keys) {
		struct termios t = s->saved;
		t.c_lflag &= (tcflag_t)~(ICANON | ECHO);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	static const char enter[] = "\033[?1049h\033[?25l\033[H\033[2J";
	write_all(enter, sizeof(enter) - 1);
}

static void term_leave(const struct screen *s)
{
	static const char leave[] = "\033[?25h\033[?1049l";
	write_all(leave, sizeof(leave) - 1);
	if (s->keys)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &s->saved);
}

/* The last frame, cut to the terminal: each line to its width, the whole
 * to its height; what the lines leave of the old frame is cleared. One
 * write, so that the screen does not flicker. */
static void redraw(const struct screen *s)
{
	struct winsize ws = { 0 };
	size_t cols = 80, rows = 24;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		cols = ws.ws_col;
		rows = ws.ws_row;
	}
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return;          /* out of memory: the old frame stays */
	fputs("\033[H", f);
	const char *p = s->text, *end = s->text + s->len;
	for (size_t row = 0; p < end && row < rows; row++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		fwrite(p, 1, n < cols ? n : cols, f);
		/* No newline after the screen's last row: it would scroll. */
		fputs(row + 1 < rows ? "\033[K\r\n" : "\033[K", f);
		p = nl ? nl + 1 : end;
	}
	fputs("\033[J", f);
	if (!fclose(f))
		write_all(out, len);
	free(out);
}

static void count_state(const struct sample *cur, const char *state, int *n)
{
	*n = 0;
	for (int i = 0; i < cur->n; i++)
		*n += !strcmp(cur->d[i].state, state);
}

/* A new frame: a title, the domains by state, the table. */
static int draw(struct screen *s, const struct options *o, const struct sample *prev,
                const struct sample *cur)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return complain(EXIT_FAIL, "out of memory");
	time_t now = time(NULL);
	char clock[16];
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	fprintf(f, "pvtop - %s   pvmon at %s   every %g s%s\n", clock, ctlc_socket(), o->delay_s,
	        s->keys ? "   q: quit" : "");
	static const char *const states[] = { "running", "blocked", "paused", "shutdown", "crashed" };
	fprintf(f, "%d domain%s:", cur->n, cur->n == 1 ? "" : "s");
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		int n;
		count_state(cur, states[i], &n);
		fprintf(f, "%s %d %s", i ? "," : "", n, states[i]);
	}
	fprintf(f, "\n\n");
	write_table(f, prev, cur);
	if (fclose(f)) {
		free(text);
		return complain(EXIT_FAIL, "out of memory");
	}
	free(s->text);
	s->text = text;
	s->len = len;
	redraw(s);
	return 0;
}

/* Ctrl-Z: give the terminal back while stopped, take it again after. */
static void suspend(struct screen *s)
{
	suspended = 0;
	term_leave(s);
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP);
	catch_signals();
	term_enter(s);
	redraw(s);
}

/* Until the deadline, or earlier: 1 quit (q, or the terminal is gone),
 * 0 time for the next sample. Signals: stop_signal is left for the caller. */
static int wait_keys(struct screen *s, struct timespec deadline)
{
	for (;;) {
		if (stop_signal)
			return 1;
		if (suspended)
			suspend(s);
		if (resized) {
			resized = 0;
			redraw(s);
		}
		long long ms = ms_until(deadline);
		if (!ms)
			return 0;
		struct pollfd p = { .fd = s->keys ? STDIN_FILENO : -1, .events = POLLIN };
		int n = poll(&p, 1, (int)ms);     /* at most MAX_DELAY_S: fits */
		if (n <= 0 || !p.revents)
			continue;
		char keys[32];
		ssize_t got = read(STDIN_FILENO, keys, sizeof(keys));
		if (got <= 0 && !(got < 0 && errno == EINTR))
			return 1;
		for (ssize_t i = 0; i < got; i++)
			if (keys[i] == 'q' || keys[i] == 'Q')
				return 1;
	}
}

static int run_interactive(struct ctlc_conn *c, const struct options *o)
{
	struct sample smp[2] = { { 0 } }, *prev = &smp[0], *cur = &smp[1];
	struct screen s = { .keys = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &s.saved) };
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	int rc = take_sample(c, prev);      /* before the screen: errors show as they are */
	if (rc)
		return rc;
	catch_signals();
	ctlc_hold_errors(true);
	term_enter(&s);
	rc = draw(&s, o, NULL, prev);
	for (unsigned long it = 0; !rc && (!o->count || it < o->count); it++) {
		next = next_deadline(next, o->delay_s);
		if (wait_keys(&s, next) || (rc = take_sample(c, cur)) || (rc = draw(&s, o, prev, cur)))
			break;
		struct sample *t = prev;
		prev = cur;
		cur = t;
	}
	term_leave(&s);
	ctlc_hold_errors(false);
	free(s.text);
	free(smp[0].d);
	free(smp[1].d);
	if (stop_signal) {
		/* Die of it, as the shell expects, now that the terminal is back. */
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
	}
	return rc;
}

int main(int argc, char **argv)
{
	ctlc_init("pvtop");
	struct options o;
	int rc = parse_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	struct ctlc_conn *c;
	if ((rc = ctlc_open(&c, false, &stop_signal)))
		return rc;
	if (!o.batch && isatty(STDOUT_FILENO))
		rc = run_interactive(c, &o);
	else
		rc = run_batch(c, &o);
	ctlc_close(c);
	return rc;
}
