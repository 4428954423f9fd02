/* Host limits (limits.h): the descriptor budget and what pvmon does at
 * start so that meeting it fails cleanly. */
#include <dirent.h>
#include <dlfcn.h>
#include <sys/resource.h>
#include "limits.h"

#define FD_MARGIN 32     /* pvmon's own: sockets, trace, files a run opens */

void limits_init(void)
{
	struct rlimit r;
	if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
	/* glibc loads libgcc_s on the first thread unwind; with no descriptor
	 * left that load aborts the process. Load it while there are some. */
	dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL);
}

int limits_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;           /* opendir's own */
}

void limits_nofile(uint64_t *soft, uint64_t *hard)
{
	struct rlimit r = { 0, 0 };
	getrlimit(RLIMIT_NOFILE, &r);
	*soft = r.rlim_cur == RLIM_INFINITY ? UINT64_MAX : r.rlim_cur;
	*hard = r.rlim_max == RLIM_INFINITY ? UINT64_MAX : r.rlim_max;
}

uint64_t limits_domains_left(uint64_t per_domain)
{
	uint64_t soft, hard;
	limits_nofile(&soft, &hard);
	int open = limits_open_fds();
	if (open < 0 || !per_domain)
		return UINT64_MAX;
	uint64_t used = (uint64_t)open + FD_MARGIN;
	return soft > used ? (soft - used) / per_domain : 0;
}
