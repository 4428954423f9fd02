/* The network back end of Linux PV domains (Xen's netback, in pvmon as
 * Domain 0): xl.cfg's vif = [ "mac=...,ip=..." ] becomes a virtual NIC
 * whose frontend (Linux's xen-netfront) finds it in xenstore, connects by
 * Xen's device state machine and shares a TX and an RX ring and one
 * event channel with pvmon. Its host side is a TAP device, pvif<dom>.<n>,
 * made in pvmon's network namespace and brought up; addresses and routes
 * on it are the host's business. What the guest transmits is read from
 * the pages it granted (xen_gnttab.h) and written to the TAP, one write a
 * packet; what the TAP gives is copied into the guest's granted receive
 * buffers (Xen's "feature-rx-copy", the receive path xen-netfront
 * requires). One back-end thread serves every VIF of this pvmon
 * round-robin: a batch of at most XNET_BATCH packets each way from each
 * VIF in turn, each ring's responses published together and the guest
 * sent an event only when it asked for one. A frontend that breaks its
 * ring loses its VIF; pvmon and other domains go on. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include "domain.h"
#include "pvtime.h"
#include "trace.h"
#include "xen_backend.h"
#include "xen_domain.h"
#include "xen_netback.h"
#include "xen_netif.h"
#include "vfr.h"
#include "xenstore.h"
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#define XNET_BATCH 64           /* packets each way from one VIF before the next VIF's turn */
#define XNET_VIFS_MAX 4         /* a domain's (config.h's CFG_VIFS_MAX) */

struct xen_vif {
	struct xen_vif *next;       /* nb.all */
	struct domain *d;           /* removed (xen_netback_remove) before its memory goes */
	unsigned handle;            /* its number in the domain: vif = [ 0, 1, ... ] */
	struct xnet_vif_cfg cfg;
	char ifname[IFNAMSIZ];
	int tap;
	char fe[96], be[96];        /* its frontend's and back end's xenstore directories */
	struct xs_conn *watch;      /* pvmon's own Domain 0 connection watching the frontend's state */
	/* Under nb.lock: */
	bool fe_changed, kicked, busy, gone;
	bool detaching;             /* pvctl network-detach: once closed it stays closed */
	/* The thread's while busy: */
	enum xenbus_state state;
	bool connected, tx_more, rx_wait;
	uint32_t tx_ref, rx_ref, port;
	int bell, bell_fd;          /* the port's doorbell (xen_evtchn_bell) and its eventfd, -1: none */
	uint64_t tx_mfn, rx_mfn;
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	struct xnet_credit credit;  /* its rate limit, where it has one */
	bool held;                  /* hold: taken, waiting for credit until defer_until */
	struct xnet_tx hold;
	uint64_t defer_until;
	struct xen_vif_stats st;
};

static struct {
	pthread_mutex_t lock;       /* guards all, each VIF's work flags, polling, running */
	pthread_cond_t cond;        /* a VIF no longer busy; the thread out of poll */
	struct xen_vif *all;
	bool running, polling;
	pthread_t thread;
	int wake;                   /* eventfd: work for the thread while it polls */
	struct xs_store *store;
} nb = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .wake = -1 };

static uint8_t pkt[65536 + XNET_PAGE];  /* the back-end thread's: one packet on its way */

static void set_state(struct xen_vif *v, enum xenbus_state s)
{
	v->state = s;
	xbe_put(nb.store, v->be, "state", "%u", (unsigned)s);
}

static void wake_thread(void)
{
	uint64_t one = 1;
	if (write(nb.wake, &one, sizeof(one)) < 0) {
		/* the counter is full: the thread has a wakeup waiting anyway */
	}
}

/* ---- connecting and disconnecting (the back-end thread) --------------------------------- */

static void kick(struct vcpu *vc, void *ctx)
{
	(void)vc;
	struct xen_vif *v = ctx;
	pthread_mutex_lock(&nb.lock);
	v->kicked = true;
	v->st.tx_kicks++;
	pthread_mutex_unlock(&nb.lock);
	wake_thread();
}

static void release_ring(struct xen_vif *v, uint32_t ref, uint64_t mfn)
{
	struct xen_domain *x = v->d->xen;
	xen_lock(x);
	xgnt_release(&x->gnt, &x->mm, ref, true, mfn);
	xen_unlock(x);
}

static void vif_disconnect(struct xen_vif *v)
{
	if (!v->connected)
		return;
	xen_evtchn_unbind_backend(v->d, v->port);
	xen_evtchn_bell_free(v->d, &v->bell, &v->bell_fd);   /* the thread is out of poll (a remover waits for it) */
	release_ring(v, v->tx_ref, v->tx_mfn);
	release_ring(v, v->rx_ref, v->rx_mfn);
	v->connected = false;
}

static void vif_fail(struct xen_vif *v, const char *why)
{
	fprintf(stderr, "pvmon: domain %s (%u): vif %u: %s\n", v->d->cfg.name, v->d->id, v->handle, why);
	vif_disconnect(v);
	set_state(v, XenbusStateClosing);
}

/* Xen's netback connect: the frontend's rings and port, checked, then
 * Connected. Only what this back end offers is accepted: one queue, one
 * event channel, the copying receive path. */
static void vif_connect(struct xen_vif *v)
{
	struct xen_domain *x = v->d->xen;
	uint32_t tx, rx, port, copy = 0, queues = 1;
	char why[160];
	if (xbe_get_u32(nb.store, v->fe, "tx-ring-ref", &tx) || xbe_get_u32(nb.store, v->fe, "rx-ring-ref", &rx) ||
	    xbe_get_u32(nb.store, v->fe, "event-channel", &port))
		return vif_fail(v, "the frontend gave no tx-ring-ref, rx-ring-ref or event-channel (one queue, "
		                   "one event channel is all this back end offers)");
	xbe_get_u32(nb.store, v->fe, "request-rx-copy", &copy);
	xbe_get_u32(nb.store, v->fe, "multi-queue-num-queues", &queues);
	if (!copy || queues != 1)
		return vif_fail(v, "the frontend wants page flipping or several queues; this back end copies into "
		                   "one queue (feature-rx-copy)");
	uint64_t tmfn, rmfn;
	xen_lock(x);
	int rc = xgnt_acquire(&x->gnt, &x->mm, tx, 0, true, &tmfn);
	if (!rc && (rc = xgnt_acquire(&x->gnt, &x->mm, rx, 0, true, &rmfn)))
		xgnt_release(&x->gnt, &x->mm, tx, true, tmfn);
	xen_unlock(x);
	if (rc) {
		snprintf(why, sizeof(why), "tx-ring-ref %u or rx-ring-ref %u is no page granted to Domain 0 (%s)", tx, rx,
		         strerror(-rc));
		return vif_fail(v, why);
	}
	if (xen_evtchn_bind_backend(v->d, port, kick, v)) {
		release_ring(v, tx, tmfn);
		release_ring(v, rx, rmfn);
		snprintf(why, sizeof(why), "event-channel %u is no port left unbound for Domain 0", port);
		return vif_fail(v, why);
	}
	v->tx_ref = tx;
	v->rx_ref = rx;
	v->tx_mfn = tmfn;
	v->rx_mfn = rmfn;
	v->port = port;
	v->bell = xen_evtchn_bell(v->d, port, &v->bell_fd);   /* the guest's kicks without an exit to pvmon */
	BACK_RING_INIT(&v->tx, (netif_tx_sring_t *)(v->d->mem + tmfn * XNET_PAGE), XNET_PAGE);
	BACK_RING_INIT(&v->rx, (netif_rx_sring_t *)(v->d->mem + rmfn * XNET_PAGE), XNET_PAGE);
	v->connected = true;
	v->tx_more = true;                      /* whatever it queued before Connected */
	v->held = false;
	if (v->cfg.rate_bps)
		xnet_credit_init(&v->credit, v->cfg.rate_bps, v->cfg.rate_window_us, time_mono_ns());
	set_state(v, XenbusStateConnected);
}

/* The frontend's state moved: Xen's frontend_changed. */
static void frontend_changed(struct xen_vif *v)
{
	uint32_t fs;
	if (xbe_get_u32(nb.store, v->fe, "state", &fs))
		return;
	switch (fs) {
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (v->state == XenbusStateInitWait)
			vif_connect(v);
		break;
	case XenbusStateClosing:
		vif_disconnect(v);
		set_state(v, XenbusStateClosing);
		break;
	case XenbusStateClosed:
		vif_disconnect(v);
		set_state(v, XenbusStateClosed);
		pthread_mutex_lock(&nb.lock);
		bool staying = !v->detaching;
		pthread_mutex_unlock(&nb.lock);
		if (staying)
			set_state(v, XenbusStateInitWait);   /* ready for the frontend again (a module reload) */
		break;
	default:
		break;
	}
}

/* ---- transmit: the guest's packets to the TAP ------------------------------------------------ */

/* p's bytes, from the pages the guest granted, into pkt: NETIF_RSP_OKAY
 * or _ERROR (a grant that is no readable page of the guest's). */
static int16_t gather(struct xen_vif *v, const struct xnet_tx *p)
{
	struct xen_domain *x = v->d->xen;
	size_t at = 0;
	int16_t st = NETIF_RSP_OKAY;
	xen_lock(x);
	for (unsigned k = 0; k < p->nfrag; k++) {
		uint64_t mfn;
		if (xgnt_acquire(&x->gnt, &x->mm, p->frag[k].gref, 0, false, &mfn)) {
			v->st.bad_grants++;
			st = NETIF_RSP_ERROR;
			break;
		}
		memcpy(pkt + at, v->d->mem + mfn * XNET_PAGE + p->frag[k].off, p->frag[k].len);
		at += p->frag[k].len;
		xgnt_release(&x->gnt, &x->mm, p->frag[k].gref, false, mfn);
	}
	xen_unlock(x);
	return st;
}

/* The VFR's word on a packet crossing v (dir 0 from the guest, 1 to it):
 * true to let it through. */
static bool vfr_pass(struct xen_vif *v, unsigned dir, const uint8_t *frame, size_t len)
{
	unsigned rule;
	enum vfr_action a = vfr_decide(frame, len, &rule);
	if (rule)
		trace_vfr(v->d->id, v->handle, dir, rule, a);
	if (a == VFR_ACCEPT)
		return true;
	v->st.vfr_drops++;
	return false;
}

/* Up to XNET_BATCH packets from v's TX ring to its TAP, answered
 * together. True while more wait; false too while a packet waits for
 * its VIF's rate (v->held: the thread comes back at v->defer_until). */
static bool tx_batch(struct xen_vif *v)
{
	unsigned n = 0;
	for (; n < XNET_BATCH; n++) {
		struct xnet_tx p;
		bool was_held = v->held;
		if (was_held) {
			p = v->hold;
			v->held = false;
		} else {
			int rc = xnet_tx_take(&v->tx, &p);
			if (rc < 0) {
				vif_fail(v, "the frontend broke its TX ring (a producer index more than a ring ahead, or a "
				            "packet's slots past it, crossing a page or of an unknown extra type): its vif is "
				            "disconnected");
				return false;
			}
			if (!rc)
				break;
		}
		uint64_t when;
		if (v->cfg.rate_bps && p.status == NETIF_RSP_OKAY && !p.mcast &&
		    !xnet_credit_take(&v->credit, time_mono_ns(), p.len, &when)) {
			/* Over its rate: the packet waits, its slots the guest's
			 * still (no response), the other VIFs go on. */
			v->hold = p;
			v->held = true;
			v->defer_until = when;
			v->st.deferred += !was_held;
			trace_net_sched(v->d->id, v->handle, 1);
			break;
		}
		int16_t st = p.status;
		if (st == NETIF_RSP_OKAY && !p.mcast)
			st = gather(v, &p);
		if (st == NETIF_RSP_OKAY && !p.mcast) {
			if (p.flags & NETTXF_csum_blank)
				xnet_csum_fill(pkt, p.len);
			if (!vfr_pass(v, 0, pkt, p.len)) {
				/* dropped as a router drops: the frontend's slots back, OKAY */
			} else if (write(v->tap, pkt, p.len) == (ssize_t)p.len) {
				v->st.tx_packets++;
				v->st.tx_bytes += p.len;
			} else {
				v->st.tx_dropped++;     /* the host's queue is full, or the link down */
			}
			trace_net_tx(v->d->id, v->handle, p.len);
		} else if (st != NETIF_RSP_OKAY) {
			v->st.tx_errors++;
		}
		xnet_tx_respond(&v->tx, &p, st);
	}
	if (n) {
		v->st.tx_batches++;
		bool notify = xnet_tx_push(&v->tx);
		trace_net_batch(v->d->id, v->handle, 0, n, notify);
		if (notify) {
			v->st.tx_notifies++;
			xen_evtchn_set(v->d, v->port);
		}
	}
	return !v->held && xnet_tx_more(&v->tx);
}

/* ---- receive: the TAP's packets to the guest -------------------------------------------------- */

/* Up to XNET_BATCH packets from v's TAP into the guest's receive
 * buffers, answered together. True while more may wait; rx_wait set
 * when the guest has no buffer (it sends an event when it posts one). */
static bool rx_batch(struct xen_vif *v)
{
	struct xen_domain *x = v->d->xen;
	unsigned n = 0;
	bool more = true;
	v->rx_wait = false;
	/* reads bounded too: a flood the VFR drops ends the turn all the same */
	for (unsigned reads = 0; n < XNET_BATCH && reads < 2 * XNET_BATCH; reads++) {
		int ready = xnet_rx_ready(&v->rx);
		if (ready < 0) {
			vif_fail(v, "the frontend's RX producer index is more than a ring ahead: its vif is disconnected");
			return false;
		}
		if (!ready) {
			v->rx_wait = true;
			more = false;
			break;
		}
		ssize_t len = read(v->tap, pkt, sizeof(pkt));
		if (len <= 0) {
			more = false;               /* EAGAIN: nothing from the host */
			break;
		}
		if (!vfr_pass(v, 1, pkt, (size_t)len))
			continue;                   /* the guest's buffer kept for the next one */
		netif_rx_request_t req;
		xnet_rx_take(&v->rx, &req);     /* there is one: xnet_rx_ready */
		int16_t st = (int16_t)len;
		uint64_t mfn;
		if (len > XNET_PAGE) {
			st = NETIF_RSP_ERROR;       /* the TAP's MTU raised past a page: not offered (no RX scatter) */
			v->st.rx_dropped++;
		} else {
			xen_lock(x);
			if (xgnt_acquire(&x->gnt, &x->mm, req.gref, 0, true, &mfn)) {
				st = NETIF_RSP_ERROR;
				v->st.bad_grants++;
				v->st.rx_dropped++;
			} else {
				memcpy(v->d->mem + mfn * XNET_PAGE, pkt, (size_t)len);
				xgnt_release(&x->gnt, &x->mm, req.gref, true, mfn);
			}
			xen_unlock(x);
		}
		if (st > 0) {
			v->st.rx_packets++;
			v->st.rx_bytes += (uint64_t)len;
			trace_net_rx(v->d->id, v->handle, (uint32_t)len);
		}
		xnet_rx_respond(&v->rx, req.id, 0, 0, st);
		n++;
	}
	if (n) {
		v->st.rx_batches++;
		bool notify = xnet_rx_push(&v->rx);
		trace_net_batch(v->d->id, v->handle, 1, n, notify);
		if (notify) {
			v->st.rx_notifies++;
			xen_evtchn_set(v->d, v->port);
		}
	}
	return more;
}

/* ---- the back-end thread ------------------------------------------------------------------------ */

/* The packet scheduler: round-robin over the VIFs with work, one batch
 * each way per turn, a VIF over its rate skipped until its credit comes;
 * when none has any, poll the TAPs whose guests have receive buffers and
 * the wakeup eventfd, until the first held packet's credit is due. */
static void *thread_main(void *arg)
{
	(void)arg;
	struct pollfd fds[1 + 2 * 64];
	pthread_mutex_lock(&nb.lock);
	for (;;) {
		bool any = false;
		uint64_t now = time_mono_ns(), wake_at = UINT64_MAX;   /* the first held packet's credit */
		for (struct xen_vif *v = nb.all; v; v = v->next) {
			if (v->gone)
				continue;
			v->kicked |= xen_evtchn_bell_rung(v->bell_fd, &v->st.tx_kicks);   /* its doorbell's kicks */
			bool changed = v->fe_changed, kicked = v->kicked;
			bool due = v->connected && v->held && now >= v->defer_until;
			if (!changed && !kicked && !v->tx_more && !due && !(v->connected && !v->rx_wait))
				continue;
			v->fe_changed = v->kicked = false;
			v->busy = true;
			pthread_mutex_unlock(&nb.lock);
			if (changed)
				frontend_changed(v);
			if (kicked)
				v->rx_wait = false;     /* the guest may have posted receive buffers */
			bool worked = false;
			if (v->connected && (kicked || v->tx_more || due) && (!v->held || now >= v->defer_until)) {
				trace_net_sched(v->d->id, v->handle, 0);
				v->tx_more = tx_batch(v);
				worked = !v->held;
			}
			bool rx_more = v->connected && !v->rx_wait && rx_batch(v);
			pthread_mutex_lock(&nb.lock);
			v->busy = false;
			any |= changed || worked || rx_more || v->tx_more;
			if (!v->connected)
				v->tx_more = false;
			pthread_cond_broadcast(&nb.cond);
		}
		if (any)
			continue;
		/* A VIF being removed: wait here, out of poll, until it is gone
		 * (its remover waits for the thread to be out of poll). */
		bool removing = false;
		for (struct xen_vif *v = nb.all; v; v = v->next)
			removing |= v->gone;
		if (removing) {
			pthread_cond_wait(&nb.cond, &nb.lock);
			continue;
		}
		/* Nothing to do: wait for an event or a packet. */
		unsigned n = 0;
		fds[n++] = (struct pollfd){ .fd = nb.wake, .events = POLLIN };
		for (struct xen_vif *v = nb.all; v; v = v->next) {
			if (v->gone || !v->connected)
				continue;
			if (!v->rx_wait && n < 1 + 2 * 64)
				fds[n++] = (struct pollfd){ .fd = v->tap, .events = POLLIN };
			if (v->bell_fd >= 0 && n < 1 + 2 * 64)
				fds[n++] = (struct pollfd){ .fd = v->bell_fd, .events = POLLIN };
			else if (v->bell_fd >= 0 && now + 1000000 < wake_at)
				wake_at = now + 1000000;   /* no room to poll its bell: looked at each ms */
			if (v->held && v->defer_until < wake_at)
				wake_at = v->defer_until;
		}
		nb.polling = true;
		pthread_mutex_unlock(&nb.lock);
		now = time_mono_ns();
		int ms = wake_at == UINT64_MAX ? -1 : wake_at <= now ? 0 : (int)((wake_at - now + 999999) / 1000000);
		poll(fds, n, ms);
		if (fds[0].revents & POLLIN) {
			uint64_t c;
			if (read(nb.wake, &c, sizeof(c)) < 0) {
				/* another read took it */
			}
		}
		pthread_mutex_lock(&nb.lock);
		nb.polling = false;                 /* a TAP's packets: the next turn's reads find them */
		pthread_cond_broadcast(&nb.cond);
	}
	return NULL;
}

/* The watch's events on the frontend's state: called with the store's
 * lock held, so it only flags the VIF for the thread. */
static void fe_watch(void *ctx, const void *msg, size_t len)
{
	struct xen_vif *v = ctx;
	if (!xbe_watch_event(msg, len))
		return;
	pthread_mutex_lock(&nb.lock);
	v->fe_changed = true;
	pthread_mutex_unlock(&nb.lock);
	wake_thread();
}

static void add_stats(struct xen_vif_stats *sum, const struct xen_vif_stats *s)
{
	uint64_t *a = (uint64_t *)sum;
	const uint64_t *b = (const uint64_t *)s;
	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		a[i] += b[i];
}

/* ---- VIFs of a domain ------------------------------------------------------------------------ */

static int start_thread(char *err, size_t errlen)
{
	int rc = 0;
	pthread_mutex_lock(&nb.lock);
	if (!nb.running) {
		if (nb.wake < 0)
			nb.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		rc = nb.wake < 0 ? -errno : -pthread_create(&nb.thread, NULL, thread_main, NULL);
		nb.running = !rc;
	}
	pthread_mutex_unlock(&nb.lock);
	if (rc)
		snprintf(err, errlen, "cannot start the network back end: %s", strerror(-rc));
	return rc;
}

int xen_netback_check(const char *const *specs, unsigned n, char *err, size_t errlen)
{
	for (unsigned i = 0; i < n; i++) {
		struct xnet_vif_cfg c;
		int rc = xnet_parse_vif(specs[i], &c, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static int vif_add(struct domain *d, const char *spec, char *err, size_t errlen, struct xen_vif **out)
{
	struct xen_vif *v = calloc(1, sizeof(*v));
	if (!v)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	v->bell = v->bell_fd = -1;
	int rc = xnet_parse_vif(spec, &v->cfg, err, errlen);
	if (rc) {
		free(v);
		return rc;
	}
	if (!v->cfg.has_mac) {
		/* xl's choice: Xen's OUI and three random bytes */
		uint8_t r[3];
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, r, 3) != 3)
			r[0] = r[1] = r[2] = (uint8_t)rand();
		if (fd >= 0)
			close(fd);
		memcpy(v->cfg.mac, (uint8_t[]){ 0x00, 0x16, 0x3e, r[0] & 0x7f, r[1], r[2] }, 6);
	}
	v->tap = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (v->tap < 0) {
		rc = -errno;
		free(v);
		return snprintf(err, errlen, "vif: /dev/net/tun: %s (the host side of a VIF is a TAP device)",
		                strerror(-rc)), rc;
	}
	if ((rc = start_thread(err, errlen))) {
		close(v->tap);
		free(v);
		return rc;
	}
	v->d = d;
	/* At the end: a domain's VIFs in the order of its vif list, which is
	 * the order their nodes are made and Linux numbers them eth0, eth1. */
	pthread_mutex_lock(&nb.lock);
	struct xen_vif **pp = &nb.all;
	unsigned used = 0;
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->d == d)
			used |= 1u << (*pp)->handle;
	while (used & (1u << v->handle))   /* the lowest number free (a detach leaves a hole) */
		v->handle++;
	*pp = v;
	pthread_mutex_unlock(&nb.lock);
	*out = v;
	return 0;
}

int xen_netback_add(struct domain *d, const char *spec, char *err, size_t errlen)
{
	struct xen_vif *v;
	return vif_add(d, spec, err, errlen, &v);
}

/* d's own VIFs (other domains' come and go), in mine: their number. */
static unsigned mine(const struct domain *d, struct xen_vif **out)
{
	unsigned n = 0;
	pthread_mutex_lock(&nb.lock);
	for (struct xen_vif *v = nb.all; v; v = v->next)
		if (v->d == d && n < XNET_VIFS_MAX)
			out[n++] = v;
	pthread_mutex_unlock(&nb.lock);
	return n;
}

/* v's TAP device named pvif<dom>.<handle> and up. */
static int tap_up(struct xen_vif *v, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	snprintf(v->ifname, sizeof(v->ifname), "pvif%u.%u", v->d->id, v->handle);
	memcpy(ifr.ifr_name, v->ifname, sizeof(ifr.ifr_name));
	if (ioctl(v->tap, TUNSETIFF, &ifr))
		return snprintf(err, errlen, "vif %u: TAP device %s: %s", v->handle, v->ifname, strerror(errno)), -errno;
	/* Up, as xl's vif script brings it up: the host's addresses and
	 * routes on it are the host's to make. */
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) ? -errno : 0;
	ifr.ifr_flags |= IFF_UP;
	if (!rc && ioctl(s, SIOCSIFFLAGS, &ifr))
		rc = -errno;
	if (s >= 0)
		close(s);
	if (rc)
		return snprintf(err, errlen, "vif %u: cannot bring %s up: %s", v->handle, v->ifname, strerror(-rc)), rc;
	return 0;
}

int xen_netback_attach(struct domain *d, char *err, size_t errlen)
{
	struct xen_vif *vs[XNET_VIFS_MAX];
	unsigned n = mine(d, vs);
	for (unsigned i = 0; i < n; i++) {
		int rc = tap_up(vs[i], err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* v's nodes as xl makes them, the back end's directory and InitWait
 * before the frontend's (a running domain's xenbus probes a device the
 * moment its directory appears), each directory given its permissions
 * before its children (a node takes its parent's when it is made). */
static int publish(struct xen_vif *v, struct xs_store *store)
{
	struct domain *d = v->d;
	char mac[18];
	const uint8_t *m = v->cfg.mac;
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	snprintf(v->fe, sizeof(v->fe), "/local/domain/%u/device/vif/%u", d->id, v->handle);
	snprintf(v->be, sizeof(v->be), "/local/domain/0/backend/vif/%u/%u", d->id, v->handle);
	xs_write(store, v->be, "", 0);
	xbe_own(store, v->be, 0, d->id);
	xbe_put(store, v->be, "frontend", "%s", v->fe);
	xbe_put(store, v->be, "frontend-id", "%u", d->id);
	xbe_put(store, v->be, "online", "1");
	xbe_put(store, v->be, "handle", "%u", v->handle);
	xbe_put(store, v->be, "type", "vif");
	xbe_put(store, v->be, "mac", "%s", mac);
	xbe_put(store, v->be, "vifname", "%s", v->ifname);
	if (v->cfg.ip[0])
		xbe_put(store, v->be, "ip", "%s", v->cfg.ip);
	if (v->cfg.rate_bps)
		xbe_put(store, v->be, "rate", "%llu,%llu", (unsigned long long)v->cfg.rate_bps,
		        (unsigned long long)v->cfg.rate_window_us);
	xbe_put(store, v->be, "feature-sg", "1");
	xbe_put(store, v->be, "feature-rx-copy", "1");
	xbe_put(store, v->be, "feature-rx-flip", "0");
	set_state(v, XenbusStateInitWait);
	char path[160];
	snprintf(path, sizeof(path), "%s/state", v->fe);
	v->watch = xbe_watch(store, path, fe_watch, v);
	if (!v->watch)
		return -ENOMEM;
	xs_write(store, v->fe, "", 0);
	xbe_own(store, v->fe, d->id, 0);
	xbe_put(store, v->fe, "backend", "%s", v->be);
	xbe_put(store, v->fe, "backend-id", "0");
	xbe_put(store, v->fe, "handle", "%u", v->handle);
	xbe_put(store, v->fe, "mac", "%s", mac);
	xbe_put(store, v->fe, "state", "%u", XenbusStateInitialising);
	return 0;
}

int xen_netback_start(struct domain *d, struct xs_store *store)
{
	struct xen_vif *vs[XNET_VIFS_MAX];
	pthread_mutex_lock(&nb.lock);
	nb.store = store;
	pthread_mutex_unlock(&nb.lock);
	unsigned n = mine(d, vs);
	for (unsigned i = 0; i < n; i++)
		if (publish(vs[i], store))
			return -ENOMEM;
	return 0;
}

/* Unlinks d's VIF handle (with -1: d's first VIF) once the thread is
 * done with it (not busy, not in poll on its TAP); NULL if none. */
static struct xen_vif *unlink_vif(struct domain *d, int handle)
{
	pthread_mutex_lock(&nb.lock);
	struct xen_vif **pp = &nb.all, *v;
	while ((v = *pp) && (v->d != d || (handle >= 0 && v->handle != (unsigned)handle)))
		pp = &v->next;
	if (v) {
		v->gone = true;
		wake_thread();
		while (v->busy || nb.polling)   /* not in poll on its TAP either */
			pthread_cond_wait(&nb.cond, &nb.lock);
		for (pp = &nb.all; *pp != v; pp = &(*pp)->next)
			;                           /* (the list may have changed meanwhile) */
		*pp = v->next;
		pthread_cond_broadcast(&nb.cond);   /* the thread waits for it to be gone */
	}
	pthread_mutex_unlock(&nb.lock);
	return v;
}

static void vif_free(struct xen_vif *v, bool frontend_too)
{
	if (v->watch)
		xs_conn_free(v->watch);      /* no event for v after this */
	vif_disconnect(v);
	add_stats(&v->d->xen->net_gone, &v->st);
	if (v->be[0])
		xs_rm(nb.store, v->be);
	if (frontend_too && v->fe[0])
		xs_rm(nb.store, v->fe);
	close(v->tap);                   /* the TAP device goes with it */
	free(v);
}

void xen_netback_remove(struct domain *d)
{
	struct xen_vif *v;
	while ((v = unlink_vif(d, -1)))
		vif_free(v, false);          /* the domain's tree goes with it */
}

int xen_netback_hotplug(struct domain *d, const char *spec, char *err, size_t errlen)
{
	if (!pvmon_store)
		return snprintf(err, errlen, "this pvmon serves no xenstore (--xenstore off)"), -EOPNOTSUPP;
	struct xen_vif *vs[XNET_VIFS_MAX];
	if (mine(d, vs) >= XNET_VIFS_MAX)
		return snprintf(err, errlen, "domain %s (%u) has %d VIFs already", d->cfg.name, d->id, XNET_VIFS_MAX),
		       -ENOSPC;
	struct xen_vif *v;
	int rc = vif_add(d, spec, err, errlen, &v);
	if (rc)
		return rc;
	pthread_mutex_lock(&nb.lock);
	nb.store = pvmon_store;
	pthread_mutex_unlock(&nb.lock);
	if ((rc = tap_up(v, err, errlen)) || (rc = publish(v, pvmon_store))) {
		int h = (int)v->handle;
		if ((v = unlink_vif(d, h)))
			vif_free(v, true);
		return rc == -ENOMEM ? (snprintf(err, errlen, "out of memory"), rc) : rc;
	}
	return (int)v->handle;
}

/* As the block back end's detach (xen_blkback_detach): offline and
 * Closing, the frontend closes, then the VIF and its nodes go. */
int xen_netback_unplug(struct domain *d, unsigned handle, bool force, unsigned wait_ms, char *err, size_t errlen)
{
	pthread_mutex_lock(&nb.lock);
	struct xen_vif *v = nb.all;
	while (v && (v->d != d || v->handle != handle || v->gone))
		v = v->next;
	if (v)
		v->detaching = true;
	pthread_mutex_unlock(&nb.lock);
	if (!v)
		return snprintf(err, errlen, "domain %s (%u) has no vif %u", d->cfg.name, d->id, handle), -ENOENT;
	bool closed = xbe_close_frontend(nb.store, v->fe, v->be, wait_ms);
	if (!closed && !force)
		return snprintf(err, errlen, "the frontend of vif %u did not close in %u ms: it stays Closing; detach it "
		                "again once the guest closed it, or force it now", handle, wait_ms), -EBUSY;
	if ((v = unlink_vif(d, (int)handle)))
		vif_free(v, true);
	return 0;
}

int xen_netback_stats(const struct domain *d, struct xen_vif_stats *sum)
{
	int n = 0;
	*sum = d->xen->net_gone;
	pthread_mutex_lock(&nb.lock);
	for (struct xen_vif *v = nb.all; v; v = v->next)
		if (v->d == d) {
			n++;
			add_stats(sum, &v->st);
		}
	pthread_mutex_unlock(&nb.lock);
	return n;
}
