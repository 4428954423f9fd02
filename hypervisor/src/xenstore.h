/* xenstore, served by pvmon: the store (a tree of nodes with Xen's
 * permissions), its connections (one per domain ring or Domain 0 socket
 * client), watches, transactions and per-domain quotas, speaking Xen's wire
 * protocol (<xen/io/xs_wire.h>). Pure bookkeeping: no KVM, no sockets; the
 * transports (the Unix socket in xenstore_sock.c, a domain's store ring)
 * feed bytes in and take whole messages out through a send function.
 *
 * Locking: one mutex per store guards everything in it. A send function is
 * called with it held: it must only queue the bytes and signal, never call
 * back into the store. Every other function here takes the lock itself, so
 * none may be called from a send function. */
#ifndef PVMON_XENSTORE_H
#define PVMON_XENSTORE_H
#include <stdbool.h>
#include <stddef.h>

struct xs_store;
struct xs_conn;

/* Per-domain quotas; Domain 0 has none (as in Xen). 0 = the default:
 *   nodes         1000  nodes the domain owns          (over: ENOSPC)
 *   node_size     2048  bytes of one node's value      (over: ENOSPC)
 *   watches        128  watches of all its connections (over: E2BIG)
 *   outstanding   1024  messages sent to a connection and not yet taken
 *                       by its peer, counted once the transport reports
 *                       what was taken (xs_conn_output_done): a request is
 *                       then held until the count falls, a watch event for
 *                       a domain's connection over it is dropped
 *   transactions    10  open transactions              (over: ENOSPC)
 * and at most XS_MAX_PERMS permissions on a node a domain sets (ENOSPC).
 * A transaction is a copy of the whole store: the copies of all domains'
 * open transactions together take at most XS_TX_MEMORY (over: ENOSPC),
 * and one makes at most XS_TX_CHANGES changes (over: ENOSPC).
 * These are cxenstored's quotas (oxenstored's for outstanding). */
struct xs_limits {
	unsigned nodes, node_size, watches, outstanding, transactions;
};
#define XS_DEFAULT_NODES        1000
#define XS_DEFAULT_NODE_SIZE    2048
#define XS_DEFAULT_WATCHES      128
#define XS_DEFAULT_OUTSTANDING  1024
#define XS_DEFAULT_TRANSACTIONS 10
#define XS_MAX_PERMS            5
#define XS_TX_MEMORY            (64u << 20)
#define XS_TX_CHANGES           1024

/* The store pvmon serves (NULL until main.c makes it): domains are
 * introduced into it when they start and released when they end
 * (domain.c). */
extern struct xs_store *pvmon_store;

/* A new store holding /, /local, /local/domain (Domain 0's, readable by
 * none else) and /local/domain/0. NULL lim: the defaults. NULL if out of
 * memory. */
struct xs_store *xs_store_new(const struct xs_limits *lim);
/* Frees the store; its connections must have been freed first. */
void xs_store_free(struct xs_store *s);

/* A domain is in the store: /local/domain/<domid> owned by it, with the
 * nodes domid and name (Domain 0's, readable by the domain), as xl makes
 * them; fires @introduceDomain. 0, -EINVAL (domid 0 or over 65535, a bad
 * name), -EEXIST (already introduced), -ENOMEM. */
int xs_domain_introduce(struct xs_store *s, unsigned domid, const char *name);
/* The domain has ended: its tree goes (watches fire), the nodes it owned
 * elsewhere become Domain 0's, its connections lose their watches and
 * transactions (they stay open until freed), @releaseDomain fires. */
void xs_domain_release(struct xs_store *s, unsigned domid);

/* One whole message: struct xsd_sockmsg and its payload. */
typedef void xs_send_fn(void *ctx, const void *msg, size_t len);
/* A connection of a domain (domid 0: Domain 0, privileged). NULL if out of
 * memory or domid > 65535. */
struct xs_conn *xs_conn_new(struct xs_store *s, unsigned domid, xs_send_fn *send, void *ctx);
void xs_conn_free(struct xs_conn *c);
/* Bytes of the request stream, split anywhere. Each complete request is
 * answered through send (and any watch events it fires go to their
 * connections' send). 0, or a negative errno when the stream cannot go on
 * and the caller must close it: -E2BIG a header announcing a payload over
 * XENSTORE_PAYLOAD_MAX, -ENOBUFS bytes beyond what xs_conn_input_space
 * allowed, -ENOMEM. After an error every call returns it again. */
int xs_conn_input(struct xs_conn *c, const void *buf, size_t len);
/* How many bytes xs_conn_input takes now: 0 while a request waits for the
 * connection's outstanding messages to fall under the quota, else at
 * least one (a transport with a ring leaves the rest in the ring). */
size_t xs_conn_input_space(struct xs_conn *c);
/* The peer has taken len more bytes of what send gave (a ring's consumer
 * moved on, a socket write completed). From the first call on the
 * connection's outstanding messages are counted; a held request is then
 * answered once there is room. */
void xs_conn_output_done(struct xs_conn *c, size_t len);

/* pvmon itself, as Domain 0 (no quotas, watches fire). Paths absolute.
 * 0 or -errno (-EINVAL bad path, -ENOENT, -E2BIG value over
 * XENSTORE_PAYLOAD_MAX, -ENOMEM). */
int xs_write(struct xs_store *s, const char *path, const void *val, size_t len);
/* *len in: the size of buf; out: the value's length. -ERANGE if it did not
 * fit (nothing copied); a NUL follows the value where there is room. */
int xs_read(struct xs_store *s, const char *path, char *buf, size_t *len);
/* Removes path and all below it (removing a missing node is not an error
 * when its parent exists, as in Xen). */
int xs_rm(struct xs_store *s, const char *path);
/* Sets a node's permissions: n strings as xenstore-chmod takes them
 * ("b5": domain 5 may read and write; the first is the owner and what
 * every other domain may do). */
int xs_set_perms(struct xs_store *s, const char *path, const char *const *perms, unsigned n);
#endif
