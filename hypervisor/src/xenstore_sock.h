/* Domain 0's Unix socket into pvmon's xenstore: xenstored's wire protocol,
 * one Domain 0 connection per client, so Debian's xenstore-utils work with
 * XENSTORED_PATH=<socket>. */
#ifndef PVMON_XENSTORE_SOCK_H
#define PVMON_XENSTORE_SOCK_H
#include "xenstore.h"

#define XS_SOCK_MAX_CLIENTS 64
#define XS_SOCK_NAME        "xenstored.sock"

/* Serve the store at path from a thread of its own. 0 or -errno as
 * control_listen gives them (-EADDRINUSE: another server answers there),
 * -EBUSY already serving, -ENAMETOOLONG. */
int xenstore_sock_start(struct xs_store *s, const char *path);
/* Close every client and the socket, unlink its path, join the thread.
 * Safe when not started. */
void xenstore_sock_stop(void);
/* XS_SOCK_NAME in the control socket's directory (control_default_socket):
 * /run/pvlab/xenstored.sock unless $PVLAB_SOCKET says otherwise. */
const char *xenstore_default_socket(void);
#endif
