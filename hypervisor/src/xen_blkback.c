/* The block back end of Linux PV domains (Xen's blkback, in pvmon as
 * Domain 0): xl.cfg's disk = [ "file:PATH,xvdX,w|r" ] becomes a virtual
 * block device whose frontend (Linux's xen-blkfront) finds it in
 * xenstore, connects by Xen's device state machine and sends requests
 * on a blkif ring. One back-end thread serves every device of this
 * pvmon round-robin, a batch of at most XBLK_BATCH requests from each
 * ring in turn, and answers each batch with one event; a request's
 * segments are read or written with one preadv/pwritev on the host file,
 * straight into or out of the pages the guest granted (xen_gnttab.h),
 * never any other. A frontend that breaks its ring loses its disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <liburing.h>
#include "domain.h"
#include "pvtime.h"
#include "trace.h"
#include "xen_blkback.h"
#include "xen_backend.h"
#include "xen_blkif.h"
#include "xen_domain.h"
#include "xenstore.h"
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#define XBLK_BATCH 32           /* requests from one ring before the next ring's turn */

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
	/* The thread's while busy: */
	enum xenbus_state state;
	bool connected;
	uint32_t ring_ref, port;
	uint64_t ring_mfn;
	blkif_back_ring_t ring;
	struct xen_vbd_stats st;
};

static struct {
	pthread_mutex_t lock;       /* guards all, each device's work flags, running */
	pthread_cond_t cond;        /* work for the thread; a device no longer busy */
	struct xen_vbd *all;
	bool running;
	pthread_t thread;
	struct xs_store *store;
	struct io_uring uring;      /* the back-end thread's */
	bool uring_ok;
	char uring_why[96];         /* why not, when not */
} bk = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

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
	pthread_cond_broadcast(&bk.cond);
	pthread_mutex_unlock(&bk.lock);
}

static void vbd_disconnect(struct xen_vbd *b)
{
	if (!b->connected)
		return;
	struct xen_domain *x = b->d->xen;
	xen_evtchn_unbind_backend(b->d, b->port);
	pthread_mutex_lock(&x->lock);
	xgnt_release(&x->gnt, &x->mm, b->ring_ref, true, b->ring_mfn);
	pthread_mutex_unlock(&x->lock);
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
	pthread_mutex_lock(&x->lock);
	int rc = xgnt_acquire(&x->gnt, &x->mm, ref, 0, true, &mfn);
	pthread_mutex_unlock(&x->lock);
	if (rc) {
		fprintf(stderr, "pvmon: domain %s (%u): disk %s: ring-ref %u is no page granted to Domain 0 (%s)\n",
		        b->d->cfg.name, b->d->id, b->vdev, ref, strerror(-rc));
		return set_state(b, XenbusStateClosing);
	}
	rc = xen_evtchn_bind_backend(b->d, port, kick, b);
	if (rc) {
		pthread_mutex_lock(&x->lock);
		xgnt_release(&x->gnt, &x->mm, ref, true, mfn);
		pthread_mutex_unlock(&x->lock);
		fprintf(stderr, "pvmon: domain %s (%u): disk %s: event-channel %u is no port left unbound for Domain 0\n",
		        b->d->cfg.name, b->d->id, b->vdev, port);
		return set_state(b, XenbusStateClosing);
	}
	b->ring_ref = ref;
	b->ring_mfn = mfn;
	b->port = port;
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

/* One request of a batch on its way: checked, its segments' grants
 * taken (a read from the disk writes the guest's page), its I/O issued
 * as one readv/writev (and an fdatasync for a flush or barrier). */
struct op {
	struct xblk_req r;
	int16_t status;
	bool to_guest, flush;
	unsigned granted;
	uint64_t mfn[BLKIF_MAX_SEGMENTS_PER_REQUEST];
	struct iovec iov[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

static void prepare(struct xen_vbd *b, const blkif_request_t *in, struct op *o)
{
	struct xen_domain *x = b->d->xen;
	o->status = (int16_t)xblk_check(in, b->sectors, b->ro, &o->r);
	o->to_guest = o->r.op == BLKIF_OP_READ;
	o->flush = o->r.op == BLKIF_OP_FLUSH_DISKCACHE || o->r.op == BLKIF_OP_WRITE_BARRIER;
	o->granted = 0;
	if (o->status != BLKIF_RSP_OKAY)
		return;
	pthread_mutex_lock(&x->lock);
	for (; o->granted < o->r.nseg; o->granted++) {
		unsigned k = o->granted;
		if (xgnt_acquire(&x->gnt, &x->mm, o->r.seg[k].gref, 0, o->to_guest, &o->mfn[k])) {
			o->status = BLKIF_RSP_ERROR;
			b->st.bad_grants++;
			break;
		}
		o->iov[k] = (struct iovec){ b->d->mem + o->mfn[k] * 4096 + o->r.seg[k].off, o->r.seg[k].len };
	}
	pthread_mutex_unlock(&x->lock);
}

static void finish(struct xen_vbd *b, struct op *o, uint64_t t0)
{
	struct xen_domain *x = b->d->xen;
	pthread_mutex_lock(&x->lock);
	while (o->granted--)
		xgnt_release(&x->gnt, &x->mm, o->r.seg[o->granted].gref, o->to_guest, o->mfn[o->granted]);
	pthread_mutex_unlock(&x->lock);
	if (o->status == BLKIF_RSP_OKAY) {
		b->st.segments += o->r.nseg;
		b->st.bytes += o->r.bytes;
		b->st.flushes += o->flush;
	} else {
		b->st.errors++;
	}
	trace_blk_request(b->d->id, b->devid, o->r.op, o->r.offset / XBLK_SECTOR, (uint32_t)(o->r.bytes / XBLK_SECTOR),
	                  o->status, time_mono_ns() - t0);
}

/* Without io_uring: each request in turn. */
static void io_sync(struct xen_vbd *b, struct op *o, int n)
{
	for (int i = 0; i < n; i++) {
		if (o[i].status != BLKIF_RSP_OKAY)
			continue;
		if (o[i].r.nseg) {
			ssize_t done = o[i].to_guest ? preadv(b->fd, o[i].iov, (int)o[i].r.nseg, (off_t)o[i].r.offset)
			                             : pwritev(b->fd, o[i].iov, (int)o[i].r.nseg, (off_t)o[i].r.offset);
			if (done != (ssize_t)o[i].r.bytes)
				o[i].status = BLKIF_RSP_ERROR;
		}
		if (o[i].status == BLKIF_RSP_OKAY && o[i].flush && fdatasync(b->fd))
			o[i].status = BLKIF_RSP_ERROR;
	}
}

/* With io_uring: the whole batch submitted at once, in the ring's order
 * where it matters: a flush waits for everything before it (IO_DRAIN), a
 * barrier write's data goes before its fdatasync (IO_LINK). The thread
 * waits for all of it: one system call for the batch instead of one per
 * request, the disk's requests in flight together. */
static int io_uring_batch(struct xen_vbd *b, struct op *o, int n)
{
	unsigned sqes = 0;
	for (int i = 0; i < n; i++) {
		if (o[i].status != BLKIF_RSP_OKAY)
			continue;
		struct io_uring_sqe *e;
		if (o[i].r.nseg) {
			if (!(e = io_uring_get_sqe(&bk.uring)))
				return -EBUSY;
			if (o[i].to_guest)
				io_uring_prep_readv(e, b->fd, o[i].iov, o[i].r.nseg, o[i].r.offset);
			else
				io_uring_prep_writev(e, b->fd, o[i].iov, o[i].r.nseg, o[i].r.offset);
			io_uring_sqe_set_data64(e, (uint64_t)i << 1);
			if (o[i].flush)
				e->flags |= IOSQE_IO_DRAIN | IOSQE_IO_LINK;
			sqes++;
		}
		if (o[i].flush) {
			if (!(e = io_uring_get_sqe(&bk.uring)))
				return -EBUSY;
			io_uring_prep_fsync(e, b->fd, IORING_FSYNC_DATASYNC);
			io_uring_sqe_set_data64(e, (uint64_t)i << 1 | 1);
			if (!o[i].r.nseg)
				e->flags |= IOSQE_IO_DRAIN;
			sqes++;
		}
	}
	if (!sqes)
		return 0;
	int rc = io_uring_submit_and_wait(&bk.uring, sqes);
	if (rc < 0)
		return rc;
	for (unsigned got = 0; got < sqes; got++) {
		struct io_uring_cqe *c;
		if ((rc = io_uring_wait_cqe(&bk.uring, &c)))
			return rc;
		uint64_t tag = io_uring_cqe_get_data64(c);
		struct op *p = &o[tag >> 1];
		bool ok = tag & 1 ? c->res == 0 : c->res == (int)p->r.bytes;
		if (!ok)
			p->status = BLKIF_RSP_ERROR;
		io_uring_cqe_seen(&bk.uring, c);
	}
	return 0;
}

/* One batch from b's ring: answered together, one event if the frontend
 * asked for one. True while more requests wait. */
static bool batch(struct xen_vbd *b)
{
	blkif_request_t req[XBLK_BATCH];
	static struct op o[XBLK_BATCH];          /* the back-end thread's only */
	int n = xblk_take(&b->ring, req, XBLK_BATCH);
	if (n < 0) {
		fprintf(stderr, "pvmon: domain %s (%u): disk %s: the frontend's request producer index is more than "
		        "a ring ahead: its disk is disconnected\n", b->d->cfg.name, b->d->id, b->vdev);
		vbd_disconnect(b);
		set_state(b, XenbusStateClosing);
		return false;
	}
	uint64_t t0 = time_mono_ns();
	for (int i = 0; i < n; i++)
		prepare(b, &req[i], &o[i]);
	int rc = bk.uring_ok ? io_uring_batch(b, o, n) : -ENOSYS;
	if (rc && bk.uring_ok) {
		/* Its completions can no longer be trusted to match: synchronous from now on. */
		bk.uring_ok = false;
		snprintf(bk.uring_why, sizeof(bk.uring_why), "io_uring failed: %s", strerror(-rc));
	}
	if (rc)
		io_sync(b, o, n);                /* without io_uring: the same, one by one */
	for (int i = 0; i < n; i++) {
		finish(b, &o[i], t0);
		xblk_respond(&b->ring, req[i].id, req[i].operation, o[i].status);
	}
	if (n) {
		b->st.requests += (uint64_t)n;
		b->st.batches++;
		bool notify = xblk_push(&b->ring);
		trace_blk_batch(b->d->id, b->devid, (uint32_t)n, notify);
		if (notify) {
			b->st.notifies++;
			xen_evtchn_set(b->d, b->port);
		}
	}
	return xblk_more(&b->ring);
}

/* Round-robin over the devices with work, one batch each per turn. */
static void *thread_main(void *arg)
{
	(void)arg;
	/* XBLK_BATCH requests, each a readv/writev and an fdatasync at most */
	int rc = io_uring_queue_init(2 * XBLK_BATCH, &bk.uring, 0);
	bk.uring_ok = !rc;
	if (rc)
		snprintf(bk.uring_why, sizeof(bk.uring_why), "io_uring_queue_init: %s", strerror(-rc));
	pthread_mutex_lock(&bk.lock);
	for (;;) {
		bool any = false;
		for (struct xen_vbd *b = bk.all; b; b = b->next) {
			if (b->gone || !(b->fe_changed || b->kicked))
				continue;
			any = true;
			bool changed = b->fe_changed, kicked = b->kicked;
			b->fe_changed = b->kicked = false;
			b->busy = true;
			pthread_mutex_unlock(&bk.lock);
			if (changed)
				frontend_changed(b);
			bool more = kicked && b->connected && batch(b);
			pthread_mutex_lock(&bk.lock);
			b->busy = false;
			b->kicked |= more;
			pthread_cond_broadcast(&bk.cond);
		}
		if (!any)
			pthread_cond_wait(&bk.cond, &bk.lock);
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
	pthread_cond_broadcast(&bk.cond);
	pthread_mutex_unlock(&bk.lock);
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
}

/* ---- devices of a domain ------------------------------------------------------------------------ */

static int vbd_add(struct domain *d, const char *spec, char *err, size_t errlen, struct xen_vbd **out)
{
	struct xen_vbd *b = calloc(1, sizeof(*b));
	if (!b)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	b->fd = -1;
	int rc = parse_spec(spec, b, err, errlen);
	pthread_mutex_lock(&bk.lock);
	for (struct xen_vbd *o = bk.all; !rc && o; o = o->next)
		if (o->d == d && o->devid == b->devid)
			rc = (snprintf(err, errlen, "disk %s given twice", b->vdev), -EINVAL);
	pthread_mutex_unlock(&bk.lock);
	if (!rc)
		rc = open_disk(b, err, errlen);
	if (rc) {
		if (b->fd >= 0)
			close(b->fd);
		free(b);
		return rc;
	}
	pthread_mutex_lock(&bk.lock);
	if (!bk.running) {
		rc = -pthread_create(&bk.thread, NULL, thread_main, NULL);
		bk.running = !rc;
	}
	pthread_mutex_unlock(&bk.lock);
	if (rc) {
		close(b->fd);
		free(b);
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
	close(b->fd);
	free(b);
}

/* Unlinks d's device vdev (with NULL: d's first device), once the thread
 * is done with it; NULL if there is none. */
static struct xen_vbd *unlink_vbd(struct domain *d, const char *vdev)
{
	pthread_mutex_lock(&bk.lock);
	struct xen_vbd **pp = &bk.all, *b;
	while ((b = *pp) && (b->d != d || (vdev && strcmp(b->vdev, vdev))))
		pp = &b->next;
	if (b) {
		b->gone = true;
		while (b->busy)
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
