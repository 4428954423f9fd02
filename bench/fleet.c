/* pvbench fleet: a suite across many hosts. Ansible does the fleet's
 * work (the inventory names the hosts; bench/fleet/pvbench.yml installs
 * pvlab's packages, copies the build and starts `pvbench fleet work` on
 * each host, all at once); PostgreSQL is the one results store every
 * host writes its repetitions to as they end (db_pg.c). This controller
 * creates or resumes the run, says each host's progress from the
 * database, and gives up the running cell of a host Ansible reports lost
 * (db_give_up_host) so that a resume runs it again. docs/fleet.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "db.h"
#include "host.h"
#include "jsonread.h"
#include "monoclock.h"
#include "numparse.h"
#include "paths.h"
#include "progress.h"
#include "spawn.h"
#include "suite.h"

#define FLEET_MAX_HOSTS 256
#define FLEET_TIMEOUT_S (7 * 86400)      /* a suite may run for days */

struct fleet_host {
	char name[64];
	bool session;             /* runs in this session (--limit, cells left) */
	bool lost;                /* Ansible reported it unreachable or failed */
	char why[512];
	int shown_finished;       /* progress last printed */
	double shown_at;
};

struct fleet {
	const char *inventory, *suite, *db_url, *limit;
	int fresh, trace;
	pid_t relayd;             /* --trace: the lttng-relayd started here */
	int ports[3];             /* its control, data and live ports */
	char traces[PATH_MAX - 128];   /* ./traces/fleet-runID: relayd/ (the CTF) and the summaries */
	struct db *db;
	int64_t run;
	struct fleet_host hosts[FLEET_MAX_HOSTS];
	int n;
	char tmp[64];             /* the session's files: the bundle, the variables */
	double t0, last_tick;
	FILE *log;                /* PVBENCH_FLEET_LOG: Ansible's output goes there too */
};

static void on_signal(int sig)
{
	(void)sig;
	bench_interrupted = 1;     /* spawn_run stops ansible-playbook */
}

/* One line on stderr; returns rc. */
static int fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pvbench fleet: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return rc;
}

static int usage(const char *msg)
{
	return fail(2, "%s", msg);
}

static struct fleet_host *host_named(struct fleet *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->hosts[i].name, name))
			return &f->hosts[i];
	return NULL;
}

/* An inventory name pvbench keeps in the database and passes on. */
static bool host_name_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n &&
	       s[0] != '-';
}

static const char *fleet_dir(void)
{
	static char dir[PATH_MAX - 64];
	snprintf(dir, sizeof(dir), "%s/bench/fleet", bench_srcdir());
	return dir;
}

/* Ansible's settings for pvbench (bench/fleet/ansible.cfg: pipelining,
 * host keys checked, no fact gathering) and an inventory that does not
 * parse is an error, not a warning and an empty fleet. */
static void ansible_env(void)
{
	static char cfg[PATH_MAX + 16];
	snprintf(cfg, sizeof(cfg), "%s/ansible.cfg", fleet_dir());
	setenv("ANSIBLE_CONFIG", cfg, 1);
	setenv("ANSIBLE_INVENTORY_UNPARSED_FAILED", "True", 1);
	setenv("ANSIBLE_NOCOLOR", "1", 1);
	setenv("ANSIBLE_FORCE_COLOR", "0", 1);
}

/* The path of a program on PATH, or NULL (kept until the next call for
 * the same name slot: ansible, ansible-playbook, lttng-relayd). */
static const char *tool(const char *name)
{
	static const char *const names[] = { "ansible", "ansible-playbook", "lttng-relayd" };
	static char path[3][PATH_MAX];
	int k = 0;
	while (k < 2 && strcmp(names[k], name))
		k++;
	const char *dirs = getenv("PATH");
	char copy[4096], *save;
	snprintf(copy, sizeof(copy), "%s", dirs ? dirs : "/usr/bin:/bin");
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path[k], sizeof(path[k]), "%s/%s", d, name);
		if (!access(path[k], X_OK))
			return path[k];
	}
	return NULL;
}

/* ---- the hosts: `ansible --list-hosts` reads the inventory ------------ */

struct list_out {
	struct fleet_host *hosts;
	int n, max;
	bool in_list;
	char parse[512];          /* the first "Failed to parse" warning, lines joined */
	bool in_parse;
	char error[512];          /* else the ERROR line, else the first warning */
};

static void on_list(void *ctx, int fd, char *line)
{
	struct list_out *o = ctx;
	const char *p = line + strspn(line, " ");
	bool warning = !strncmp(p, "[WARNING]:", 10), error = !strncmp(p, "ERROR!", 6);
	if (!strncmp(p, "hosts (", 7)) {
		o->in_list = true;
		return;
	}
	if (fd == 1 && o->in_list && p != line && *p) {
		if (o->n < o->max)
			snprintf(o->hosts[o->n].name, sizeof(o->hosts[o->n].name), "%s", p);
		o->n++;
		return;
	}
	/* Ansible wraps its warnings at 80 columns: a line that starts no
	 * message goes on the one before */
	if (o->in_parse && !warning && !error) {
		size_t l = strlen(o->parse);
		snprintf(o->parse + l, sizeof(o->parse) - l, " %s", p);
		return;
	}
	o->in_parse = false;
	const char *f = strstr(p, "Failed to parse ");
	if (warning && f && !o->parse[0]) {
		snprintf(o->parse, sizeof(o->parse), "%s", f);
		o->in_parse = true;
	} else if ((error && strncmp(o->error, "ERROR!", 6)) || (warning && !o->error[0])) {
		snprintf(o->error, sizeof(o->error), "%s", p);
	}
}

/* The hosts pattern names in the inventory: 0, else one line said. */
static int list_hosts(const char *inventory, const char *pattern, struct fleet_host *hosts, int max, int *n)
{
	char *argv[] = { (char *)tool("ansible"), "-i", (char *)inventory, (char *)pattern, "--list-hosts", NULL };
	struct list_out o = { .hosts = hosts, .max = max };
	struct spawn_io io = { .on_line = on_list, .ctx = &o };
	double wall;
	int st = spawn_run(argv, 120, &io, &wall);
	if (st || !o.n) {
		const char *why = o.parse[0] ? o.parse : o.error[0] ? o.error : st ? spawn_last_error(&io) : "it names no hosts";
		if (!strcmp(pattern, "all"))
			return fail(1, "inventory %s: %s", inventory, why);
		return fail(1, "--limit %s matches no host of %s: %s", pattern, inventory, why);
	}
	if (o.n > max)
		return fail(1, "inventory %s names %d hosts; at most %d", inventory, o.n, max);
	for (int i = 0; i < o.n; i++)
		if (!host_name_ok(hosts[i].name))
			return fail(1, "inventory %s: host name '%s' is not one pvbench takes (letters, digits, '.', '_', '-')",
			            inventory, hosts[i].name);
	*n = o.n;
	return 0;
}

/* ---- the run ------------------------------------------------------------ */

static int open_run(struct fleet *f)
{
	char path[PATH_MAX], err[1024], key[PATH_MAX + 16], opts[2048], old[2048];
	struct suite s;
	if (suite_resolve(f->suite, path, sizeof(path), err, sizeof(err)) || suite_load(path, &s, err, sizeof(err)))
		return fail(2, "%s", err);
	/* cells without @ENV run on each host's hardware: a host that cannot
	 * run one records it unsupported (the nested host is one machine's) */
	struct placement p = { ENV_HARDWARE, ENV_HARDWARE, ENV_HARDWARE };
	if (suite_place(&s, &p)) {
		suite_free(&s);
		return fail(2, "the suite exceeds %d cells", SUITE_MAX_CELLS);
	}
	char real[PATH_MAX];
	snprintf(key, sizeof(key), "fleet:%s", strchr(f->suite, '/') || !access(f->suite, F_OK)
	                                       ? (realpath(path, real) ? real : path) : f->suite);
	size_t l = (size_t)snprintf(opts, sizeof(opts), "suite_hash=%016llx fleet=%s trace=%d hosts=",
	                            (unsigned long long)s.hash, s.fleet, f->trace);
	for (int i = 0; i < f->n && l < sizeof(opts); i++)
		l += (size_t)snprintf(opts + l, sizeof(opts) - l, "%s%s", i ? "," : "", f->hosts[i].name);
	int rc = 0;
	if (!f->fresh && db_unfinished_run(f->db, key, &f->run, old, sizeof(old)))
		rc = fail(1, "%s: %s", db_target(f->db), db_error(f->db));
	else if (f->run && strcmp(old, opts))
		rc = fail(2, "run %lld of suite %s is unfinished with other hosts, options or an edited suite "
		             "(it has: %s); give the same ones to resume it, or --new", (long long)f->run, f->suite, old);
	else if (f->run)
		printf("pvbench fleet: resuming run %lld of suite %s\n", (long long)f->run, f->suite);
	if (!rc && !f->run) {
		const char *names[FLEET_MAX_HOSTS];
		for (int i = 0; i < f->n; i++)
			names[i] = f->hosts[i].name;
		struct host_facts h;
		host_facts(&h, "controller (each host's are in hosts)");
		char *text = read_text(path);
		if (db_create_fleet_run(f->db, key, &s, text ? text : "", opts, &h, s.fleet, names, f->n, &f->run))
			rc = fail(1, "%s: cannot create the run: %s", db_target(f->db), db_error(f->db));
		else
			printf("pvbench fleet: run %lld of suite %s on %d hosts: %d cells %s, results in %s\n",
			       (long long)f->run, f->suite, f->n, s.n,
			       !strcmp(s.fleet, "spread") ? "spread over them group by group" : "on each (replicate)",
			       db_target(f->db));
		free(text);
	}
	suite_free(&s);
	return rc;
}

/* ---- progress, from the database ---------------------------------------- */

static void show_progress(struct fleet *f, bool all)
{
	struct db_host_progress *p;
	int n;
	if (db_host_progress(f->db, f->run, &p, &n))
		return;
	double now = mono_s();
	for (int i = 0; i < n; i++) {
		struct fleet_host *h = host_named(f, p[i].host);
		if (!h || !h->session)
			continue;
		/* a line when a cell ends, and every 10 s otherwise */
		if (!all && p[i].finished == h->shown_finished && now - h->shown_at < 10)
			continue;
		h->shown_finished = p[i].finished;
		h->shown_at = now;
		char eta[32] = "?";
		if (p[i].rep_s >= 0)
			format_duration(p[i].reps_left * p[i].rep_s, eta, sizeof(eta));
		char el[32];
		format_duration(now - f->t0, el, sizeof(el));
		char failed[32] = "";
		if (p[i].failed)
			snprintf(failed, sizeof(failed), " (%d failed)", p[i].failed);
		printf("pvbench fleet: [%s] %s: %d/%d cells finished%s, %s%s\n", el, h->name, p[i].finished, p[i].cells,
		       failed, h->lost ? "host lost" : "ETA ", h->lost ? "" : p[i].finished == p[i].cells ? "0s" : eta);
	}
	fflush(stdout);
	free(p);
}

static struct fleet *ticking;
static void tick(void)
{
	struct fleet *f = ticking;
	if (mono_s() - f->last_tick < 2)
		return;
	f->last_tick = mono_s();
	show_progress(f, false);
}

/* ---- --trace: one lttng-relayd for every host ------------------------- */

/* Started here, its traces under ./traces/fleet-runID/relayd/HOSTNAME/HOST
 * (one cellC-repK a traced repetition); the hosts' session daemons reach
 * it at the address their ssh sessions come from. 0, or 1 said. */
static int relayd_start(struct fleet *f)
{
	char out[PATH_MAX], log[PATH_MAX], url[3][64], cmd[PATH_MAX + 32];
	if (!tool("lttng-relayd"))
		return fail(1, "--trace: lttng-relayd is not installed (lttng-tools)");
	snprintf(cmd, sizeof(cmd), "traces/fleet-run%lld", (long long)f->run);
	if (sh("mkdir -p traces") || (mkdir(cmd, 0755) && errno != EEXIST) || !realpath(cmd, f->traces))
		return fail(1, "--trace: cannot create %s: %s", cmd, strerror(errno));
	if (strchr(f->traces, '\'') || strchr(bindir, '\''))     /* they go into shell commands (pvtrace) */
		return fail(1, "--trace: %s: a path with a quote in it", f->traces);
	snprintf(out, sizeof(out), "%s/relayd", f->traces);
	snprintf(log, sizeof(log), "%s/relayd.log", f->traces);
	int base = 40000 + (int)(getpid() % 8000) * 3;
	for (int i = 0; i < 3; i++) {
		f->ports[i] = base + i;
		snprintf(url[i], sizeof(url[i]), "tcp://%s:%d", i == 2 ? "127.0.0.1" : "0.0.0.0", f->ports[i]);
	}
	char *argv[] = { (char *)tool("lttng-relayd"), "-o", out, "-C", url[0], "-D", url[1], "-L", url[2], NULL };
	fflush(stdout);
	f->relayd = fork();
	if (f->relayd == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	usleep(500000);          /* it binds its ports or dies of it */
	int st;
	if (f->relayd < 0 || waitpid(f->relayd, &st, WNOHANG) != 0) {
		f->relayd = 0;
		return fail(1, "--trace: lttng-relayd did not start (see %s)", log);
	}
	printf("pvbench fleet: --trace: lttng-relayd on ports %d, %d; traces in %s\n", f->ports[0], f->ports[1], out);
	return 0;
}

static void relayd_stop(struct fleet *f)
{
	if (f->relayd <= 0)
		return;
	kill(f->relayd, SIGTERM);
	waitpid(f->relayd, NULL, 0);
	f->relayd = 0;
}

/* pvtrace summary of dir into file; its line "events N in M streams ..." */
static void summarise(const char *dir, const char *file, const char *who)
{
	char cmd[3 * PATH_MAX], line[512] = "";
	snprintf(cmd, sizeof(cmd), "'%s/pvtrace' summary '%s' > '%s' 2>&1", bindir, dir, file);
	int st = sh(cmd);
	FILE *in = fopen(file, "r");
	while (in && fgets(line, sizeof(line), in) && !strstr(line, "events "))
		;
	if (in)
		fclose(in);
	char *p = line + strspn(line, " ");
	p[strcspn(p, "\n")] = 0;
	printf("pvbench fleet: traces of %s: %s (%s)\n", who, st || !strstr(p, "events ") ? "pvtrace could not read them" : p,
	       file);
}

/* Per host and across the hosts: what the traced repetitions recorded. */
static void trace_summaries(struct fleet *f)
{
	char pat[PATH_MAX + 80], file[PATH_MAX + 80], out[PATH_MAX];
	snprintf(out, sizeof(out), "%s/relayd", f->traces);
	for (int i = 0; i < f->n; i++) {
		if (!f->hosts[i].session)
			continue;
		glob_t g;
		snprintf(pat, sizeof(pat), "%s/*/%s", out, f->hosts[i].name);   /* relayd adds the hostname */
		if (glob(pat, 0, NULL, &g) || !g.gl_pathc) {
			printf("pvbench fleet: traces of %s: none arrived\n", f->hosts[i].name);
			continue;
		}
		snprintf(file, sizeof(file), "%s/summary-%s.txt", f->traces, f->hosts[i].name);
		summarise(g.gl_pathv[0], file, f->hosts[i].name);
		globfree(&g);
	}
	snprintf(file, sizeof(file), "%s/summary-all.txt", f->traces);
	summarise(out, file, "all hosts");
}

/* ---- the playbook ------------------------------------------------------- */

/* The last line of text that is not empty. */
static void last_line(const char *text, char *out, size_t n)
{
	const char *last = text;
	for (const char *p = text; *p; p++)
		if ((p == text || p[-1] == '\n') && *p != '\r' && *p != '\n')
			last = p;
	snprintf(out, n, "%.*s", (int)strcspn(last, "\r\n"), last);
}

/* "fatal: [HOST]: UNREACHABLE! => {json}" or FAILED!: the host is lost
 * (its running cell is given up at once, so that a resume reruns it). */
static void on_play(void *ctx, int fd, char *line)
{
	struct fleet *f = ctx;
	(void)fd;
	if (f->log)
		fprintf(f->log, "%s\n", line), fflush(f->log);
	const char *p = strstr(line, "fatal: [");
	if (!p)
		return;
	p += 8;
	char name[64];
	size_t k = strcspn(p, "]");
	snprintf(name, sizeof(name), "%.*s", (int)(k < sizeof(name) ? k : sizeof(name) - 1), p);
	struct fleet_host *h = host_named(f, name);
	if (!h || h->lost)
		return;
	bool unreachable = strstr(p, "UNREACHABLE!") != NULL;
	const char *js = strstr(p, "=> ");
	struct json_object *o = js ? jsonread_object(js + 3) : NULL;
	char msg[512] = "", err[512] = "";
	if (o) {
		/* ssh's account ends in its reason ("Host key verification
		 * failed."), after a banner on a host key that changed */
		const char *m = jsonread_text(o, "msg");
		if (m && *m) {
			static const char via[] = "Failed to connect to the host via ssh: ";
			last_line(m, msg, sizeof(msg));
			if (!strncmp(m, via, strlen(via)) && strncmp(msg, via, strlen(via))) {
				char r[sizeof(msg)];
				snprintf(r, sizeof(r), "%s", msg);
				snprintf(msg, sizeof(msg), "%s%.*s", via, (int)(sizeof(msg) - sizeof(via)), r);
			}
		}
		const char *e = jsonread_text(o, "stderr");
		if (e && *e)       /* a command's last line says why */
			last_line(e, err, sizeof(err));
	}
	snprintf(h->why, sizeof(h->why), "%s%s", unreachable ? "unreachable: " : "",
	         err[0] ? err : msg[0] ? msg : "Ansible reported it failed");
	h->why[strcspn(h->why, "\r\n")] = 0;
	for (size_t l = strlen(h->why); l && (h->why[l - 1] == '.' || h->why[l - 1] == ' '); l--)
		h->why[l - 1] = 0;       /* the line goes on after it */
	h->lost = true;
	jsonread_free(o);
	int given = db_give_up_host(f->db, f->run, h->name, h->why);
	printf("pvbench fleet: host %s lost: %s%s\n", h->name, h->why,
	       given > 0 ? "; its running cell is marked failed and runs again on a resume" : "");
	fflush(stdout);
}

/* The build and the tree's scripts, packed once for every host. */
static int make_bundle(struct fleet *f, char *bundle, size_t n)
{
	snprintf(bundle, n, "%s/pvlab.tar.gz", f->tmp);
	char cmd[PATH_MAX * 5];
	/* the programs, the tracepoint provider and pvos; the scripts they
	 * run; every layer's deps.txt for scripts/deps.sh */
	snprintf(cmd, sizeof(cmd),
	         "cd '%s/..' && tar -cf '%s/pvlab.tar' --exclude='*.a' --transform 's,^,build/,' bin lib guest && "
	         "cd '%s' && tar -rf '%s/pvlab.tar' bench/suites bench/platforms bench/fleet scripts "
	         "tracing/lttng-session.sh $(ls */deps.txt) && gzip -n -1 '%s/pvlab.tar'",
	         bindir, f->tmp, bench_srcdir(), f->tmp, f->tmp);
	if (strchr(bindir, '\'') || strchr(bench_srcdir(), '\'') || sh(cmd) || access(bundle, R_OK))
		return fail(1, "cannot pack the build into %s", bundle);
	return 0;
}

/* The playbook's variables, in a file only root reads (the URL may hold
 * a password). */
static int write_vars(struct fleet *f, const char *bundle, char *path, size_t n)
{
	snprintf(path, n, "%s/vars.json", f->tmp);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	FILE *o = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!o)
		return fail(1, "cannot write %s: %s", path, strerror(errno));
	fprintf(o, "{\"pvlab_db\": \"");
	for (const char *c = f->db_url; *c; c++)      /* a JSON string */
		fprintf(o, *c == '"' || *c == '\\' ? "\\%c" : (unsigned char)*c < 32 ? "\\u%04x" : "%c", *c);
	fprintf(o, "\", \"pvlab_run\": %lld, \"pvlab_bundle\": \"%s\"", (long long)f->run, bundle);
	if (f->relayd > 0)
		fprintf(o, ", \"pvlab_trace_ports\": \"%d:%d\"", f->ports[0], f->ports[1]);
	fprintf(o, "}\n");
	return fclose(o) ? 1 : 0;
}

static int play(struct fleet *f, const char *vars)
{
	char limit[FLEET_MAX_HOSTS * 66] = "", forks[16], varg[PATH_MAX + 2], book[PATH_MAX + 16];
	size_t l = 0;
	int ns = 0;
	for (int i = 0; i < f->n; i++)
		if (f->hosts[i].session && l < sizeof(limit))
			l += (size_t)snprintf(limit + l, sizeof(limit) - l, "%s%s", ns++ ? "," : "", f->hosts[i].name);
	snprintf(forks, sizeof(forks), "%d", ns);
	snprintf(varg, sizeof(varg), "@%s", vars);
	snprintf(book, sizeof(book), "%s/pvbench.yml", fleet_dir());
	char *argv[] = { (char *)tool("ansible-playbook"), "-i", (char *)f->inventory, book, "-e", varg,
	                 "--limit", limit, "-f", forks, NULL };
	struct spawn_io io = { .on_line = on_play, .ctx = f };
	double wall;
	const char *log = getenv("PVBENCH_FLEET_LOG");
	if (log && *log && !(f->log = fopen(log, "a")))
		fprintf(stderr, "pvbench fleet: PVBENCH_FLEET_LOG: cannot open %s: %s\n", log, strerror(errno));
	ticking = f;
	spawn_tick = tick;
	int st = spawn_run(argv, FLEET_TIMEOUT_S, &io, &wall);
	spawn_tick = NULL;
	if (f->log)
		fclose(f->log);
	return st;
}

/* The session's hosts: those --limit names that have cells left; a lost
 * cell of theirs (an earlier session's) is pending again. */
static int pick_session(struct fleet *f, int *ns)
{
	struct fleet_host lim[FLEET_MAX_HOSTS];
	int nl = f->n;
	if (f->limit && list_hosts(f->inventory, f->limit, lim, FLEET_MAX_HOSTS, &nl))
		return 1;
	struct db_host_progress *p;
	int n;
	for (int i = 0; i < f->n; i++) {
		f->hosts[i].session = !f->limit;
		for (int j = 0; f->limit && j < nl; j++)
			f->hosts[i].session |= !strcmp(lim[j].name, f->hosts[i].name);
	}
	for (int i = 0; i < f->n; i++)
		if (f->hosts[i].session && db_retry_lost(f->db, f->run, f->hosts[i].name) < 0)
			return fail(1, "%s: %s", db_target(f->db), db_error(f->db));
	if (db_host_progress(f->db, f->run, &p, &n))
		return fail(1, "%s: %s", db_target(f->db), db_error(f->db));
	*ns = 0;
	for (int i = 0; i < n; i++) {
		struct fleet_host *h = host_named(f, p[i].host);
		if (h && h->session && p[i].finished == p[i].cells)
			h->session = false;       /* nothing left to do there */
		*ns += h && h->session;
	}
	free(p);
	return 0;
}

static int fleet_run(struct fleet *f)
{
	char err[1024];
	if (!tool("ansible") || !tool("ansible-playbook"))
		return fail(1, "Ansible is not installed (make deps, or apt-get install ansible)");
	if (!db_is_url(f->db_url))
		return usage("--db must be a postgresql:// URL: every host writes its samples there as it runs "
		             "(an SQLite file is one host's store; pvbench run)");
	if (access(f->inventory, R_OK))
		return fail(1, "cannot read inventory %s: %s", f->inventory, strerror(errno));
	ansible_env();
	if (list_hosts(f->inventory, "all", f->hosts, FLEET_MAX_HOSTS, &f->n))
		return 1;
	if (db_open(f->db_url, &f->db, err, sizeof(err)))
		return fail(1, "%s", err);
	int rc = open_run(f), ns = 0;
	if (!rc)
		rc = pick_session(f, &ns);
	if (rc) {
		db_close(f->db);
		return rc;
	}
	f->t0 = mono_s();
	char bundle[PATH_MAX], vars[PATH_MAX];
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/pvbench-fleet.XXXXXX");
	if (ns && !mkdtemp(f->tmp))
		rc = fail(1, "cannot make a temporary directory: %s", strerror(errno));
	if (ns && !rc && f->trace)
		rc = relayd_start(f);
	if (ns && !rc && !make_bundle(f, bundle, sizeof(bundle)) && !write_vars(f, bundle, vars, sizeof(vars))) {
		printf("pvbench fleet: %d host%s at work:", ns, ns > 1 ? "s" : "");
		for (int i = 0; i < f->n; i++)
			if (f->hosts[i].session)
				printf(" %s", f->hosts[i].name);
		printf("\n");
		fflush(stdout);
		int st = play(f, vars);
		if (st == -EINTR)
			rc = 130;
		else if (st && st != 2 && st != 4)   /* 2, 4: hosts failed or unreachable, each said above */
			rc = fail(1, "ansible-playbook: status %d", st);
	} else if (ns && !rc) {
		rc = 1;
	}
	relayd_stop(f);           /* it has flushed what the sessions sent */
	if (ns && f->trace && f->traces[0] && rc != 130)
		trace_summaries(f);
	if (ns) {
		char cmd[PATH_MAX];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->tmp);
		sh(cmd);
	}
	show_progress(f, true);
	int lost = 0;
	for (int i = 0; i < f->n; i++)
		lost += f->hosts[i].lost;
	int fin = rc ? 0 : db_finish_run(f->db, f->run);
	if (rc == 130)
		printf("pvbench fleet: interrupted; run the same command again to resume run %lld\n", (long long)f->run);
	else if (fin == 1)
		printf("pvbench fleet: run %lld finished; results in %s\n", (long long)f->run, db_target(f->db));
	else if (!rc && lost)
		printf("pvbench fleet: run %lld stopped with %d host%s lost; run the same command again to resume it\n",
		       (long long)f->run, lost, lost == 1 ? "" : "s");
	else if (!rc)         /* --limit left hosts out, or nothing was left for it */
		printf("pvbench fleet: run %lld is not finished: hosts outside --limit %s have cells left\n",
		       (long long)f->run, f->limit ? f->limit : "");
	db_close(f->db);
	if (rc || fin < 0)
		return rc ? rc : 1;
	return lost ? 1 : 0;
}

/* --trace-ports CTRL:DATA: the controller's lttng-relayd, at the address
 * this host's ssh session comes from (SSH_CONNECTION's first word: the
 * controller as this host sees it). */
static int relayd_url(const char *ports, char *url, size_t n)
{
	const char *sc = getenv("SSH_CONNECTION");
	char addr[64];
	int ctrl, data;
	if (sscanf(ports, "%d:%d", &ctrl, &data) != 2 || ctrl < 1 || ctrl > 65535 || data < 1 || data > 65535)
		return fail(2, "--trace-ports takes CTRL:DATA, not '%s'", ports);
	if (!sc || sscanf(sc, "%63s", addr) != 1 || strspn(addr, "0123456789abcdefABCDEF.:") != strlen(addr))
		return fail(1, "--trace-ports: no ssh connection to find the controller by (SSH_CONNECTION)");
	snprintf(url, n, strchr(addr, ':') ? "net://[%s]:%d:%d" : "net://%s:%d:%d", addr, ctrl, data);
	return 0;
}

static int fleet_work(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run", required_argument, 0, 'r' }, { "host", required_argument, 0, 'H' },
		{ "trace-ports", required_argument, 0, 'T' }, { 0, 0, 0, 0 },
	};
	int64_t run = 0;
	const char *host = NULL, *ports = NULL;
	int c;
	uint64_t v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r' && !num_u64(optarg, 1, INT64_MAX, &v))
			run = (int64_t)v;
		else if (c == 'H' && host_name_ok(optarg))
			host = optarg;
		else if (c == 'T')
			ports = optarg;
		else
			return usage("work --run ID --host NAME [--trace-ports CTRL:DATA], the database's URL in PVBENCH_DB");
	}
	const char *db = getenv("PVBENCH_DB");
	if (!run || !host || optind < argc || !db || !*db)
		return usage("work --run ID --host NAME [--trace-ports CTRL:DATA], the database's URL in PVBENCH_DB");
	char url[128];
	int rc = ports ? relayd_url(ports, url, sizeof(url)) : 0;
	return rc ? rc : run_host_cells(db, run, host, ports ? url : NULL);
}

int cmd_fleet(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "work"))
		return fleet_work(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "run")) {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
			return bench_usage(stdout), 0;
		return usage("usage: pvbench fleet run --inventory FILE --suite S --db postgresql://... "
		             "[--limit HOSTS] [--trace] [--new]");
	}
	static const struct option opts[] = {
		{ "inventory", required_argument, 0, 'i' }, { "suite", required_argument, 0, 's' },
		{ "db", required_argument, 0, 'd' }, { "limit", required_argument, 0, 'l' },
		{ "trace", no_argument, 0, 't' }, { "new", no_argument, 0, 'n' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct fleet *f = calloc(1, sizeof(*f));
	if (!f)
		return 1;
	int c, rc = 0;
	optind = 1;
	while (!rc && (c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': f->inventory = optarg; break;
		case 's': f->suite = optarg; break;
		case 'd': f->db_url = optarg; break;
		case 'l': f->limit = optarg; break;
		case 't': f->trace = 1; break;
		case 'n': f->fresh = 1; break;
		case 'h': bench_usage(stdout); free(f); return 0;
		default: rc = usage("try pvbench --help");
		}
	}
	if (!rc && (optind < argc - 1 || !f->inventory || !f->suite || !f->db_url))
		rc = usage("run needs --inventory FILE --suite S --db postgresql://... (see pvbench --help)");
	if (!rc) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		rc = fleet_run(f);
	}
	free(f);
	return rc;
}
