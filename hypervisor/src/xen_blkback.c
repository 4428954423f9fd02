/* The block back end of Linux PV domains (Xen's blkback, in pvmon as
 * Domain 0): xl.cfg's disk = [ "file:PATH,xvdX,w|r" ] becomes a virtual
 * block device whose frontend (Linux's xen-blkfront) finds it in
 * xenstore, connects by Xen's device state machine and sends requests
 * on a blkif ring. One back-end thread serves every device of this
 * pvmon round-robin, at most XBLK_BATCH new requests from each ring a
 * turn, their I/O in flight on io_uring across turns, straight into or
 * out of the pages the guest granted (xen_gnttab.h), never any other;
 * completions are answered in batches, one event each. A frontend that
 * breaks its ring loses its disk. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <liburing.h>
#include "domain.h"
#include "numparse.h"
#include "pvtime.h"
#include "trace.h"
#include "xen_blkback.h"
#include "xen_backend.h"
#include "xen_blkif.h"
#include "xen_domain.h"
#include "xenstore.h"
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#define XBLK_BATCH 32           /* new requests from one ring before the next ring's turn */
#define XBLK_RING 32            /* RING_SIZE of a one-page blkif ring: a device's outstanding requests at most */
#define XBLK_SQES 512           /* io_uring's entries: operations in flight at most */

/* Interrupt moderation (xblk_answer_now): a completed request is held
 * for others to be answered with until no request came for quiet_us,
 * hold_us at most. Chosen by measurement in the nested AMD-V host
 * (docs/architecture.md, "Queue depth 32"); PVLAB_BLK_QUIET_US and
 * PVLAB_BLK_HOLD_US set others, for measuring. */
static struct xblk_moderation moderation = { .quiet_ns = 100 * 1000, .hold_ns = 1000 * 1000 };

struct op;

struct xen_vbd {
	struct xen_vbd *next;       /* bk.all */
	struct domain *d;           /* removed (xen_blkback_remove) before its memory goes */
	unsigned devid;             /* Xen's number: 202 << 8 | disk << 4 (xvda 51712) */
	char vdev[8], path[CFG_DISK_MAX];
	int fd;
	bool ro;
	uint64_t sectors;
	char fe[96], be[96];        /* its frontend's and back end's xenstore directories */
	struct xs_conn *watch;      /* pvmon's own Domain 0 connection watching the frontend's state */
	/* Under bk.lock: */
	bool fe_changed, kicked, busy, gone;
	bool detaching;             /* pvctl block-detach: once closed it stays closed */
	unsigned inflight;          /* outstanding, as the thread left it: not freed before 0 */
	/* The thread's (while busy, or its io_uring completions): */
	enum xenbus_state state;
	bool connected;
	uint32_t ring_ref, port;
	uint64_t ring_mfn;
	int bell, bell_fd;          /* the port's doorbell (xen_evtchn_bell) and its eventfd, -1: none */
	blkif_back_ring_t ring;
	struct xen_vbd_stats st;
	struct op *op;              /* XBLK_RING: requests taken and not yet answered, a slot each */
	uint32_t used;              /* op's slots in use, a bit each */
	unsigned outstanding;       /* taken, not yet answered */
	unsigned busy_ops, done_ops;   /* of them, with I/O in flight; completed, held for answering */
	uint64_t first_done, last_take;   /* time_mono_ns: the oldest held completion; the last request taken */
	bool more;                  /* requests left in the ring at the end of its turn */
	bool no_room;               /* ... left for want of room in io_uring */
};

static struct {
	pthread_mutex_t lock;       /* guards all, each device's work flags and inflight, running */
	pthread_cond_t cond;        /* a device no longer busy */
	struct xen_vbd *all;
	bool running;
	pthread_t thread;
	int wake;                   /* eventfd: work for the thread (written after a flag is set) */
	int done;                   /* eventfd: io_uring has completions (registered with it) */
	struct xs_store *store;
	/* The back-end thread's: */
	struct io_uring uring;
	bool uring_ok, uring_broke;
	unsigned sqes;              /* operations queued or in flight */
	char uring_why[96];         /* why not, when not */
} bk = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .wake = -1, .done = -1 };

static void wake_thread(void)
{
	uint64_t one = 1;
	if (write(bk.wake, &one, sizeof(one)) < 0) {
		/* the counter is full: the thread has a wakeup waiting anyway */
	}
}

/* ---- xenstore, as Domain 0 (xen_backend.h) --------------------------------------------- */

static void set_state(struct xen_vbd *b, enum xenbus_state s)
{
	b->state = s;
	xbe_put(bk.store, b->be, "state", "%u", (unsigned)s);
}

/* ---- the spec ------------------------------------------------------------------------- */

/* "file:PATH,xvdX,w" or "...,r": 0, or -EINVAL with one line in err. */
static int parse_spec(const char *spec, struct xen_vbd *b, char *err, size_t errlen)
{
	const char *p = spec;
	if (!strncmp(p, "file:", 5))
		p += 5;
	const char *c2 = strrchr(p, ','), *c1 = NULL;
	for (const char *q = p; c2 && q < c2; q++)
		if (*q == ',')
			c1 = q;
	if (!c1 || c1 == p)
		return snprintf(err, errlen, "disk '%s': expected \"file:PATH,xvdX,w\" (or ,r)", spec), -EINVAL;
	size_t plen = (size_t)(c1 - p), vlen = (size_t)(c2 - c1 - 1);
	const char *mode = c2 + 1;
	if (strcmp(mode, "w") && strcmp(mode, "r") && strcmp(mode, "rw") && strcmp(mode, "ro"))
		return snprintf(err, errlen, "disk '%s': mode '%s' is not w or r", spec, mode), -EINVAL;
	if (vlen != 4 || strncmp(c1 + 1, "xvd", 3) || c1[4] < 'a' || c1[4] > 'p')
		return snprintf(err, errlen, "disk '%s': the device is not xvda..xvdp", spec), -EINVAL;
	memcpy(b->path, p, plen);
	b->path[plen] = 0;
	memcpy(b->vdev, c1 + 1, 4);
	b->vdev[4] = 0;
	b->devid = 202 << 8 | (unsigned)(c1[4] - 'a') << 4;
	b->ro = mode[0] == 'r' && strcmp(mode, "rw");
	return 0;
}

static int open_disk(struct xen_vbd *b, char *err, size_t errlen)
{
	b->fd = open(b->path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (b->fd < 0 || fstat(b->fd, &st)) {
		int e = errno;
		return snprintf(err, errlen, "disk %s: '%s': %s", b->vdev, b->path, strerror(e)), -e;
	}
	if (!S_ISREG(st.st_mode))
		return snprintf(err, errlen, "disk %s: '%s' is not a regular file", b->vdev, b->path), -EINVAL;
	if (st.st_size < XBLK_SECTOR || st.st_size % XBLK_SECTOR)
		return snprintf(err, errlen, "disk %s: '%s' is %lld bytes, not a whole number of 512-byte sectors",
		                b->vdev, b->path, (long long)st.st_size), -EINVAL;
	int fl = fcntl(b->fd, F_GETFL);
	fcntl(b->fd, F_SETFL, fl & ~O_NONBLOCK);
	b->sectors = (uint64_t)st.st_size / XBLK_SECTOR;
	return 0;
}

/* ---- connecting and disconnecting (the back-end thread) --------------------------------- */

static void kick(struct vcpu *v, void *ctx)
{
	(void)v;
	struct xen_vbd *b = ctx;
	pthread_mutex_lock(&bk.lock);
	b->kicked = true;
	b->st.kicks++;
	pthread_mutex_unlock(&bk.lock);
	wake_thread();
}

static void drain(struct xen_vbd *b);

/* The ring's grant and port given back, its outstanding requests done
 * and answered first (on the back-end thread; a device being freed has
 * none). */
static void vbd_disconnect(struct xen_vbd *b)
{
	if (!b->connected)
		return;
	if (b->outstanding)
		drain(b);
	b->more = b->no_room = false;
	struct xen_domain *x = b->d->xen;
	xen_evtchn_unbind_backend(b->d, b->port);
	xen_evtchn_bell_free(b->d, &b->bell, &b->bell_fd);   /* in the thread's ppoll still: POLLNVAL, a round more */
	xen_lock(x);
	xgnt_release(&x->gnt, &x->mm, b->ring_ref, true, b->ring_mfn);
	xen_unlock(x);
	b->connected = false;
}

/* Xen's blkback connect: the frontend's ring and port, checked, then
 * what it needs to know of the disk and Connected. */
static void vbd_connect(struct xen_vbd *b)
{
	struct xen_domain *x = b->d->xen;
	uint32_t ref, port;
	char proto[32];
	size_t plen = sizeof(proto) - 1;
	if (xbe_get_u32(bk.store, b->fe, "ring-ref", &ref) || xbe_get_u32(bk.store, b->fe, "event-channel", &port)) {
		fprintf(stderr, "pvmon: domain %s (%u): disk %s: the frontend gave no ring-ref or event-channel\n",
		        b->d->cfg.name, b->d->id, b->vdev);
		return set_state(b, XenbusStateClosing);
	}
	char pp[160];
	snprintf(pp, sizeof(pp), "%s/protocol", b->fe);
	if (!xs_read(bk.store, pp, proto, &plen)) {
		proto[plen] = 0;
		if (strcmp(proto, XEN_IO_PROTO_ABI_X86_64)) {
			fprintf(stderr, "pvmon: domain %s (%u): disk %s: protocol '%s' is not %s\n", b->d->cfg.name,
			        b->d->id, b->vdev, proto, XEN_IO_PROTO_ABI_X86_64);
			return set_state(b, XenbusStateClosing);
		}
	}
	uint64_t mfn;
	xen_lock(x);
	int rc = xgnt_acquire(&x->gnt, &x->mm, ref, 0, true, &mfn);
	xen_unlock(x);
	if (rc) {
		fprintf(stderr, "pvmon: domain %s (%u): disk %s: ring-ref %u is no page granted to Domain 0 (%s)\n",
		        b->d->cfg.name, b->d->id, b->vdev, ref, strerror(-rc));
		return set_state(b, XenbusStateClosing);
	}
	rc = xen_evtchn_bind_backend(b->d, port, kick, b);
	if (rc) {
		xen_lock(x);
		xgnt_release(&x->gnt, &x->mm, ref, true, mfn);
		xen_unlock(x);
		fprintf(stderr, "pvmon: domain %s (%u): disk %s: event-channel %u is no port left unbound for Domain 0\n",
		        b->d->cfg.name, b->d->id, b->vdev, port);
		return set_state(b, XenbusStateClosing);
	}
	b->ring_ref = ref;
	b->ring_mfn = mfn;
	b->port = port;
	/* The guest's kicks by the stub's doorbell where it has one: no exit
	 * to pvmon (the thread reads the eventfd's count as kicks). */
	b->bell = xen_evtchn_bell(b->d, port, &b->bell_fd);
	BACK_RING_INIT(&b->ring, (blkif_sring_t *)(b->d->mem + mfn * 4096), 4096);
	b->connected = true;
	xbe_put(bk.store, b->be, "sectors", "%llu", (unsigned long long)b->sectors);
	xbe_put(bk.store, b->be, "info", "%u", b->ro ? VDISK_READONLY : 0);
	xbe_put(bk.store, b->be, "sector-size", "%u", XBLK_SECTOR);
	xbe_put(bk.store, b->be, "physical-sector-size", "%u", XBLK_SECTOR);
	set_state(b, XenbusStateConnected);
}

/* The frontend's state moved: Xen's frontend_changed. */
static void frontend_changed(struct xen_vbd *b)
{
	uint32_t fs;
	if (xbe_get_u32(bk.store, b->fe, "state", &fs))
		return;
	switch (fs) {
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (b->state == XenbusStateInitWait)
			vbd_connect(b);
		break;
	case XenbusStateClosing:
		vbd_disconnect(b);
		set_state(b, XenbusStateClosing);
		break;
	case XenbusStateClosed:
		vbd_disconnect(b);
		set_state(b, XenbusStateClosed);
		pthread_mutex_lock(&bk.lock);
		bool staying = !b->detaching;
		pthread_mutex_unlock(&bk.lock);
		if (staying)
			set_state(b, XenbusStateInitWait);   /* ready for the frontend again (a module reload) */
		break;
	default:
		break;
	}
}

/* ---- requests -------------------------------------------------------------------------------- */

/* A request between its taking and its answer: checked, its segments'
 * grants taken (a read from the disk writes the guest's page), its I/O
 * one readv/writev and an fdatasync for a flush or barrier. */
struct op {
	struct xen_vbd *b;
	struct xblk_req r;
	int16_t status;
	bool to_guest, flush;
	uint8_t sqes;               /* its io_uring operations not yet completed */
	unsigned granted;
	uint64_t t0;                /* when it was taken */
	uint64_t mfn[BLKIF_MAX_SEGMENTS_PER_REQUEST];
	struct iovec iov[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

static void prepare(struct xen_vbd *b, const blkif_request_t *in, struct op *o)
{
	struct xen_domain *x = b->d->xen;
	o->b = b;
	o->status = (int16_t)xblk_check(in, b->sectors, b->ro, &o->r);
	o->to_guest = o->r.op == BLKIF_OP_READ;
	o->flush = o->r.op == BLKIF_OP_FLUSH_DISKCACHE || o->r.op == BLKIF_OP_WRITE_BARRIER;
	o->granted = 0;
	o->sqes = 0;
	if (o->status != BLKIF_RSP_OKAY)
		return;
	xen_lock(x);
	for (; o->granted < o->r.nseg; o->granted++) {
		unsigned k = o->granted;
		if (xgnt_acquire(&x->gnt, &x->mm, o->r.seg[k].gref, 0, o->to_guest, &o->mfn[k])) {
			o->status = BLKIF_RSP_ERROR;
			b->st.bad_grants++;
			break;
		}
		o->iov[k] = (struct iovec){ b->d->mem + o->mfn[k] * 4096 + o->r.seg[k].off, o->r.seg[k].len };
	}
	xen_unlock(x);
}

/* Its grants given back, counted and traced: o may be answered. */
static void finish(struct xen_vbd *b, struct op *o, uint64_t now)
{
	struct xen_domain *x = b->d->xen;
	xen_lock(x);
	while (o->granted--)
		xgnt_release(&x->gnt, &x->mm, o->r.seg[o->granted].gref, o->to_guest, o->mfn[o->granted]);
	xen_unlock(x);
	if (o->status == BLKIF_RSP_OKAY) {
		b->st.segments += o->r.nseg;
		b->st.bytes += o->r.bytes;
		b->st.flushes += o->flush;
	} else {
		b->st.errors++;
	}
	trace_blk_request(b->d->id, b->devid, o->r.op, o->r.offset / XBLK_SECTOR, (uint32_t)(o->r.bytes / XBLK_SECTOR),
	                  o->status, now - o->t0);
}

/* Without io_uring: done at once. */
static void io_sync(struct xen_vbd *b, struct op *o)
{
	if (o->status == BLKIF_RSP_OKAY && o->r.nseg) {
		ssize_t done = o->to_guest ? preadv(b->fd, o->iov, (int)o->r.nseg, (off_t)o->r.offset)
		                           : pwritev(b->fd, o->iov, (int)o->r.nseg, (off_t)o->r.offset);
		if (done != (ssize_t)o->r.bytes)
			o->status = BLKIF_RSP_ERROR;
	}
	if (o->status == BLKIF_RSP_OKAY && o->flush && fdatasync(b->fd))
		o->status = BLKIF_RSP_ERROR;
}

/* With io_uring: queued, submitted with the turn's others, in the ring's
 * order where it matters: a flush waits for everything before it
 * (IO_DRAIN), a barrier write's data goes before its fdatasync
 * (IO_LINK). A CQE's tag is its op, the low bit set for the fdatasync. */
static void io_queue(struct xen_vbd *b, struct op *o)
{
	struct io_uring_sqe *e;
	if (o->status != BLKIF_RSP_OKAY)
		return;
	if (o->r.nseg) {
		e = io_uring_get_sqe(&bk.uring);     /* room: uring_room */
		if (o->to_guest)
			io_uring_prep_readv(e, b->fd, o->iov, o->r.nseg, o->r.offset);
		else
			io_uring_prep_writev(e, b->fd, o->iov, o->r.nseg, o->r.offset);
		io_uring_sqe_set_data64(e, (uint64_t)(uintptr_t)o);
		if (o->flush)
			e->flags |= IOSQE_IO_DRAIN | IOSQE_IO_LINK;
		o->sqes++;
	}
	if (o->flush) {
		e = io_uring_get_sqe(&bk.uring);
		io_uring_prep_fsync(e, b->fd, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data64(e, (uint64_t)(uintptr_t)o | 1);
		if (!o->r.nseg)
			e->flags |= IOSQE_IO_DRAIN;
		o->sqes++;
	}
	bk.sqes += o->sqes;
	b->busy_ops += o->sqes > 0;
}

/* An op's I/O is over: it waits for its answer. */
static void op_done(struct xen_vbd *b, uint64_t now)
{
	if (!b->done_ops++)
		b->first_done = now;
}

/* Every completion io_uring has: ops done. */
static void reap(void)
{
	struct io_uring_cqe *c;
	unsigned head, n = 0;
	uint64_t now = time_mono_ns();
	io_uring_for_each_cqe(&bk.uring, head, c) {
		n++;
		struct op *o = (struct op *)(uintptr_t)(io_uring_cqe_get_data64(c) & ~1ull);
		if (io_uring_cqe_get_data64(c) & 1 ? c->res != 0 : c->res != (int)o->r.bytes)
			o->status = BLKIF_RSP_ERROR;
		bk.sqes--;
		if (--o->sqes)
			continue;
		o->b->busy_ops--;
		op_done(o->b, now);
	}
	io_uring_cq_advance(&bk.uring, n);
}

/* The wakeups taken (bk.wake, and bk.done: io_uring's completions) and
 * the completions reaped, before the thread looks at the devices' flags:
 * whatever comes after finds an eventfd readable in submit_and_wait(). */
static void wakeups(void)
{
	uint64_t c;
	if (read(bk.wake, &c, sizeof(c)) < 0) {
		/* nothing written since the last read */
	}
	if (!bk.uring_ok)
		return;
	if (read(bk.done, &c, sizeof(c)) < 0) {
		/* no completion since */
	}
	reap();
}

/* What io_uring was given, submitted; then, when wait, a wakeup, a
 * completion or a doorbell (p[2..2 + nbells), p's first two its own) waited for, up to due (time_mono_ns; UINT64_MAX: no end).
 * A flush's IO_DRAIN waits for all that went before it, so nothing that
 * stays pending (a poll of bk.wake) may be among them: the thread polls
 * the two eventfds itself. */
static void submit_and_wait(bool wait, uint64_t due, struct pollfd *p, unsigned nbells)
{
	if (bk.uring_ok) {
		int rc = io_uring_submit(&bk.uring);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && !bk.uring_broke) {
			/* What was queued stays queued (its grants held): submitted at the next try. */
			fprintf(stderr, "pvmon: block back end: io_uring_enter: %s (trying again)\n", strerror(-rc));
			bk.uring_broke = true;
		}
		if (rc < 0 && due > time_mono_ns() + 1000000)
			due = time_mono_ns() + 1000000;
		if (io_uring_cq_ready(&bk.uring))
			return;
	}
	if (!wait)
		return;
	uint64_t now = time_mono_ns(), left = due > now ? due - now : 0;
	struct timespec ts = { .tv_sec = (time_t)(left / 1000000000), .tv_nsec = (long)(left % 1000000000) };
	p[0] = (struct pollfd){ .fd = bk.wake, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = bk.uring_ok ? bk.done : -1, .events = POLLIN };
	ppoll(p, 2 + nbells, due == UINT64_MAX ? NULL : &ts, NULL);
}

/* Room for one more request's I/O: two io_uring operations at most. */
static bool uring_room(void)
{
	return !bk.uring_ok || bk.sqes + 2 < XBLK_SQES;
}

/* b's outstanding requests that are done, answered together: one push,
 * one event if the frontend asked for one (Xen's rsp_event rule). */
static void answer(struct xen_vbd *b, const char *why)
{
	uint64_t now = time_mono_ns();
	unsigned n = 0;
	for (unsigned s = 0; s < XBLK_RING; s++) {
		struct op *o = &b->op[s];
		if (!(b->used & 1u << s) || o->sqes)
			continue;
		finish(b, o, now);
		xblk_respond(&b->ring, o->r.id, o->r.op, o->status);
		b->used &= ~(1u << s);
		n++;
	}
	if (!n)
		return;
	b->outstanding -= n;
	b->done_ops = 0;
	b->st.requests += n;
	b->st.batches++;
	bool notify = xblk_push(&b->ring);
	trace_blk_batch(b->d->id, b->devid, n, notify);
	if (xen_tracing())
		fprintf(stderr, "pvmon xen: blk %s: %u answered (%s), %u outstanding, event %d\n", b->vdev, n, why,
		        b->outstanding, notify);
	if (notify) {
		b->st.notifies++;
		xen_evtchn_set(b->d, b->port);
	}
}

/* Before b's ring and port are given back: its requests' I/O completes
 * (the host writes into the guest's pages until then) and they are
 * answered. The back-end thread's. */
static void drain(struct xen_vbd *b)
{
	struct pollfd p[2];
	while (b->busy_ops) {
		submit_and_wait(true, UINT64_MAX, p, 0);   /* doorbells wait */
		wakeups();
	}
	answer(b, "drained");
}

/* What the frontend has queued since the last look, taken and issued: at
 * most XBLK_BATCH (the round-robin's turn) and what io_uring has room
 * for. -EPROTO: the frontend broke its ring. */
static int take(struct xen_vbd *b, uint64_t now)
{
	blkif_request_t req;
	int n = 0, got = 0;
	b->more = b->no_room = false;
	for (; n < XBLK_BATCH && b->used != UINT32_MAX; n++) {   /* a free slot: RING_SIZE outstanding at most */
		if (!uring_room()) {
			b->no_room = true;   /* a turn again as others complete */
			break;
		}
		if ((got = xblk_take(&b->ring, &req, 1)) <= 0)
			break;
		unsigned s = (unsigned)__builtin_ctz(~b->used);
		struct op *o = &b->op[s];
		b->used |= 1u << s;
		b->outstanding++;
		prepare(b, &req, o);
		o->t0 = now;
		if (bk.uring_ok)
			io_queue(b, o);
		else
			io_sync(b, o);
		if (!o->sqes)
			op_done(b, now);
	}
	b->more = n == XBLK_BATCH;           /* its turn is over: the next one looks again */
	if (n && xen_tracing())
		fprintf(stderr, "pvmon xen: blk %s: %d taken, %u outstanding\n", b->vdev, n, b->outstanding);
	return got < 0 ? got : n;
}

/* b's turn: new requests taken, completed ones answered now or held a
 * while for more (xblk_answer_now); req_event re-armed only once
 * nothing is outstanding. *due: when the thread must look again at the
 * latest, for the answers b holds. */
static void turn(struct xen_vbd *b, uint64_t *due)
{
	uint64_t now = time_mono_ns();
	int n = b->gone ? 0 : take(b, now);
	if (n < 0) {
		fprintf(stderr, "pvmon: domain %s (%u): disk %s: the frontend's request producer index is more than "
		        "a ring ahead: its disk is disconnected\n", b->d->cfg.name, b->d->id, b->vdev);
		vbd_disconnect(b);
		set_state(b, XenbusStateClosing);
		return;
	}
	if (n)
		b->last_take = now;
	if (b->gone || xblk_answer_now(&moderation, b->done_ops, b->busy_ops, now, b->first_done, b->last_take))
		answer(b, b->gone ? "gone" : "moderation");
	if (b->done_ops) {
		uint64_t at = xblk_answer_due(&moderation, b->busy_ops, b->first_done, b->last_take);
		*due = at < *due ? at : *due;
	}
	/* req_event set for the next request (Xen's final check) only once
	 * nothing is outstanding: until then the frontend queues without an
	 * event each, and the ring is looked at as completions come. */
	if (!b->more && !b->no_room && !b->outstanding && !b->gone && b->connected)
		b->more = xblk_more(&b->ring);
}

/* A bound from the environment (microseconds), for measuring others. */
static uint64_t env_us(const char *name, uint64_t ns)
{
	const char *s = getenv(name);
	uint64_t us;
	if (!s)
		return ns;
	if (!num_u64(s, 0, 1000000, &us))
		return us * 1000;
	fprintf(stderr, "pvmon: %s '%s' is not a number of microseconds (0..1000000): %llu it is\n", name, s,
	        (unsigned long long)(ns / 1000));
	return ns;
}

/* Whether the thread gives b a turn now: a kick or the frontend's state,
 * requests left from its last turn, or outstanding ones (their
 * completions, held answers, and the ring looked at again without a
 * kick). Under bk.lock. */
static bool wants_turn(const struct xen_vbd *b)
{
	if (b->gone)
		return b->outstanding;
	return b->fe_changed || b->kicked || b->more || b->no_room || b->outstanding;
}

/* Round-robin over the devices with work, a turn each, starting one
 * further each time (no device first for io_uring's room every time);
 * then io_uring's completions or a wakeup waited for, up to the first
 * held answer's due time. */
static void *thread_main(void *arg)
{
	(void)arg;
	moderation.quiet_ns = env_us("PVLAB_BLK_QUIET_US", moderation.quiet_ns);
	moderation.hold_ns = env_us("PVLAB_BLK_HOLD_US", moderation.hold_ns);
	int rc = io_uring_queue_init(XBLK_SQES, &bk.uring, 0);
	if (rc)
		snprintf(bk.uring_why, sizeof(bk.uring_why), "io_uring_queue_init: %s", strerror(-rc));
	else if ((bk.done = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	         (rc = io_uring_register_eventfd(&bk.uring, bk.done)))
		snprintf(bk.uring_why, sizeof(bk.uring_why), "io_uring_register_eventfd: %s", strerror(rc ? -rc : errno));
	bk.uring_ok = !rc && bk.done >= 0;
	struct pollfd two[2], *pfd = NULL;   /* the two eventfds, then the doorbells */
	unsigned npfd = 0, nbells;
	for (unsigned round = 0;; round++) {
		wakeups();
		uint64_t due = UINT64_MAX;
		bool again = false;
		pthread_mutex_lock(&bk.lock);
		unsigned ndev = 0, skip;
		for (struct xen_vbd *b = bk.all; b; b = b->next, ndev++)
			b->kicked |= xen_evtchn_bell_rung(b->bell_fd, &b->st.kicks);   /* its doorbell's kicks */
		skip = ndev ? round % ndev : 0;
		for (unsigned pass = 0; pass < 2; pass++) {
			unsigned i = 0;
			for (struct xen_vbd *b = bk.all; b; b = b->next, i++) {
				if ((pass == 0) == (i < skip) || !wants_turn(b))
					continue;
				bool changed = b->fe_changed, kicked = b->kicked;
				b->fe_changed = b->kicked = false;
				b->busy = true;
				pthread_mutex_unlock(&bk.lock);
				if (changed)
					frontend_changed(b);
				if (b->connected && (kicked || b->more || b->no_room || b->outstanding))
					turn(b, &due);
				pthread_mutex_lock(&bk.lock);
				b->busy = false;
				b->inflight = b->outstanding;
				again |= b->more;
				pthread_cond_broadcast(&bk.cond);
			}
		}
		nbells = 0;
		if (ndev + 2 > npfd) {
			struct pollfd *q = realloc(pfd, (ndev + 2) * sizeof(*q));
			if (q) {
				pfd = q;
				npfd = ndev + 2;
			}
		}
		struct pollfd *p = pfd ? pfd : two;
		for (struct xen_vbd *b = bk.all; b; b = b->next) {   /* flagged while others had their turns */
			again |= !b->gone && (b->fe_changed || b->kicked || b->more);
			if (b->bell_fd < 0)
				continue;
			if (nbells + 2 < npfd)   /* closed only by this thread, or once b is unlinked */
				p[2 + nbells++] = (struct pollfd){ .fd = b->bell_fd, .events = POLLIN };
			else if (due > time_mono_ns() + 1000000)
				due = time_mono_ns() + 1000000;   /* no room to poll it: looked at each ms */
		}
		pthread_mutex_unlock(&bk.lock);
		submit_and_wait(!again, due, p, nbells);
	}
	return NULL;
}

/* The watch's events on the frontend's state (any message of the
 * watching connection: the watch's reply, its events): called with the
 * store's lock held, so it only flags the device for the thread. */
static void fe_watch(void *ctx, const void *msg, size_t len)
{
	struct xen_vbd *b = ctx;
	if (!xbe_watch_event(msg, len))
		return;
	pthread_mutex_lock(&bk.lock);
	b->fe_changed = true;
	pthread_mutex_unlock(&bk.lock);
	wake_thread();
}

static void add_stats(struct xen_vbd_stats *sum, const struct xen_vbd_stats *s)
{
	sum->requests += s->requests;
	sum->segments += s->segments;
	sum->bytes += s->bytes;
	sum->batches += s->batches;
	sum->notifies += s->notifies;
	sum->flushes += s->flushes;
	sum->errors += s->errors;
	sum->bad_grants += s->bad_grants;
	sum->kicks += s->kicks;
}

/* ---- devices of a domain ------------------------------------------------------------------------ */

static void vbd_delete(struct xen_vbd *b)
{
	if (b->fd >= 0)
		close(b->fd);
	free(b->op);
	free(b);
}

static int vbd_add(struct domain *d, const char *spec, char *err, size_t errlen, struct xen_vbd **out)
{
	struct xen_vbd *b = calloc(1, sizeof(*b));
	if (!b || !(b->op = calloc(XBLK_RING, sizeof(*b->op)))) {
		free(b);
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	}
	b->fd = b->bell = b->bell_fd = -1;
	int rc = parse_spec(spec, b, err, errlen);
	pthread_mutex_lock(&bk.lock);
	for (struct xen_vbd *o = bk.all; !rc && o; o = o->next)
		if (o->d == d && o->devid == b->devid)
			rc = (snprintf(err, errlen, "disk %s given twice", b->vdev), -EINVAL);
	pthread_mutex_unlock(&bk.lock);
	if (!rc)
		rc = open_disk(b, err, errlen);
	if (rc) {
		vbd_delete(b);
		return rc;
	}
	pthread_mutex_lock(&bk.lock);
	if (bk.wake < 0)
		bk.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!bk.running) {
		rc = bk.wake < 0 ? -errno : -pthread_create(&bk.thread, NULL, thread_main, NULL);
		bk.running = !rc;
	}
	pthread_mutex_unlock(&bk.lock);
	if (rc) {
		vbd_delete(b);
		return snprintf(err, errlen, "cannot start the block back end: %s", strerror(-rc)), rc;
	}
	b->d = d;
	pthread_mutex_lock(&bk.lock);
	b->next = bk.all;
	bk.all = b;
	pthread_mutex_unlock(&bk.lock);
	*out = b;
	return 0;
}

int xen_blkback_check(const char *const *specs, unsigned n, char *err, size_t errlen)
{
	unsigned devid[CFG_DISKS_MAX];
	for (unsigned i = 0; i < n && i < CFG_DISKS_MAX; i++) {
		struct xen_vbd b = { .fd = -1 };
		int rc = parse_spec(specs[i], &b, err, errlen);
		for (unsigned j = 0; !rc && j < i; j++)
			if (devid[j] == b.devid)
				rc = (snprintf(err, errlen, "disk %s given twice", b.vdev), -EINVAL);
		if (!rc)
			rc = open_disk(&b, err, errlen);
		if (b.fd >= 0)
			close(b.fd);
		if (rc)
			return rc;
		devid[i] = b.devid;
	}
	return 0;
}

int xen_blkback_add(struct domain *d, const char *spec, char *err, size_t errlen)
{
	struct xen_vbd *b;
	return vbd_add(d, spec, err, errlen, &b);
}

/* A device's nodes, as xl makes them (the frontend's directory the
 * domain's own, the back end's Domain 0's with the domain allowed to read
 * it), and the back end waiting for its frontend. bk.store is set. */
static int publish(struct xen_vbd *b)
{
	struct domain *d = b->d;
	snprintf(b->fe, sizeof(b->fe), "/local/domain/%u/device/vbd/%u", d->id, b->devid);
	snprintf(b->be, sizeof(b->be), "/local/domain/0/backend/vbd/%u/%u", d->id, b->devid);
	/* Each directory made and given its permissions first: a node takes
	 * its parent's when it is made. The frontend's directory last: the
	 * domain's xenbus watches device/ and probes what appears there. */
	xs_write(bk.store, b->be, "", 0);
	xbe_own(bk.store, b->be, 0, d->id);
	xbe_put(bk.store, b->be, "frontend", "%s", b->fe);
	xbe_put(bk.store, b->be, "frontend-id", "%u", d->id);
	xbe_put(bk.store, b->be, "online", "1");
	xbe_put(bk.store, b->be, "type", "file");
	xbe_put(bk.store, b->be, "params", "%s", b->path);
	xbe_put(bk.store, b->be, "mode", "%s", b->ro ? "r" : "w");
	xbe_put(bk.store, b->be, "dev", "%s", b->vdev);
	xbe_put(bk.store, b->be, "feature-flush-cache", "1");
	xbe_put(bk.store, b->be, "feature-barrier", "1");
	set_state(b, XenbusStateInitWait);
	char path[160];
	snprintf(path, sizeof(path), "%s/state", b->fe);
	b->watch = xbe_watch(bk.store, path, fe_watch, b);
	if (!b->watch)
		return -ENOMEM;
	xs_write(bk.store, b->fe, "", 0);
	xbe_own(bk.store, b->fe, d->id, 0);
	xbe_put(bk.store, b->fe, "backend", "%s", b->be);
	xbe_put(bk.store, b->fe, "backend-id", "0");
	xbe_put(bk.store, b->fe, "virtual-device", "%u", b->devid);
	xbe_put(bk.store, b->fe, "device-type", "disk");
	xbe_put(bk.store, b->fe, "state", "%u", XenbusStateInitialising);
	return 0;
}

/* The domain has its id and is in the store: its devices' nodes. */
int xen_blkback_start(struct domain *d, struct xs_store *store)
{
	/* d's own devices, taken under the lock (other domains' come and go);
	 * the store is called without it (its watches take bk.lock). */
	struct xen_vbd *mine[CFG_DISKS_MAX];
	unsigned n = 0;
	pthread_mutex_lock(&bk.lock);
	bk.store = store;
	for (struct xen_vbd *b = bk.all; b; b = b->next)
		if (b->d == d && n < CFG_DISKS_MAX)
			mine[n++] = b;
	pthread_mutex_unlock(&bk.lock);
	for (unsigned i = 0; i < n; i++)
		if (publish(mine[i]))
			return -ENOMEM;
	return 0;
}

/* b, unlinked from bk.all and no longer busy, gone: after it the back
 * end touches none of its domain's memory. */
static void vbd_free(struct xen_vbd *b, bool frontend_too)
{
	if (b->watch)
		xs_conn_free(b->watch);      /* no event for b after this */
	vbd_disconnect(b);
	add_stats(&b->d->xen->blk_gone, &b->st);
	if (b->be[0])
		xs_rm(bk.store, b->be);
	if (frontend_too && b->fe[0])
		xs_rm(bk.store, b->fe);
	vbd_delete(b);
}

/* Unlinks d's device vdev (with NULL: d's first device), once the thread
 * is done with it and its requests; NULL if there is none. */
static struct xen_vbd *unlink_vbd(struct domain *d, const char *vdev)
{
	pthread_mutex_lock(&bk.lock);
	struct xen_vbd **pp = &bk.all, *b;
	while ((b = *pp) && (b->d != d || (vdev && strcmp(b->vdev, vdev))))
		pp = &b->next;
	if (b) {
		/* The thread answers its outstanding requests first: their I/O
		 * writes into the domain's memory until it completes. */
		b->gone = true;
		wake_thread();
		while (b->busy || b->inflight)
			pthread_cond_wait(&bk.cond, &bk.lock);
		*pp = b->next;
	}
	pthread_mutex_unlock(&bk.lock);
	return b;
}

void xen_blkback_remove(struct domain *d)
{
	struct xen_vbd *b;
	while ((b = unlink_vbd(d, NULL)))
		vbd_free(b, false);          /* the domain's tree goes with it */
}

int xen_blkback_attach(struct domain *d, const char *spec, char *err, size_t errlen)
{
	if (!pvmon_store)
		return snprintf(err, errlen, "this pvmon serves no xenstore (--xenstore off)"), -EOPNOTSUPP;
	struct xen_vbd_stats st;
	if (xen_blkback_stats(d, &st) >= CFG_DISKS_MAX)
		return snprintf(err, errlen, "domain %s (%u) has %d disks already", d->cfg.name, d->id, CFG_DISKS_MAX),
		       -ENOSPC;
	struct xen_vbd *b;
	int rc = vbd_add(d, spec, err, errlen, &b);
	if (rc)
		return rc;
	pthread_mutex_lock(&bk.lock);
	bk.store = pvmon_store;
	pthread_mutex_unlock(&bk.lock);
	if (publish(b)) {
		if ((b = unlink_vbd(d, b->vdev)))
			vbd_free(b, true);
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	}
	return 0;
}

/* Xen's way out (libxl's device removal): the back end Closing and
 * offline, the frontend closes (blkfront does once nothing has the disk
 * open), the back end Closed; then both directories go. */
int xen_blkback_detach(struct domain *d, const char *vdev, bool force, unsigned wait_ms, char *err, size_t errlen)
{
	pthread_mutex_lock(&bk.lock);
	struct xen_vbd *b = bk.all;
	while (b && (b->d != d || strcmp(b->vdev, vdev)))
		b = b->next;
	if (b)
		b->detaching = true;
	pthread_mutex_unlock(&bk.lock);
	if (!b)
		return snprintf(err, errlen, "domain %s (%u) has no disk %s", d->cfg.name, d->id, vdev), -ENOENT;
	bool closed = xbe_close_frontend(bk.store, b->fe, b->be, wait_ms);
	if (!closed && !force)           /* as xl leaves it: Closing, gone once the guest lets it go */
		return snprintf(err, errlen, "the frontend of %s did not close in %u ms (still mounted?): it stays "
		                "Closing; detach it again once the guest closed it, or force it now", vdev, wait_ms), -EBUSY;
	if ((b = unlink_vbd(d, vdev)))
		vbd_free(b, true);
	return 0;
}

const char *xen_blkback_io(void)
{
	return bk.uring_ok ? "io_uring" : bk.uring_why[0] ? bk.uring_why : "none yet";
}

int xen_blkback_stats(const struct domain *d, struct xen_vbd_stats *sum)
{
	int n = 0;
	*sum = d->xen->blk_gone;
	pthread_mutex_lock(&bk.lock);
	for (struct xen_vbd *b = bk.all; b; b = b->next)
		if (b->d == d) {
			n++;
			add_stats(sum, &b->st);
		}
	pthread_mutex_unlock(&bk.lock);
	return n;
}
