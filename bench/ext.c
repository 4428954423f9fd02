/* fullvirt (QEMU), uml (User-Mode Linux) and pv (Debian's Linux kernel as
 * a Xen PV domain of pvmon, the contract's linuxpv): the platforms built
 * by bench/platforms/, driven through the platform contract: detect.sh
 * once per run, image.sh before the first cell, run.sh for every
 * repetition. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"
#include "paths.h"
#include "platform.h"
#include "spawn.h"

#define IMAGE_TIMEOUT_S 3600

struct first_line {
	char text[512];
};

static void on_first(void *ctx, int fd, char *line)
{
	struct first_line *f = ctx;
	if (fd == 1 && !f->text[0] && line[0])
		snprintf(f->text, sizeof(f->text), "%s", line);
}

/* DIR/SCRIPT PLATFORM; the first stdout line in *f. */
static int script(const char *name, const char *platform, int timeout_s, struct first_line *f,
                  struct spawn_io *io)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", bench_platforms_dir(), name);
	if (access(path, X_OK))
		return -ENOENT;
	char *argv[] = { path, (char *)platform, NULL };
	io->on_line = on_first;
	io->ctx = f;
	double wall;
	export_build_env();
	return spawn_run(argv, timeout_s, io, &wall);
}

/* The contract's name of the platform. */
static const char *driver(const struct platform_ops *self)
{
	return self->driver ? self->driver : self->name;
}

static int ext_detect(const struct platform_ops *self, char *detail, size_t n, char *reason, size_t rn)
{
	const char *platform = driver(self);
	struct first_line f = { "" };
	struct spawn_io io = { 0 };
	int st = script("detect.sh", platform, 300, &f, &io);
	if (st == -EINTR)
		return st;
	if (st == -ENOENT) {
		snprintf(reason, rn, "no platform driver: %s/detect.sh is missing (the %s platform is not in this tree yet)",
		         bench_platforms_dir(), platform);
		return -ENOTSUP;
	}
	if (st == 0 && !strncmp(f.text, "ok", 2)) {
		snprintf(detail, n, "%s", f.text[2] == ' ' ? f.text + 3 : "");
		return 0;
	}
	if (st == 3 && !strncmp(f.text, "unsupported", 11)) {
		snprintf(reason, rn, "%s", f.text[11] == ' ' ? f.text + 12 : "detect.sh gave no reason");
		return -ENOTSUP;
	}
	snprintf(reason, rn, "detect.sh %s failed (status %d): %s", platform, st,
	         f.text[0] ? f.text : spawn_last_error(&io));
	return -ENOTSUP;
}

/* detect.sh's words say QEMU runs without KVM here (accel=tcg): 1 with
 * the probe's reason in why. */
static int without_kvm(const char *detail, char *why, size_t n)
{
	const char *a = strstr(detail, "accel=tcg"), *k = strstr(detail, "kvm_probe=");
	if (!a || (a != detail && a[-1] != ' ') || (a[9] && a[9] != ' '))
		return 0;
	snprintf(why, n, "%.*s", k ? (int)strcspn(k + 10, " ") : 0, k ? k + 10 : "");
	for (char *c = why; *c; c++)
		if (*c == '_')
			*c = ' ';
	return 1;
}

static int ext_prepare(const struct platform_ops *self, const char *env, struct progress *p, char *reason,
                       size_t n)
{
	const char *platform = driver(self);
	char note[64];
	snprintf(note, sizeof(note), "building/checking the %s guest image", platform);
	if (p)
		progress_note(p, note);
	/* for the nested host only the image: it probes its own KVM */
	if (env_nested(env))
		setenv("PVLAB_KVM_PROBE_S", "0", 1);
	struct first_line f = { "" };
	struct spawn_io io = { 0 };
	int st = script("image.sh", platform, IMAGE_TIMEOUT_S, &f, &io);
	unsetenv("PVLAB_KVM_PROBE_S");
	if (p)
		progress_note(p, "");
	if (st == -EINTR)
		return st;
	if (st == -ENOENT)
		snprintf(reason, n, "%s/image.sh is missing", bench_platforms_dir());
	else if (st == 3)
		snprintf(reason, n, "%s", f.text[0] ? f.text : spawn_last_error(&io));
	else if (st)
		snprintf(reason, n, "image.sh %s failed (status %d): %s", platform, st, spawn_last_error(&io));
	if (st)
		return st == 3 ? -ENOTSUP : -EIO;
	/* the nested host's image.sh need not hash the inputs again in every
	 * boot (seconds under TCG): they were checked now */
	if (env_nested(env)) {
		setenv("PVLAB_IMAGE_CHECKED", "1", 1);
		return 0;
	}
	/* QEMU without KVM is an emulated machine: its figures are never set
	 * against a hardware native (pvbench run moves fullvirt to the nested
	 * AMD-V host where this host's KVM cannot serve it) */
	char detail[512], why[256];
	if (!strcmp(platform, "fullvirt") && !ext_detect(self, detail, sizeof(detail), why, sizeof(why)) &&
	    without_kvm(detail, why, sizeof(why))) {
		snprintf(reason, n, "QEMU cannot use KVM here (%s); a full machine emulated by TCG is not compared with "
		         "hardware (without --no-nested, pvbench runs fullvirt in the nested AMD-V host)", why);
		return -ENOTSUP;
	}
	/* checked: run.sh need not check again in every repetition */
	const char *ready = getenv("PVLAB_IMAGE_READY");
	char list[64];
	snprintf(list, sizeof(list), "%s%s%s", ready ? ready : "", ready ? " " : "", platform);
	setenv("PVLAB_IMAGE_READY", list, 1);
	return 0;
}

static int ext_supports(const char *workload, char *reason, size_t n)
{
	if (!strcmp(workload, "hcall")) {
		snprintf(reason, n, "pvlab hypercalls exist only in pvos domains");
		return -ENOTSUP;
	}
	if (!strcmp(workload, "lmbench")) {
		snprintf(reason, n, "pvbench lmbench compares native, pvos and Linux PV (pv) only");
		return -ENOTSUP;
	}
	if (!strcmp(workload, "httperf-vif")) {
		snprintf(reason, n, "%s", HTTPERF_VIF_ONLY);
		return -ENOTSUP;
	}
	return 0;
}

static int ext_run_rep(const struct platform_ops *self, const struct cell_ctx *c, struct rep_result *r)
{
	if (!strcmp(c->cell->workload, "lmbench"))
		return lmbench_rep(self, c, r);
	return contract_rep(c, driver(self), r);
}

/* pv: every workload but pvos's hypercall test; lmbench is the Linux PV
 * column of pvbench lmbench (workload.c), run.sh linuxpv the rest. */
static int pv_supports(const char *workload, char *reason, size_t n)
{
	if (!strcmp(workload, "hcall")) {
		snprintf(reason, n, "pvlab's hypercall test is a pvos program (platform pvos); a Linux PV domain makes Xen "
		         "hypercalls");
		return -ENOTSUP;
	}
	if (!strcmp(workload, "lmbench"))
		return lmbench_supported(reason, n);
	return 0;
}

const struct platform_ops fullvirt_platform = {
	.name = "fullvirt", .detect = ext_detect, .supports = ext_supports,
	.prepare = ext_prepare, .run_rep = ext_run_rep,
};

const struct platform_ops pv_platform = {
	.name = "pv", .driver = "linuxpv", .detect = ext_detect, .supports = pv_supports,
	.prepare = ext_prepare, .run_rep = ext_run_rep,
};

const struct platform_ops uml_platform = {
	.name = "uml", .detect = ext_detect, .supports = ext_supports,
	.prepare = ext_prepare, .run_rep = ext_run_rep,
};
