/* What pvmon's Xen back ends (xen_blkback.c, xen_netback.c) share: their
 * xenstore nodes written and read as Domain 0, as xl and Xen's back ends
 * do, and a watch of pvmon's own on a frontend's state. */
#ifndef PVMON_XEN_BACKEND_H
#define PVMON_XEN_BACKEND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xenstore.h"

/* dir/node = the formatted value: 0 or -errno. */
int xbe_put(struct xs_store *s, const char *dir, const char *node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* dir/node as an unsigned decimal number: 0, -ENOENT, -EINVAL. */
int xbe_get_u32(struct xs_store *s, const char *dir, const char *node, uint32_t *v);
/* dir owned by owner, readable by reader (xenstore-chmod's "nO" "rR"). */
void xbe_own(struct xs_store *s, const char *dir, unsigned owner, unsigned reader);
/* A watch of pvmon's own on path, as xenstore-watch would set it: a
 * Domain 0 connection of the store sending XS_WATCH. fn gets every
 * message of that connection (under the store's lock: it should only
 * flag work); xbe_watch_event says which are the watch's events. */
struct xs_conn *xbe_watch(struct xs_store *s, const char *path, xs_send_fn *fn, void *ctx);
bool xbe_watch_event(const void *msg, size_t len);
/* A detach (libxl's device removal): unless the frontend at fe never
 * started or has closed, the back end at be goes offline and Closing,
 * and this waits up to wait_ms for the frontend to say Closed (the back
 * end's thread follows it meanwhile). True once the frontend is closed. */
bool xbe_close_frontend(struct xs_store *s, const char *fe, const char *be, unsigned wait_ms);
#endif
