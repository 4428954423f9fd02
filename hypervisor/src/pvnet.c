/* The network back end of pvos domains, after Xen's old netback: packets
 * come from a source (pvmon's packet generator, or a TAP device on the
 * host) into a page of the back end's own pool, and reach the guest on its
 * receive ring in the mode it chose: by page flip (what backs the pool page
 * and the frame the guest offered are exchanged; no byte is copied; the
 * guest's old page stays in the pool for the next packet) or by copy into
 * a frame it granted. One thread per interface serves the ring; a guest's
 * notification only wakes it (an eventfd). Locks, in this order: the
 * domain's mem_lock (read, tried: a balloon change makes the thread
 * retry), conn_lock (the connection, held by the thread while it serves),
 * then gnttab's. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "domain.h"
#include "evtchn.h"
#include "gnttab.h"
#include "guest_access.h"
#include "hypercall.h"
#include "memory.h"
#include "pvlab/netpkt.h"
#include "pvmon.h"
#include "pvnet.h"
#include "pvnet_ring.h"
#include "trace.h"

#define PAGE 4096ULL
#define BATCH PV_NET_RING_SIZE

enum source { SRC_GEN, SRC_TAP };

struct pvnet {
	struct domain *d;
	enum source src;
	int tap_fd;               /* SRC_TAP, else -1 */
	int kick_fd;              /* eventfd: a notification from the guest, or stop */
	pthread_t thread;
	bool thread_ok;
	atomic_bool stop;

	pthread_mutex_t conn_lock;  /* guards the connection below */
	bool connected;
	uint32_t ring_ref, port, mode, gen_len, seq;
	uint64_t ring_gfn;
	struct pvnet_ring ring;
	struct pv_net_rx_request pend[BATCH];   /* taken from the ring, not yet answered */
	unsigned npend, pend_at;
	/* The back end's pool: one page, where the next packet is put. A flip
	 * leaves the guest's old page here; the next packet overwrites it. */
	struct p2m_entry page;
	uint8_t *page_host;
	uint32_t pkt_len;           /* bytes of the packet in the page, 0 none */

	atomic_uint_fast64_t packets, bytes, flips, copied, events, kicks, batches, errors;
};

/* ---- packets ------------------------------------------------------------------------------ */

/* The next packet into the pool page, unless one waits there: its length,
 * or 0 when the source has none now. */
static uint32_t next_packet(struct pvnet *n)
{
	if (n->pkt_len)
		return n->pkt_len;
	if (n->src == SRC_GEN) {
		pv_net_pkt_fill(n->page_host, n->gen_len, n->seq);
		n->pkt_len = n->gen_len;
	} else {
		ssize_t r = read(n->tap_fd, n->page_host, PAGE);
		n->pkt_len = r > 0 ? (uint32_t)r : 0;
	}
	return n->pkt_len;
}

/* Deliver the waiting packet for request q: 0, or -errno for its response. */
static int deliver(struct pvnet *n, const struct pv_net_rx_request *q)
{
	struct domain *d = n->d;
	int rc;
	if (n->mode == PV_NET_RX_flip) {
		rc = gnttab_backend_flip(d, q->gref, &n->page, n->page_host);
		if (!rc)
			atomic_fetch_add_explicit(&n->flips, 1, memory_order_relaxed);
	} else {
		rc = gnttab_backend_copy(d, q->gref, n->page_host, n->pkt_len);
		if (!rc)
			atomic_fetch_add_explicit(&n->copied, n->pkt_len, memory_order_relaxed);
	}
	if (rc)
		return rc;
	trace_pvnet_rx(d->id, n->pkt_len, n->mode == PV_NET_RX_flip ? "flip" : "copy");
	atomic_fetch_add_explicit(&n->packets, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&n->bytes, n->pkt_len, memory_order_relaxed);
	n->pkt_len = 0;
	n->seq++;
	return 0;
}

/* ---- the connection ----------------------------------------------------------------------- */

/* conn_lock held. */
static void disconnect_locked(struct pvnet *n)
{
	if (!n->connected)
		return;
	evtchn_unbind_backend(n->d, n->port);
	gnttab_backend_release(n->d, n->ring_ref, n->ring_gfn);
	n->connected = false;
	n->pkt_len = 0;
	n->npend = n->pend_at = 0;
}

static void wake(struct pvnet *n)
{
	uint64_t one = 1;
	(void)!write(n->kick_fd, &one, sizeof(one));
}

/* The guest's notification (evtchn_bind_backend), on its vCPU's thread. */
static void kick(void *ctx)
{
	struct pvnet *n = ctx;
	atomic_fetch_add_explicit(&n->kicks, 1, memory_order_relaxed);
	wake(n);
}

static void push(struct pvnet *n, unsigned answered)
{
	struct domain *d = n->d;
	atomic_fetch_add_explicit(&n->batches, 1, memory_order_relaxed);
	bool notify = pvnet_ring_push(&n->ring);
	trace_pvnet_batch(d->id, answered, notify);
	if (notify && !evtchn_set_pending(d, n->port))
		atomic_fetch_add_explicit(&n->events, 1, memory_order_relaxed);
}

/* Serve the ring until the guest has posted nothing more or the source
 * has nothing now (conn_lock held). True when requests wait for a packet. */
static bool serve(struct pvnet *n)
{
	struct domain *d = n->d;
	while (n->connected) {
		if (n->pend_at == n->npend) {
			int got = pvnet_ring_take(&n->ring, n->pend, BATCH);
			if (got < 0) {
				fprintf(stderr, "pvmon: domain %s (%u): pvnet: the producer index runs more than %d "
				        "requests ahead of the responses; ring disconnected\n", d->cfg.name, d->id,
				        PV_NET_RING_SIZE);
				disconnect_locked(n);
				return false;
			}
			n->npend = (unsigned)got;
			n->pend_at = 0;
			if (!got) {
				if (!pvnet_ring_more(&n->ring))
					return false;
				continue;
			}
		}
		unsigned answered = 0;
		uint32_t len;
		while (n->pend_at < n->npend && (len = next_packet(n))) {
			const struct pv_net_rx_request *q = &n->pend[n->pend_at++];
			int rc = deliver(n, q);
			if (rc)
				atomic_fetch_add_explicit(&n->errors, 1, memory_order_relaxed);
			pvnet_ring_respond(&n->ring, q->id, (int16_t)(rc ? rc : (int)len));
			answered++;
		}
		if (answered)
			push(n, answered);
		if (n->pend_at < n->npend)
			return true;
	}
	return false;
}

static void *thread_main(void *arg)
{
	struct pvnet *n = arg;
	struct domain *d = n->d;
	bool waiting = false;
	while (!atomic_load(&n->stop)) {
		struct pollfd p[2] = { { n->kick_fd, POLLIN, 0 }, { n->tap_fd, POLLIN, 0 } };
		int np = waiting && n->tap_fd >= 0 ? 2 : 1;
		if (poll(p, (nfds_t)np, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			uint64_t v;
			(void)!read(n->kick_fd, &v, sizeof(v));
		}
		if (atomic_load(&n->stop))
			break;
		/* A balloon change holds it for writing, briefly: try again soon. */
		while (pthread_rwlock_tryrdlock(&d->mem_lock)) {
			if (atomic_load(&n->stop))
				return NULL;
			usleep(1000);
		}
		pthread_mutex_lock(&n->conn_lock);
		waiting = serve(n);
		pthread_mutex_unlock(&n->conn_lock);
		pthread_rwlock_unlock(&d->mem_lock);
	}
	return NULL;
}

/* ---- net_op ----------------------------------------------------------------------------------- */

static long op_connect(struct vcpu *v, struct pvnet *n, const struct pv_net_connect *c)
{
	struct domain *d = v->dom;
	if (c->rx_mode != PV_NET_RX_flip && c->rx_mode != PV_NET_RX_copy)
		return guest_reject(v, "rx_mode", c->rx_mode, -EINVAL);
	if (n->src == SRC_GEN ? c->gen_len < PV_NET_GEN_MIN || c->gen_len > PV_NET_GEN_MAX : c->gen_len != 0)
		return guest_reject(v, "gen_len", c->gen_len, -EINVAL);
	pthread_mutex_lock(&n->conn_lock);
	long rc = 0;
	if (n->connected) {
		rc = guest_reject(v, "connected", 1, -EBUSY);
	} else if ((rc = evtchn_bind_backend(d, c->evtchn, kick, n))) {
		rc = guest_reject(v, "evtchn", c->evtchn, rc);
	} else if ((rc = gnttab_backend_hold(d, c->ring_ref, &n->ring_gfn))) {
		evtchn_unbind_backend(d, c->evtchn);
		rc = guest_reject(v, "ring_ref", c->ring_ref, rc);
	} else {
		n->ring_ref = c->ring_ref;
		n->port = c->evtchn;
		n->mode = c->rx_mode;
		n->gen_len = c->gen_len;
		n->seq = 0;
		n->pkt_len = 0;
		n->npend = n->pend_at = 0;
		pvnet_ring_init(&n->ring, (struct pv_net_rx_sring *)(d->mem + n->ring_gfn * PAGE));
		n->connected = true;
	}
	pthread_mutex_unlock(&n->conn_lock);
	if (!rc)
		wake(n);                 /* requests may be posted already */
	return rc;
}

long hc_net_op(struct vcpu *v, const uint64_t a[5])
{
	struct pvnet *n = v->dom->net;
	uint64_t cmd = a[0], arg = a[1];
	if (!n)
		return guest_reject(v, "no pvnet interface", 0, -ENOSYS);
	long rc;
	switch (cmd) {
	case PV_NETOP_connect: {
		struct pv_net_connect c;
		if ((rc = guest_copy_from(v, &c, arg, sizeof(c))))
			return rc;
		return op_connect(v, n, &c);
	}
	case PV_NETOP_disconnect:
		pthread_mutex_lock(&n->conn_lock);
		rc = n->connected ? 0 : -ENOTCONN;
		disconnect_locked(n);
		pthread_mutex_unlock(&n->conn_lock);
		return rc;
	case PV_NETOP_status:
		pthread_mutex_lock(&n->conn_lock);
		rc = n->connected;
		pthread_mutex_unlock(&n->conn_lock);
		return rc;
	default:
		return guest_reject(v, "cmd", cmd, -EINVAL);
	}
}

/* ---- life ------------------------------------------------------------------------------------- */

/* Attach TAP device name, its MTU made to fit a frame in a page. */
static int open_tap(struct pvnet *n, const char *name, char *err, size_t errlen)
{
	if (!*name || strlen(name) >= IFNAMSIZ)
		return snprintf(err, errlen, "pvnet: TAP device name '%s' must be 1..%d characters", name,
		                IFNAMSIZ - 1), -EINVAL;
	n->tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (n->tap_fd < 0)
		return snprintf(err, errlen, "pvnet: /dev/net/tun: %s", strerror(errno)), -errno;
	struct ifreq ifr = { 0 };
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(n->tap_fd, TUNSETIFF, &ifr))
		return snprintf(err, errlen, "pvnet: cannot attach TAP device %s: %s (pvmon needs CAP_NET_ADMIN)",
		                name, strerror(errno)), -errno;
	/* A read takes one frame into one page: a longer frame would be cut
	 * short, so the host must never send one. */
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;
	ifr.ifr_mtu = (int)PV_NET_GEN_MAX - 14;
	if (s < 0 || ioctl(s, SIOCSIFMTU, &ifr))
		rc = -errno, snprintf(err, errlen, "pvnet: cannot set the MTU of %s to %d: %s", name, ifr.ifr_mtu,
		                      strerror(errno));
	if (s >= 0)
		close(s);
	return rc;
}

int pvnet_add(struct domain *d, const char *spec, char *err, size_t errlen)
{
	struct pvnet *n = calloc(1, sizeof(*n));
	if (!n)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	n->d = d;
	n->tap_fd = -1;
	n->kick_fd = -1;
	pthread_mutex_init(&n->conn_lock, NULL);
	d->net = n;                       /* pvnet_free undoes what follows, wherever it failed */
	int rc = 0;
	if (!strcmp(spec, "gen"))
		n->src = SRC_GEN;
	else if (!strncmp(spec, "tap:", 4))
		n->src = SRC_TAP, rc = open_tap(n, spec + 4, err, errlen);
	else
		return snprintf(err, errlen, "pvnet = \"%s\": expected \"gen\" or \"tap:NAME\"", spec), -EINVAL;
	if (rc)
		return rc;
	n->page.file = memfile_new("pvnet-pool", 1);
	n->page_host = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, n->page.file ? n->page.file->fd : -1, 0);
	if (!n->page.file || n->page_host == MAP_FAILED) {
		n->page_host = NULL;
		return snprintf(err, errlen, "pvnet: cannot make the back end's pool: %s", strerror(errno)), -ENOMEM;
	}
	n->kick_fd = eventfd(0, EFD_CLOEXEC);
	if (n->kick_fd < 0)
		return snprintf(err, errlen, "pvnet: eventfd: %s", strerror(errno)), -errno;
	if ((rc = -pthread_create(&n->thread, NULL, thread_main, n)))
		return snprintf(err, errlen, "pvnet: cannot start the back-end thread: %s", strerror(-rc)), rc;
	n->thread_ok = true;
	return 0;
}

void pvnet_stop(struct domain *d)
{
	struct pvnet *n = d->net;
	if (!n)
		return;
	if (n->thread_ok) {
		atomic_store(&n->stop, true);
		wake(n);
		pthread_join(n->thread, NULL);
		n->thread_ok = false;
	}
	pthread_mutex_lock(&n->conn_lock);
	disconnect_locked(n);
	pthread_mutex_unlock(&n->conn_lock);
}

void pvnet_free(struct domain *d)
{
	struct pvnet *n = d->net;
	if (!n)
		return;
	pvnet_stop(d);
	if (n->page_host)
		munmap(n->page_host, PAGE);
	memory_free_entry(&n->page);       /* the pool's page: maybe one of the guest's old ones */
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	if (n->kick_fd >= 0)
		close(n->kick_fd);
	pthread_mutex_destroy(&n->conn_lock);
	free(n);
	d->net = NULL;
}

void pvnet_stats(const struct domain *d, struct pvnet_stats *s)
{
	memset(s, 0, sizeof(*s));
	const struct pvnet *n = d->net;
	if (!n)
		return;
	s->packets = atomic_load(&n->packets);
	s->bytes = atomic_load(&n->bytes);
	s->flips = atomic_load(&n->flips);
	s->copied = atomic_load(&n->copied);
	s->events = atomic_load(&n->events);
	s->kicks = atomic_load(&n->kicks);
	s->batches = atomic_load(&n->batches);
	s->errors = atomic_load(&n->errors);
}
