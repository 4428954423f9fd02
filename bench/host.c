/* Host facts: CPU model, kernel, cores, memory, OS, pvlab version (git
 * describe of the source tree) and the KVM back end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "host.h"
#include "paths.h"

/* The value after "KEY" and separator in the first matching line. */
static void file_value(const char *path, const char *key, const char *sep, char *out, size_t n)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t kl = strlen(key);
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl))
			continue;
		char *v = strstr(line + kl, sep);
		if (!v)
			continue;
		v += strlen(sep);
		while (*v == ' ' || *v == '\t' || *v == '"')
			v++;
		v[strcspn(v, "\"\n")] = 0;
		snprintf(out, n, "%s", v);
		break;
	}
	if (f)
		fclose(f);
}

static void git_version(char *out, size_t n)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "git -C '%s' describe --always --dirty --tags 2>/dev/null", bench_srcdir());
	FILE *p = popen(cmd, "r");
	out[0] = 0;
	if (p && fgets(out, (int)n, p))
		out[strcspn(out, "\n")] = 0;
	if (p)
		pclose(p);
	if (!out[0])
		snprintf(out, n, "unknown (not a git tree)");
}

void host_facts(struct host_facts *h, const char *kvm_backend)
{
	memset(h, 0, sizeof(*h));
	gethostname(h->hostname, sizeof(h->hostname) - 1);
	file_value("/proc/cpuinfo", "model name", ":", h->cpu_model, sizeof(h->cpu_model));
	struct utsname u;
	if (!uname(&u))
		snprintf(h->kernel, sizeof(h->kernel), "%s %s %s", u.sysname, u.release, u.machine);
	file_value("/etc/os-release", "PRETTY_NAME", "=", h->os, sizeof(h->os));
	h->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	char mem[64] = "";
	file_value("/proc/meminfo", "MemTotal", ":", mem, sizeof(mem));
	h->mem_mib = atol(mem) / 1024;
	git_version(h->pvlab_version, sizeof(h->pvlab_version));
	snprintf(h->kvm_backend, sizeof(h->kvm_backend), "%s", kvm_backend);
	/* QEMU's TCG CPU models, or inside the nested host (scripts/nested-svm.sh) */
	h->emulated = strstr(h->cpu_model, "QEMU Virtual CPU") || strstr(h->cpu_model, "QEMU TCG") ||
	              getenv("PVLAB_NESTED");
}
