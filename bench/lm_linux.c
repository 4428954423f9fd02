/* The Linux PV column of pvbench lmbench (lm_linux.h): pvlm natively and
 * in a Linux PV domain (Debian's kernel, an initramfs of a static busybox,
 * pvlm and an /init that runs it and powers off), here or, where this
 * host cannot run Linux PV, through one boot of the nested AMD-V host that
 * runs `pvbench lmbench --linux-here` and sends its lines back. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench.h"
#include "lm_linux.h"
#include "platform.h"
#include "spawn.h"

#define LINUX_MIB 256              /* the domain; mmap_16m needs 16 MiB of it */
#define DOMAIN_TIMEOUT_S 600       /* its boot and pvlm under TCG took ~2 min */
#define NESTED_TIMEOUT_S 900       /* the nested host's boot besides */
#define PREFIX "lmlinux: "

/* ---- the pieces: kernel, busybox, pvlm ---------------------------------- */

/* 0 when path is an ELF executable with no interpreter (a static program,
 * which an initramfs without a C library can run), else why in why. */
static int static_elf(const char *path, char *why, size_t n)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return snprintf(why, n, "%.200s: %s", path, strerror(errno)), -ENOENT;
	int rc = 0;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 64) {
		snprintf(why, n, "%.180s is not a 64-bit ELF program", path);
		rc = -ENOEXEC;
	}
	for (unsigned i = 0; !rc && i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != sizeof(ph)) {
			snprintf(why, n, "%.180s: its program headers cannot be read", path);
			rc = -ENOEXEC;
		} else if (ph.p_type == PT_INTERP) {
			snprintf(why, n, "%.180s is dynamically linked (an initramfs holds no C library)", path);
			rc = -ENOEXEC;
		}
	}
	close(fd);
	return rc;
}

/* busybox on PATH, as scripts/nested-svm.sh and linux_boot.sh take it. */
static int find_busybox(char *out, size_t n, char *why, size_t wn)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s", path && *path ? path : "/usr/bin:/bin");
	for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, n, "%s/busybox", d);
		if (!access(out, X_OK))
			return static_elf(out, why, wn);
	}
	return snprintf(why, wn, "no busybox on PATH for the initramfs (Debian's busybox-static)"), -ENOENT;
}

static void kernel_path(char *out, size_t n)
{
	const char *e = getenv("PVLAB_VMLINUZ");
	if (e && *e)
		snprintf(out, n, "%s", e);
	else
		snprintf(out, n, "%.4000s/../nested/vmlinuz", bindir);
}

/* "linux pv: yes (...)" or "no (why)" of `pvmon info`: 1 yes, 0 no, with
 * the line (or why pvmon info failed) in line. */
struct info_line {
	char *line;
	size_t n;
};

static void on_info(void *ctx, int fd, char *text)
{
	struct info_line *i = ctx;
	if (fd == 1 && !strncmp(text, "linux pv: ", 10))
		snprintf(i->line, i->n, "%s", text);
}

static int linux_pv_here(char *line, size_t n)
{
	char pvmon[PATH_MAX + 16];
	snprintf(pvmon, sizeof(pvmon), "%s/pvmon", bindir);
	char *argv[] = { pvmon, "info", NULL };
	struct info_line i = { line, n };
	struct spawn_io io = { .on_line = on_info, .ctx = &i };
	double wall;
	line[0] = 0;
	int st = spawn_run(argv, 60, &io, &wall);
	if (!line[0])
		snprintf(line, n, "pvmon info (status %d) has no 'linux pv:' line: %s", st, spawn_last_error(&io));
	return !strncmp(line, "linux pv: yes", 13);
}

/* ---- the initramfs ------------------------------------------------------- */

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
	if (in >= 0)
		out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	char buf[65536];
	ssize_t got = 0;
	while (out >= 0 && (got = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)got) != got) {
			rc = -EIO;
			break;
		}
	if (in < 0 || out < 0 || got < 0)
		rc = -errno;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		rc = -EIO;
	return rc;
}

/* The initramfs's tree under the run's directory: folders (parents
 * first) and files; /dev gets the kernel's /dev/console, as the kernel's
 * own built-in initramfs comes first. */
#define NDIRS 4
static const char *const tree_dirs[NDIRS] = { "root", "root/bin", "root/proc", "root/dev" };
static const char *const tree[] = { "root/bin/busybox", "root/pvlm", "root/init", NULL };

static void remove_tree(const char *dir)
{
	char p[PATH_MAX];
	for (int i = 0; tree[i]; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, tree[i]);
		unlink(p);
	}
	for (int i = NDIRS - 1; i >= 0; i--) {
		snprintf(p, sizeof(p), "%s/%s", dir, tree_dirs[i]);
		rmdir(p);
	}
	const char *files[] = { "initramfs.cpio", "linux.cfg", NULL };
	for (int i = 0; files[i]; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* dir/initramfs.cpio (newc, as Linux unpacks it; uncompressed) of
 * busybox, pvlm and an /init that runs pvlm --scale N and powers off. */
static int make_initramfs(const char *dir, const char *busybox, int scale, char *why, size_t n)
{
	char p[PATH_MAX], pvlm[PATH_MAX + 16];
	for (int i = 0; i < NDIRS; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, tree_dirs[i]);
		if (mkdir(p, 0755) && errno != EEXIST) {
			int e = errno;
			return snprintf(why, n, "mkdir %.200s: %s", p, strerror(e)), -e;
		}
	}
	snprintf(pvlm, sizeof(pvlm), "%s/pvlm", bindir);
	const char *from[] = { busybox, pvlm };
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, tree[i]);
		int rc = copy_file(from[i], p);
		if (rc)
			return snprintf(why, n, "copying %s into the initramfs: %s", from[i], strerror(-rc)), rc;
	}
	snprintf(p, sizeof(p), "%s/root/init", dir);
	FILE *f = fopen(p, "w");
	if (!f)
		return snprintf(why, n, "%.200s: %s", p, strerror(errno)), -EIO;
	fprintf(f, "#!/bin/busybox sh\n"
	           "# pvbench lmbench's Linux PV side (bench/lm_linux.c): pvlm, then off.\n"
	           "/bin/busybox mount -t proc proc /proc\n"
	           "echo \"lmbench-linux: kernel $(/bin/busybox uname -r)\"\n"
	           "/pvlm --scale %d\n"
	           "echo \"lmbench-linux: pvlm status $?\"\n"
	           "/bin/busybox poweroff -f\n", scale);
	if (fclose(f) || chmod(p, 0755))
		return snprintf(why, n, "%.200s: %s", p, strerror(errno)), -EIO;
	char root[PATH_MAX], out[PATH_MAX];
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(out, sizeof(out), "%s/initramfs.cpio", dir);
	char *argv[] = { "/bin/sh", "-c", "cd \"$1\" && \"$2\" find . | \"$2\" cpio -o -H newc >\"$3\"", "sh", root,
	                 (char *)busybox, out, NULL };
	struct spawn_io io = { 0 };
	double wall;
	int st = spawn_run(argv, 60, &io, &wall);
	if (st)
		return snprintf(why, n, "busybox cpio (status %d): %s", st, spawn_last_error(&io)), -EIO;
	return 0;
}

/* ---- one run here ---------------------------------------------------------- */

/* A line of either side: parsed into l, and printed as "lmlinux: KIND
 * TEXT" for the host that started the nested one when print is set. */
struct here {
	struct lm_linux *l;
	struct lm_side *side;
	const char *kind;
	bool print;
};

static void take(struct lm_linux *l, const char *kind, const char *text)
{
	const char *k = strstr(text, "lmbench-linux: kernel ");
	if (!strcmp(kind, "pv") && k)
		snprintf(l->kernel, sizeof(l->kernel), "%s", k + 22);
	lm_parse_line(!strcmp(kind, "pv") ? &l->pv : &l->native, text);
}

static void on_side(void *ctx, int fd, char *line)
{
	struct here *h = ctx;
	if (h->print)
		printf(PREFIX "%s %s\n", fd == 1 ? h->kind : "stderr", line);
	if (fd == 1)
		take(h->l, h->kind, line);
	else if (!h->print && strstr(line, "pvmon: "))
		fprintf(stderr, "%s\n", line);
	fflush(stdout);
}

static int run_side(char *const *argv, int timeout, struct here *h, char *why, size_t n, const char *what)
{
	struct spawn_io io = { .on_line = on_side, .ctx = h };
	double wall;
	int st = spawn_run(argv, timeout, &io, &wall);
	if (st || !h->side->done)
		return snprintf(why, n, "%s: status %d%s: %s", what, st, h->side->done ? "" : ", no 'lmbench: done'",
		                spawn_last_error(&io)), -EIO;
	if (h->side->bad)
		return snprintf(why, n, "%s: %d lmbench lines or counter stamps not understood", what, h->side->bad), -EIO;
	return 0;
}

static int run_domain(const char *dir, int scale, struct here *h, char *why, size_t n)
{
	char kernel[PATH_MAX], busybox[PATH_MAX], pvlm[PATH_MAX + 16], cfg[PATH_MAX], pvmon[PATH_MAX + 16];
	kernel_path(kernel, sizeof(kernel));
	snprintf(pvlm, sizeof(pvlm), "%s/pvlm", bindir);
	if (access(kernel, R_OK))
		return snprintf(why, n, "no Debian kernel at %.180s (scripts/nested-svm.sh --prepare fetches it)", kernel),
		       -ENOENT;
	int rc = find_busybox(busybox, sizeof(busybox), why, n);
	if (rc || (rc = static_elf(pvlm, why, n)) || (rc = make_initramfs(dir, busybox, scale, why, n)))
		return rc;
	snprintf(cfg, sizeof(cfg), "%s/linux.cfg", dir);
	FILE *f = fopen(cfg, "w");
	if (!f)
		return snprintf(why, n, "%.200s: %s", cfg, strerror(errno)), -EIO;
	char *rk = realpath(kernel, NULL);
	fprintf(f, "name = \"lmlinux\"\nmemory = %d\nkernel = \"%s\"\nramdisk = \"%s/initramfs.cpio\"\n"
	           "cmdline = \"console=hvc0 loglevel=1\"\n", LINUX_MIB, rk ? rk : kernel, dir);
	free(rk);
	if (fclose(f))
		return snprintf(why, n, "%.200s: %s", cfg, strerror(errno)), -EIO;
	snprintf(pvmon, sizeof(pvmon), "%s/pvmon", bindir);
	char *argv[] = { pvmon, "--console-counters", "--pcpus", "1", "run", cfg, NULL };
	h->side = &h->l->pv;
	h->kind = "pv";
	return run_side(argv, DOMAIN_TIMEOUT_S, h, why, n, "the Linux PV domain");
}

/* Native, then the domain, with the raw exit before, between and after. */
static int run_here(int scale, struct lm_linux *l, bool print)
{
	char line[256], sc[16], pvlm[PATH_MAX + 16];
	double raws[3];
	if (!linux_pv_here(line, sizeof(line)))
		return snprintf(l->why, sizeof(l->why), "%s", line), -ENOTSUP;
	l->emulated = getenv("PVLAB_NESTED") != NULL;   /* this host is the nested one */
	char why[200];
	if (bench_kvm_usable(why, sizeof(why)))       /* the raw exit loop's KVM */
		return snprintf(l->why, sizeof(l->why), "no usable KVM: %s", why), -ENOTSUP;
	nested_env_words(l->host, sizeof(l->host));
	if (print)
		printf(PREFIX "host %s\n", l->host);
	if (bench_raw_exit(2000, &raws[0], l->why, sizeof(l->why)))
		return -EIO;
	snprintf(sc, sizeof(sc), "%d", scale);
	snprintf(pvlm, sizeof(pvlm), "%s/pvlm", bindir);
	char *argv[] = { pvlm, "--scale", sc, NULL };
	struct here h = { .l = l, .side = &l->native, .kind = "native", .print = print };
	if (run_side(argv, DOMAIN_TIMEOUT_S, &h, l->why, sizeof(l->why), "pvlm natively"))
		return -EIO;
	if (bench_raw_exit(2000, &raws[1], l->why, sizeof(l->why)))
		return -EIO;
	char dir[] = "/tmp/pvbench-lmlinux-XXXXXX";
	if (!mkdtemp(dir))
		return snprintf(l->why, sizeof(l->why), "mkdtemp: %s", strerror(errno)), -EIO;
	int rc = run_domain(dir, scale, &h, l->why, sizeof(l->why));
	remove_tree(dir);
	if (rc)
		return rc;
	if (bench_raw_exit(2000, &raws[2], l->why, sizeof(l->why)))
		return -EIO;
	l->raw = median(raws, 3);
	if (print)
		printf(PREFIX "raw_exit_ns %.0f\n", l->raw);
	return 0;
}

int lm_linux_here_cmd(int scale)
{
	struct lm_linux l = { 0 };
	int rc = run_here(scale, &l, true);
	if (rc)
		printf(PREFIX "failed %s\n", l.why);
	else
		printf(PREFIX "end ok\n");
	return rc ? 1 : 0;
}

/* ---- from the nested host ---------------------------------------------- */

struct from_nested {
	struct lm_linux *l;
	bool ended;
	char failed[256];
};

static void on_nested_line(void *ctx, int fd, char *line)
{
	struct from_nested *o = ctx;
	struct lm_linux *l = o->l;
	if (fd != 1 || strncmp(line, PREFIX, strlen(PREFIX)))
		return;
	const char *p = line + strlen(PREFIX);
	if (!strncmp(p, "native ", 7))
		take(l, "native", p + 7);
	else if (!strncmp(p, "pv ", 3))
		take(l, "pv", p + 3);
	else if (!strncmp(p, "host ", 5))
		snprintf(l->host, sizeof(l->host), "%s", p + 5);
	else if (!strncmp(p, "raw_exit_ns ", 12))
		l->raw = strtod(p + 12, NULL);
	else if (!strncmp(p, "failed ", 7))
		snprintf(o->failed, sizeof(o->failed), "%s", p + 7);
	else if (!strcmp(p, "end ok"))
		o->ended = true;
}

int lm_linux_measure(int scale, struct lm_linux *l)
{
	char here[256], why[256];
	if (linux_pv_here(here, sizeof(here))) {
		int rc = run_here(scale, l, false);
		if (!rc)
			return 0;
		struct lm_linux keep = { .emulated = l->emulated };
		snprintf(keep.why, sizeof(keep.why), "%s", l->why);
		*l = keep;                     /* a failed run keeps nothing */
		return rc == -ENOTSUP || rc == -ENOENT || rc == -ENOEXEC ? -ENOTSUP : -EIO;
	}
	l->emulated = true;
	char *args[] = { "--linux-here", scale == 1 ? "--quick" : NULL, NULL };
	struct from_nested o = { .l = l };
	struct spawn_io io = { .on_line = on_nested_line, .ctx = &o };
	int st = nested_pvbench("lmbench", args, NESTED_TIMEOUT_S, &io, why, sizeof(why));
	int rc = st == -ENOTSUP || st == 77 ? -ENOTSUP : -EIO;
	if (st == -ENOTSUP || st == 77)
		snprintf(l->why, sizeof(l->why), "this host: %s; %s", here, why);
	else if (o.failed[0])
		snprintf(l->why, sizeof(l->why), "in the nested AMD-V host: %.200s", o.failed);
	else if (st)
		snprintf(l->why, sizeof(l->why), "%s", why);
	else if (!o.ended || !l->native.done || !l->pv.done || !(l->raw > 0))
		snprintf(l->why, sizeof(l->why), "the nested AMD-V host's run gave no whole result");
	else if (l->native.bad || l->pv.bad)
		snprintf(l->why, sizeof(l->why), "the nested AMD-V host's lines: %d not understood",
		         l->native.bad + l->pv.bad);
	if (!l->why[0])
		return 0;
	struct lm_linux keep = { .emulated = true };
	snprintf(keep.why, sizeof(keep.why), "%s", l->why);
	*l = keep;                         /* a failed run keeps nothing */
	return rc;
}
