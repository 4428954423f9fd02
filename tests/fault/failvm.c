/* LD_PRELOAD fault injection for tests: the Nth KVM_CREATE_VM of the
 * process fails with ENOMEM (PVLAB_FAIL_KVM_VM=N), as when the host runs
 * out of memory or VMs. Children do not inherit it. */
#include <dlfcn.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>

static long fail_at;
static long seen;

__attribute__((constructor)) static void failvm_init(void)
{
	const char *n = getenv("PVLAB_FAIL_KVM_VM");
	fail_at = n ? atol(n) : 0;
	unsetenv("LD_PRELOAD");     /* pvmon and the other children run unharmed */
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (req == KVM_CREATE_VM && ++seen == fail_at) {
		errno = ENOMEM;
		return -1;
	}
	return real(fd, req, arg);
}
