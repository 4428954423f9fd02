/* Domain memory. RAM lives on a memfd mapped shared, so that one frame can
 * be backed by another page (a grant map, a page flip) with one mmap, and
 * given back to the host with a hole punched in the file. Page tables live
 * in the pool: pvmon's own anonymous memory, which KVM sees through a
 * read-only slot, so the guest reads its tables but every write comes to
 * pvmon. Under nested paging (host.tdp) a read-only slot would fault every
 * hardware page walk, so the slot is writable and pagetable.c lets guest tables
 * map pool frames read-only only (the guest still cannot write them).
 * KVM's shadow MMU does not notice pvmon's writes to a table it has
 * already walked (they bypass its write tracking); a translation that lost
 * rights is therefore dropped at the next flush by deleting and re-adding
 * the pool's slot, which makes KVM rebuild its shadow tables from ours.
 * New mappings need nothing: KVM walks the guest tables on a miss. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "domain.h"
#include "evtchn.h"
#include "fastpath.h"
#include "hvarea.h"
#include "guest_access.h"
#include "hypercall.h"
#include "memory.h"
#include "pvmon.h"
#include "sched.h"
#include "trace.h"

#define PAGE 4096ULL
#define MIB2 (2ULL << 20)
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((a) - 1))
#define WINDOW_BYTES (PV_GNTTAB_WINDOW_FRAMES * PAGE)

static void memfile_put(struct memfile *f)
{
	if (f && atomic_fetch_sub(&f->refs, 1) == 1) {
		close(f->fd);
		free(f);
	}
}

struct memfile *memfile_new(const char *name, uint64_t pages)
{
	struct memfile *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->fd = memfd_create(name, MFD_CLOEXEC);
	if (f->fd < 0 || ftruncate(f->fd, (off_t)(pages * PAGE))) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return NULL;
	}
	atomic_store(&f->refs, (long)pages);
	return f;
}

void memory_free_entry(struct p2m_entry *e)
{
	if (!e->file)
		return;
	fallocate(e->file->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(e->pgoff * PAGE), (off_t)PAGE);
	memfile_put(e->file);
	e->file = NULL;
}

int memory_map_frame(void *host, const struct p2m_entry *e, int prot)
{
	void *p = mmap(host, PAGE, prot, MAP_SHARED | MAP_FIXED, e->file->fd, (off_t)(e->pgoff * PAGE));
	return p == MAP_FAILED ? -errno : 0;
}

/* Frames the pool needs: the hypervisor area, the initial tables (4 KiB
 * pages over RAM and the pool itself) and room for the guest's own. */
static uint64_t pool_size(uint64_t ram_frames)
{
	uint64_t spare = ram_frames / 64 > 128 ? ram_frames / 64 : 128;
	uint64_t base = PV_HV_AREA_PAGES + 2 + 3 + (ram_frames + 511) / 512 + spare + 64;
	return base + base / 511 + 1;
}

static int set_slot(struct domain *d, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = { .slot = slot, .flags = flags, .guest_phys_addr = gpa,
	                                         .memory_size = size, .userspace_addr = (uint64_t)host };
	return ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

/* The pool slot's flags: read-only unless the CPU walks the tables (TDP). */
static uint32_t pool_slot_flags(const struct domain *d)
{
	return d->pt.ro_pool_maps ? 0 : KVM_MEM_READONLY;
}

static void *anon(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int memory_layout(struct domain *d, char *err, size_t errlen)
{
	uint64_t frames = d->mem_size / PAGE;
	d->p2m = calloc(frames, sizeof(*d->p2m));
	if (!d->p2m)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	struct memfile *mf = memfile_new("pvlab-ram", frames);
	if (!mf) {
		int e = errno;
		return snprintf(err, errlen, "cannot create %llu MiB of RAM: %s",
		                (unsigned long long)(d->mem_size >> 20), strerror(e)), -e;
	}
	for (uint64_t g = 0; g < frames; g++)
		d->p2m[g] = (struct p2m_entry){ mf, g };
	d->mem = mmap(NULL, d->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, mf->fd, 0);
	if (d->mem == MAP_FAILED) {
		d->mem = NULL;
		return snprintf(err, errlen, "cannot map RAM: %s", strerror(errno)), -ENOMEM;
	}

	int rc = fastpath_domain_init(d);
	if (rc)
		return snprintf(err, errlen, "out of memory"), rc;
	d->hv_frames = HV_FRAMES + fastpath_hv_frames(d);
	d->pool_frames = pool_size(frames) + d->hv_frames - PV_HV_AREA_PAGES;
	d->pool_gpa = ALIGN_UP(d->mem_size, MIB2) + MIB2;   /* a hole: RAM ends where nothing is mapped */
	/* The fast path's L4 twins share the pool's slot, after it (8 KiB aligned). */
	uint64_t twins = fastpath_twin_frames(d);
	d->pool_slot_size = (twins ? ALIGN_UP(d->pool_frames, 2) + twins : d->pool_frames) * PAGE;
	d->grant_rw_gpa = ALIGN_UP(d->pool_gpa + d->pool_slot_size, MIB2);
	d->grant_ro_gpa = d->grant_rw_gpa + ALIGN_UP(WINDOW_BYTES, MIB2);
	d->pool = anon(d->pool_slot_size);
	d->grant_rw = anon(WINDOW_BYTES);
	d->grant_ro = anon(WINDOW_BYTES);
	if (!d->pool || !d->grant_rw || !d->grant_ro)
		return snprintf(err, errlen, "cannot reserve the page-table pool: %s", strerror(errno)), -ENOMEM;
	rc = pt_init(&d->pt, frames, d->pool, d->pool_gpa, d->pool_frames, d->hv_frames);
	if (rc)
		return snprintf(err, errlen, "out of memory for page-table accounting"), rc;
	d->pt.ro_pool_maps = host.tdp;
	d->pt.leaf_ok[0] = (struct pt_range){ d->grant_rw_gpa, PV_GNTTAB_WINDOW_FRAMES };
	d->pt.leaf_ok[1] = (struct pt_range){ d->grant_ro_gpa, PV_GNTTAB_WINDOW_FRAMES };
	d->pt.ram_flags[GPA_START_INFO / PAGE] |= MMF_RESERVED;
	d->pt.ram_flags[GPA_SHARED_INFO / PAGE] |= MMF_RESERVED;

	d->gm = (struct guestmem){ .base = d->mem, .size = d->mem_size, .ram_flags = d->pt.ram_flags, .nr_extra = 3 };
	d->gm.extra[0] = (struct guestmem_region){ d->pool_gpa, d->pool_frames * PAGE, (uint8_t *)d->pool, false };
	d->gm.extra[1] = (struct guestmem_region){ d->grant_rw_gpa, WINDOW_BYTES, d->grant_rw, true };
	d->gm.extra[2] = (struct guestmem_region){ d->grant_ro_gpa, WINDOW_BYTES, d->grant_ro, false };
	if ((rc = hvarea_stacks_layout(d, err, errlen)))
		return rc;
	return fastpath_layout(d, err, errlen);
}

int memory_create(struct domain *d, char *err, size_t errlen)
{
	int rc = memory_layout(d, err, errlen);
	if (rc)
		return rc;
	if ((rc = set_slot(d, SLOT_RAM, 0, 0, d->mem_size, d->mem)) ||
	    (rc = set_slot(d, SLOT_POOL, pool_slot_flags(d), d->pool_gpa, d->pool_slot_size, d->pool)) ||
	    (rc = set_slot(d, SLOT_GRANT_RW, 0, d->grant_rw_gpa, WINDOW_BYTES, d->grant_rw)) ||
	    (rc = set_slot(d, SLOT_GRANT_RO, KVM_MEM_READONLY, d->grant_ro_gpa, WINDOW_BYTES, d->grant_ro)))
		return snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s%s", strerror(-rc),
		                rc == -EINVAL ? " (does this KVM offer read-only memory slots?)" : ""), rc;
	if ((rc = hvarea_stacks_create(d, err, errlen)))
		return rc;
	return fastpath_memory_create(d, err, errlen);
}

void memory_check_report(struct domain *d)
{
	char why[256];
	pthread_mutex_lock(&d->pt.lock);
	int rc = pt_check(&d->pt, why, sizeof(why));
	pthread_mutex_unlock(&d->pt.lock);
	if (rc)
		fprintf(stderr, "pvmon: domain %s (%u): page-table accounting is inconsistent: %s\n",
		        d->cfg.name, d->id, why);
	else
		fprintf(stderr, "pvmon: domain %s (%u): page-table accounting checked\n", d->cfg.name, d->id);
}

void memory_destroy(struct domain *d)
{
	uint64_t frames = d->mem_size / PAGE;
	if (d->mem)
		munmap(d->mem, d->mem_size);
	if (d->p2m) {
		/* Free what this domain holds now. No other domain maps any of it:
		 * a grant map holds a reference on its granter, so a domain is
		 * freed only after the last map of its frames is gone. */
		for (uint64_t g = 0; g < frames; g++)
			memory_free_entry(&d->p2m[g]);
		free(d->p2m);
	}
	if (d->pool)
		munmap(d->pool, d->pool_slot_size);
	if (d->grant_rw)
		munmap(d->grant_rw, WINDOW_BYTES);
	if (d->grant_ro)
		munmap(d->grant_ro, WINDOW_BYTES);
	if (d->pt.pf)
		pt_destroy(&d->pt);
	hvarea_free(d);
	fastpath_domain_free(d);
}

/* ---- initial page tables ---------------------------------------------- */

struct builder {
	struct domain *d;
	uint64_t next;            /* next free pool frame */
	uint64_t l4;
};

static uint64_t *frame_at(struct builder *b, uint64_t gpa)
{
	return b->d->pool + ((gpa - b->d->pool_gpa) / PAGE) * 512;
}

static uint64_t new_table(struct builder *b)
{
	if (b->next >= b->d->pool_frames)
		return 0;
	uint64_t gpa = b->d->pool_gpa + b->next++ * PAGE;
	memset(frame_at(b, gpa), 0, PAGE);
	return gpa;
}

/* The entry for va at level (1..3) in the tree under l4, making tables. */
static uint64_t *slot_for(struct builder *b, uint64_t va, int level)
{
	uint64_t table = b->l4;
	for (int l = 4; l > level; l--) {
		uint64_t *e = &frame_at(b, table)[(va >> (12 + 9 * (l - 1))) & 511];
		if (!(*e & PTE_P)) {
			uint64_t t = new_table(b);
			if (!t)
				return NULL;
			*e = t | PTE_P | PTE_RW | PTE_US;
		}
		table = *e & PTE_ADDR;
	}
	return &frame_at(b, table)[(va >> (12 + 9 * (level - 1))) & 511];
}

static int map4k(struct builder *b, uint64_t va, uint64_t gpa, uint64_t flags)
{
	uint64_t *e = slot_for(b, va, 1);
	if (!e)
		return -ENOSPC;
	*e = gpa | flags;
	return 0;
}

uint64_t memory_build_tables(struct domain *d, uint64_t *nr_frames, char *err, size_t errlen)
{
	struct builder b = { .d = d, .next = d->hv_frames };
	hvarea_build(d);            /* mm fills every L4's slot for it (PT_HV_SLOT) */
	fastpath_write_hv_page(d, (uint8_t *)d->pool);
	b.l4 = new_table(&b);
	const uint64_t rw = PTE_P | PTE_RW | PTE_US;
	int rc = 0;
	for (uint64_t a = 0; a < d->mem_size && !rc; a += PAGE)
		rc = map4k(&b, a, a, rw);
	/* The pool, so the kernel can read its tables (a write traps to pvmon;
	 * where the slot is writable, the mapping is read-only instead). */
	const uint64_t pool_rw = d->pt.ro_pool_maps ? PTE_P | PTE_US : rw;
	for (uint64_t a = d->pool_gpa; a < d->pool_gpa + d->pool_frames * PAGE && !rc; a += PAGE)
		rc = map4k(&b, a, a, pool_rw);
	if (rc) {
		snprintf(err, errlen, "page-table pool of %llu frames is too small", (unsigned long long)d->pool_frames);
		return 0;
	}
	pthread_mutex_lock(&d->pt.lock);
	rc = pt_get_base(&d->pt, b.l4);
	pthread_mutex_unlock(&d->pt.lock);
	if (rc) {
		snprintf(err, errlen, "initial page tables do not validate: %s", strerror(-rc));
		return 0;
	}
	*nr_frames = b.next - d->hv_frames;
	return b.l4;
}

/* ---- exclusive access ------------------------------------------------- */

void memory_exclusive_begin(struct domain *d, struct vcpu *self)
{
	if (self)
		pthread_rwlock_unlock(&d->mem_lock);
	for (uint32_t i = 0; i < d->nr_vcpus; i++)
		if (&d->vcpus[i] != self)
			sched_kick(&d->vcpus[i]);
	pthread_rwlock_wrlock(&d->mem_lock);
}

void memory_exclusive_end(struct domain *d, struct vcpu *self)
{
	pthread_rwlock_unlock(&d->mem_lock);
	if (self)
		pthread_rwlock_rdlock(&d->mem_lock);
}

/* ---- TLB flushes -------------------------------------------------------- */

void memory_flush(struct vcpu *v, const char *kind, uint64_t addr)
{
	struct domain *d = v->dom;
	pthread_mutex_lock(&d->pt.lock);
	bool stale = pt_take_stale(&d->pt);
	pthread_mutex_unlock(&d->pt.lock);
	atomic_fetch_add_explicit(&d->tlb_flushes, 1, memory_order_relaxed);
	trace_tlb_flush(d->id, v->id, kind, addr);
	if (!stale || d->vm_fd < 0)
		return;                 /* nothing cached, or no VM (unit tests, fuzzing) */
	memory_exclusive_begin(d, v);
	int rc = set_slot(d, SLOT_POOL, pool_slot_flags(d), d->pool_gpa, 0, d->pool);
	if (!rc)
		rc = set_slot(d, SLOT_POOL, pool_slot_flags(d), d->pool_gpa, d->pool_slot_size, d->pool);
	memory_exclusive_end(d, v);
	atomic_fetch_add_explicit(&d->tlb_zaps, 1, memory_order_relaxed);
	if (rc)
		domain_crash(d, v, "cannot flush translations (pool slot): %s", strerror(-rc));
}

void memory_pool_write(struct vcpu *v, uint64_t gpa, const void *data, uint32_t len)
{
	struct domain *d = v->dom;
	uint64_t val;
	if (len != 8 || (gpa & 7)) {
		domain_crash(d, v, "page-table write of %u bytes at 0x%llx (entries are 8 aligned bytes)",
		             len, (unsigned long long)gpa);
		return;
	}
	memcpy(&val, data, 8);
	pthread_mutex_lock(&d->pt.lock);
	int rc = pt_update(&d->pt, gpa, val);
	pthread_mutex_unlock(&d->pt.lock);
	atomic_fetch_add_explicit(&d->pt_writes, 1, memory_order_relaxed);
	if (rc)
		domain_crash(d, v, "page-table write 0x%llx at 0x%llx rejected: %s", (unsigned long long)val,
		             (unsigned long long)gpa, strerror(-rc));
}

/* ---- balloon ------------------------------------------------------------ */

uint64_t memory_current_pages(struct domain *d)
{
	pthread_mutex_lock(&d->pt.lock);
	uint64_t n = d->pt.ram_frames - d->pt.given_back;
	pthread_mutex_unlock(&d->pt.lock);
	return n;
}

int memory_set_target(struct domain *d, uint64_t pages)
{
	if (pages > d->pt.ram_frames || pages < 256)
		return -EINVAL;    /* at most what it has, at least 1 MiB */
	__atomic_store_n(&d->shared->mem_target_pages, pages, __ATOMIC_SEQ_CST);
	evtchn_send_virq(d, 0, PV_VIRQ_BALLOON);
	return 0;
}

/* Give back (or take again) gfns[0..n): returns how many were done; the
 * first refused one stops the batch. */
static long reservation(struct vcpu *v, const uint64_t *gfns, uint32_t n, bool give)
{
	struct domain *d = v->dom;
	uint32_t ok = 0;
	pthread_mutex_lock(&d->pt.lock);
	for (; ok < n; ok++) {
		uint64_t g = gfns[ok];
		/* A gfn named twice in one batch is refused the second time: a
		 * give marks it given back, a take marks it being taken. */
		if (give ? !pt_ram_free_to_give(&d->pt, g)
		         : g >= d->pt.ram_frames || (d->pt.ram_flags[g] & (MMF_GIVEN_BACK | MMF_TAKING)) != MMF_GIVEN_BACK)
			break;
		/* From here pvmon's own accesses (guestmem) refuse the frame. */
		d->pt.ram_flags[g] |= give ? MMF_GIVEN_BACK : MMF_TAKING;
	}
	pthread_mutex_unlock(&d->pt.lock);
	if (!ok)
		return guest_reject(v, "gfn", n ? gfns[0] : 0, give ? -EBUSY : -EINVAL);
	memory_exclusive_begin(d, v);
	for (uint32_t i = 0; i < ok; i++) {
		struct p2m_entry *e = &d->p2m[gfns[i]];
		uint8_t *h = d->mem + gfns[i] * PAGE;
		if (give) {
			/* No access: a guest that touches it crashes, the host has the memory. */
			mprotect(h, PAGE, PROT_NONE);
			fallocate(e->file->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(e->pgoff * PAGE), (off_t)PAGE);
		} else {
			mprotect(h, PAGE, PROT_READ | PROT_WRITE);
		}
	}
	memory_exclusive_end(d, v);
	pthread_mutex_lock(&d->pt.lock);
	for (uint32_t i = 0; i < ok; i++)
		if (!give)
			d->pt.ram_flags[gfns[i]] &= (uint8_t)~(MMF_GIVEN_BACK | MMF_TAKING);
	d->pt.given_back = give ? d->pt.given_back + ok : d->pt.given_back - ok;
	pthread_mutex_unlock(&d->pt.lock);
	return ok;
}

/* memory_op(cmd, arg): the balloon */
long hc_memory_op(struct vcpu *v, const uint64_t a[5])
{
	struct domain *d = v->dom;
	uint64_t cmd = a[0], arg = a[1];
	switch (cmd) {
	case PV_MEM_current_reservation:
		return (long)memory_current_pages(d);
	case PV_MEM_maximum_reservation:
		return (long)d->pt.ram_frames;
	case PV_MEM_decrease_reservation:
	case PV_MEM_increase_reservation: {
		struct pv_memory_reservation r;
		static __thread uint64_t gfns[PV_MMU_UPDATE_MAX];
		long rc = guest_copy_from(v, &r, arg, sizeof(r));
		if (rc)
			return rc;
		if (r.nr_frames == 0 || r.nr_frames > PV_MMU_UPDATE_MAX)
			return guest_reject(v, "nr_frames", r.nr_frames, -EINVAL);
		if ((rc = guest_copy_from(v, gfns, r.frames, r.nr_frames * sizeof(uint64_t))))
			return rc;
		return reservation(v, gfns, r.nr_frames, cmd == PV_MEM_decrease_reservation);
	}
	default:
		return guest_reject(v, "cmd", cmd, -EINVAL);
	}
}
