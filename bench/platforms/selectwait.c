/* selectwait.so: preloaded into Domain 0's httperf (run.sh's httperf-vif
 * client) so that it waits for its sockets instead of spinning.
 *
 * Why: httperf 0.9.0's main loop calls select() with a zero timeout and
 * runs its timers between calls, so it takes a whole CPU however slowly
 * the server answers (measured: 2.4 s of CPU in a 3 s wait for one
 * reply). In the paper the web clients ran on other machines; here Domain
 * 0's N clients share the CPUs with the N domains they measure, and N
 * spinning clients took the CPU the domains needed.
 *
 * The fix: a select() whose timeout is zero waits up to WAIT_US for a
 * socket instead. A reply or a writable socket ends the wait at once, so
 * a request goes out as soon as before; only httperf's timers (its
 * --timeout, its 5 s rate samples) are looked at every WAIT_US rather
 * than continuously. Every other select() passes through unchanged. */
#include <dlfcn.h>
#include <stddef.h>
#include <sys/select.h>

#define WAIT_US 1000

typedef int select_fn(int, fd_set *, fd_set *, fd_set *, struct timeval *);

int select(int n, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	static select_fn *real;
	if (!real)
		real = (select_fn *)dlsym(RTLD_NEXT, "select");
	if (tv && !tv->tv_sec && !tv->tv_usec) {
		struct timeval wait = { .tv_sec = 0, .tv_usec = WAIT_US };
		return real(n, rd, wr, ex, &wait);
	}
	return real(n, rd, wr, ex, tv);
}
