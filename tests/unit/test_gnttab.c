/* gnttab.c without KVM: two domains (fakedom.h) map, copy and flip frames
 * through grant_table_op as a guest would call it, and every refusal of
 * the rules comes back with its error. Then a back end of pvmon's (domain
 * 0, gnttab_backend_*) holds a ring frame, copies into a grant and flips
 * a page of its own into an offered frame, with the same refusals. */
#include <errno.h>
#include <sys/mman.h>
#include "check.h"
#include "fakedom.h"
#include "../../hypervisor/src/gnttab.h"
#include "../../hypervisor/src/hypercall.h"

#define ARG 0x10000ULL
#define TABLE 0x20000ULL
#define PAGE 4096ULL


/* The hypercall with its arguments in registers, as the dispatcher calls it. */
static long gnttab_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t count)
{
	const uint64_t a[5] = { cmd, arg, count };
	return hc_grant_table_op(v, a);
}

static struct domain *a, *b;      /* a grants, b maps */

static struct pv_grant_entry *entry(struct domain *d, int ref)
{
	return (struct pv_grant_entry *)(d->mem + TABLE) + ref;
}

static long op(struct domain *d, uint64_t cmd, void *arg, size_t len)
{
	memcpy(d->mem + ARG, arg, len);
	long rc = gnttab_op(&d->vcpus[0], cmd, ARG, cmd == PV_GNTTABOP_setup_table ? 0 : 1);
	memcpy(arg, d->mem + ARG, len);
	return rc;
}

static int32_t map(uint32_t ref, uint32_t flags, struct pv_gnttab_map *m)
{
	*m = (struct pv_gnttab_map){ .dom = a->id, .ref = ref, .flags = flags };
	long rc = op(b, PV_GNTTABOP_map_grant_ref, m, sizeof(*m));
	return rc ? (int32_t)rc : m->status;
}

static int32_t transfer(struct domain *from, uint64_t gfn, uint32_t to, uint32_t ref)
{
	struct pv_gnttab_transfer t = { gfn, to, ref, 0, 0 };
	long rc = op(from, PV_GNTTABOP_transfer, &t, sizeof(t));
	return rc ? (int32_t)rc : t.status;
}

/* The kernel's L1 entry for gfn (identity map): unmapping it frees the frame. */
static void unmap_kernel(struct domain *d, uint64_t gfn)
{
	uint64_t t = d->vcpus[0].kernel_cr3;
	for (int level = 4; level > 1; level--)
		t = d->pool[pt_pool_index(&d->pt, t) * 512 + ((gfn * PAGE >> (12 + 9 * (level - 1))) & 511)] & PTE_ADDR;
	pthread_mutex_lock(&d->pt.lock);
	CHECK_EQ(pt_update(&d->pt, t + (gfn & 511) * 8, 0), 0);
	pthread_mutex_unlock(&d->pt.lock);
}

int main(void)
{
	a = fakedom(1, 4);
	b = fakedom(2, 4);
	struct pv_gnttab_setup s = { TABLE, 16, 0 };
	CHECK_EQ(op(a, PV_GNTTABOP_setup_table, &s, sizeof(s)), 0);
	CHECK(a->pt.ram_flags[TABLE / PAGE] & MMF_GNTTAB);
	strcpy((char *)a->mem + 100 * PAGE, "granted page");
	*entry(a, 1) = (struct pv_grant_entry){ PV_GTF_permit_access, 2, 100 };
	*entry(a, 2) = (struct pv_grant_entry){ PV_GTF_permit_access | PV_GTF_readonly, 2, 101 };
	*entry(a, 3) = (struct pv_grant_entry){ PV_GTF_permit_access, 3, 100 };

	/* Map read-write: the window frame is the granter's page. */
	struct pv_gnttab_map m1, m2, m;
	CHECK_EQ(map(1, 0, &m1), 0);
	CHECK_EQ(m1.gpa, b->grant_rw_gpa + m1.handle * PAGE);
	CHECK_STR((char *)b->grant_rw + m1.handle * PAGE, "granted page");
	strcpy((char *)b->grant_rw + m1.handle * PAGE, "written by b");
	CHECK_STR((char *)a->mem + 100 * PAGE, "written by b");
	CHECK_EQ(entry(a, 1)->flags, PV_GTF_permit_access | PV_GTF_reading | PV_GTF_writing);
	CHECK_EQ(a->pt.foreign[100], 1);
	CHECK(!pt_ram_free_to_give(&a->pt, 100));

	/* The rules. */
	CHECK_EQ(map(2, 0, &m), -EPERM);                       /* read-only grant, writable map */
	CHECK_EQ(map(2, PV_GNTMAP_readonly, &m2), 0);
	CHECK_EQ(m2.gpa, b->grant_ro_gpa + (m2.handle - PV_GNTTAB_WINDOW_FRAMES) * PAGE);
	CHECK_EQ(map(3, 0, &m), -EPERM);                       /* granted to domain 3 */
	CHECK_EQ(map(4, 0, &m), -EACCES);                      /* never granted */
	CHECK_EQ(map(16, 0, &m), -EINVAL);                     /* past the table */
	m = (struct pv_gnttab_map){ .dom = 9, .ref = 1 };
	CHECK_EQ(op(b, PV_GNTTABOP_map_grant_ref, &m, sizeof(m)), 0);
	CHECK_EQ(m.status, -ESRCH);                            /* no such domain */
	m = (struct pv_gnttab_map){ .dom = 2, .ref = 1 };
	CHECK_EQ(op(b, PV_GNTTABOP_map_grant_ref, &m, sizeof(m)), 0);
	CHECK_EQ(m.status, -EINVAL);                           /* its own grant */
	struct pv_gnttab_setup bad = { TABLE + 8, 4, 0 };
	CHECK_EQ(op(a, PV_GNTTABOP_setup_table, &bad, sizeof(bad)), -EINVAL);

	/* Copy from a grant, refused into a read-only one. */
	struct pv_gnttab_copy c = { .source = { 1, 1, 0, 0 }, .dest = { 0, 200, 8, 0 }, .len = 12,
	                            .flags = PV_GNTCOPY_source_gref };
	CHECK_EQ(op(b, PV_GNTTABOP_copy, &c, sizeof(c)), 0);
	CHECK_EQ(c.status, 0);
	CHECK(!memcmp(b->mem + 200 * PAGE + 8, "written by b", 12));
	c = (struct pv_gnttab_copy){ .source = { 0, 200, 0, 0 }, .dest = { 1, 2, 0, 0 }, .len = 4,
	                             .flags = PV_GNTCOPY_dest_gref };
	CHECK_EQ(op(b, PV_GNTTABOP_copy, &c, sizeof(c)), 0);
	CHECK_EQ(c.status, -EPERM);
	c.dest.ref_or_gfn = 1;
	c.dest.offset = 4094;
	op(b, PV_GNTTABOP_copy, &c, sizeof(c));
	CHECK_EQ(c.status, -EINVAL);                           /* past the frame's end */

	/* Unmap: counts and flags go, the window shows a zero page. */
	struct pv_gnttab_unmap u = { m1.handle, 0 };
	CHECK_EQ(op(b, PV_GNTTABOP_unmap_grant_ref, &u, sizeof(u)), 0);
	CHECK_EQ(u.status, 0);
	CHECK_EQ(op(b, PV_GNTTABOP_unmap_grant_ref, &u, sizeof(u)), 0);
	CHECK_EQ(u.status, -EINVAL);                           /* twice */
	CHECK_EQ(entry(a, 1)->flags, PV_GTF_permit_access);
	CHECK_EQ(a->pt.foreign[100], 0);
	CHECK_EQ(*(uint64_t *)(b->grant_rw + m1.handle * PAGE), 0);
	entry(a, 1)->flags = 0;                                /* revoked */
	CHECK_EQ(map(1, 0, &m), -EACCES);

	/* Transfer (page flip): b offers its unused frame 300 to a's frame 400. */
	strcpy((char *)a->mem + 400 * PAGE, "flipped");
	strcpy((char *)b->mem + 300 * PAGE, "b's old junk");
	struct pv_grant_entry *offer = (struct pv_grant_entry *)(b->mem + TABLE) + 5;
	struct pv_gnttab_setup sb = { TABLE, 16, 0 };
	CHECK_EQ(op(b, PV_GNTTABOP_setup_table, &sb, sizeof(sb)), 0);
	*offer = (struct pv_grant_entry){ PV_GTF_accept_transfer, 1, 300 };
	CHECK_EQ(transfer(a, 400, 2, 5), -EBUSY);              /* still mapped in a's kernel */
	unmap_kernel(a, 400);
	CHECK_EQ(transfer(a, 400, 2, 5), -EBUSY);              /* b's offered frame is still mapped */
	unmap_kernel(b, 300);
	CHECK_EQ(transfer(a, 100, 2, 5), -EBUSY);              /* mapped (kernel) and was granted */
	CHECK_EQ(transfer(a, TABLE / PAGE, 2, 5), -EBUSY);     /* the grant table */
	CHECK_EQ(transfer(a, 400, 2, 1), -EINVAL);             /* ref 1 of b: not offered */
	struct p2m_entry before_a = a->p2m[400], before_b = b->p2m[300];
	CHECK_EQ(transfer(a, 400, 2, 5), 0);
	CHECK_STR((char *)b->mem + 300 * PAGE, "flipped");    /* the page moved, not a copy of it */
	CHECK(b->p2m[300].file == before_a.file && b->p2m[300].pgoff == before_a.pgoff);
	CHECK(a->p2m[400].file == before_b.file && a->p2m[400].pgoff == before_b.pgoff);
	CHECK_EQ(*(uint64_t *)(a->mem + 400 * PAGE), 0);      /* the sender's new frame is clean */
	CHECK_EQ(offer->flags, PV_GTF_transfer_completed);
	CHECK_EQ(transfer(a, 400, 2, 5), -EINVAL);             /* done already */
	CHECK_EQ(atomic_load(&a->page_flips), 1);

	/* A back end in pvmon (domain 0) and b's grants to it. */
	*entry(b, 6) = (struct pv_grant_entry){ PV_GTF_permit_access, 0, 310 };
	*entry(b, 7) = (struct pv_grant_entry){ PV_GTF_permit_access | PV_GTF_readonly, 0, 311 };
	*entry(b, 8) = (struct pv_grant_entry){ PV_GTF_permit_access, 1, 312 };       /* to domain 1 */
	uint64_t gfn = 0;
	CHECK_EQ(gnttab_backend_hold(b, 6, &gfn), 0);             /* the ring */
	CHECK_EQ(gfn, 310);
	CHECK_EQ(entry(b, 6)->flags, PV_GTF_permit_access | PV_GTF_reading | PV_GTF_writing);
	CHECK(!pt_ram_free_to_give(&b->pt, 310));                 /* cannot be given away while held */
	CHECK_EQ(gnttab_backend_hold(b, 7, &gfn), -EPERM);        /* read-only */
	CHECK_EQ(gnttab_backend_hold(b, 8, &gfn), -EPERM);        /* another domain's */
	CHECK_EQ(gnttab_backend_hold(b, 99, &gfn), -EINVAL);      /* past the table */
	gnttab_backend_release(b, 6, 310);
	CHECK_EQ(entry(b, 6)->flags, PV_GTF_permit_access);
	CHECK_EQ(b->pt.foreign[310], 0);

	CHECK_EQ(gnttab_backend_copy(b, 6, "a packet", 9), 0);
	CHECK_STR((char *)b->mem + 310 * PAGE, "a packet");
	CHECK_EQ(gnttab_backend_copy(b, 7, "x", 1), -EPERM);
	CHECK_EQ(gnttab_backend_copy(b, 8, "x", 1), -EPERM);
	CHECK_EQ(gnttab_backend_copy(b, 5, "x", 1), -EACCES);     /* a transfer's entry, not a grant */
	CHECK_EQ(gnttab_backend_copy(b, 6, "x", 4097), -EMSGSIZE);

	/* The back end's own page, flipped into b's offered frame 320. */
	struct p2m_entry page = { memfile_new("test-pool", 1), 0 };
	uint8_t *host = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, page.file->fd, 0);
	strcpy((char *)host, "flipped by domain 0");
	*entry(b, 9) = (struct pv_grant_entry){ PV_GTF_accept_transfer, 0, 320 };
	*entry(b, 10) = (struct pv_grant_entry){ PV_GTF_accept_transfer, 1, 321 };
	strcpy((char *)b->mem + 320 * PAGE, "b's old page");
	CHECK_EQ(gnttab_backend_flip(b, 9, &page, host), -EBUSY);    /* still mapped in b's kernel */
	unmap_kernel(b, 320);
	CHECK_EQ(gnttab_backend_flip(b, 6, &page, host), -EINVAL);   /* not offered for a transfer */
	CHECK_EQ(gnttab_backend_flip(b, 10, &page, host), -EPERM);   /* offered to domain 1 */
	uint64_t flips = atomic_load(&b->page_flips);
	CHECK_EQ(gnttab_backend_flip(b, 9, &page, host), 0);
	CHECK_STR((char *)b->mem + 320 * PAGE, "flipped by domain 0");
	CHECK_STR((char *)host, "b's old page");                    /* b's old page is the pool's now */
	CHECK_EQ(entry(b, 9)->flags, PV_GTF_transfer_completed);
	CHECK_EQ(atomic_load(&b->page_flips), flips + 1);
	CHECK_EQ(gnttab_backend_flip(b, 9, &page, host), -EINVAL);   /* done already */
	munmap(host, PAGE);
	memory_free_entry(&page);

	char why[256];
	CHECK_EQ(pt_check(&a->pt, why, sizeof(why)), 0);
	CHECK_EQ(pt_check(&b->pt, why, sizeof(why)), 0);
	gnttab_teardown(b);
	CHECK_EQ(a->pt.foreign[101], 0);                       /* the read-only map went too */
	CHECK_EQ(entry(a, 2)->flags, PV_GTF_permit_access | PV_GTF_readonly);
	return CHECK_DONE();
}
