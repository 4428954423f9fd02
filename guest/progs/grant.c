/* Grant tables between two domains (prog=grant role=granter|mapper
 * peer=ID). The granter offers a read-write frame (ref 1, also the two
 * sides' mailbox), a read-only frame (ref 2), a frame granted to somebody
 * else (ref 3) and an unused frame for a transfer (ref 4). The mapper maps,
 * copies and flips, and checks every refusal on the way: wrong domain,
 * read-only mapped writable, revoked, transfer of a mapped or pinned frame.
 * Each side prints "grant: ROLE: N checks, 0 failed" when all went well. */
#include "kernel.h"
#include "mm.h"

#define MS 1000000ULL
#define RW (PTE_P | PTE_RW | PTE_US)

static struct tally tally;
#define expect(what, got, want) tally_expect(&tally, what, got, want)

static long gnt(uint64_t cmd, void *arg) { return HYPERVISOR_grant_table_op(cmd, arg, 1); }

static int32_t map(uint32_t dom, uint32_t ref, uint32_t flags, struct pv_gnttab_map *out)
{
	*out = (struct pv_gnttab_map){ .dom = dom, .ref = ref, .flags = flags };
	long rc = gnt(PV_GNTTABOP_map_grant_ref, out);
	return rc ? (int32_t)rc : out->status;
}

static int32_t unmap(uint32_t handle)
{
	struct pv_gnttab_unmap u = { handle, 0 };
	long rc = gnt(PV_GNTTABOP_unmap_grant_ref, &u);
	return rc ? (int32_t)rc : u.status;
}

static int32_t transfer(uint64_t gfn, uint32_t dom, uint32_t ref)
{
	struct pv_gnttab_transfer t = { gfn, dom, ref, 0, 0 };
	long rc = gnt(PV_GNTTABOP_transfer, &t);
	return rc ? (int32_t)rc : t.status;
}

/* Wait (polling) until cond() or the deadline; 0 on success. */
static int wait_for(int (*cond)(void *), void *arg, uint64_t ms)
{
	uint64_t end = system_time() + ms * MS;
	while (!cond(arg))
		if (system_time() > end)
			return -1;
		else
			sleep_ns(MS);
	return 0;
}

static void set_entry(volatile struct pv_grant_entry *e, uint32_t frame, uint16_t domid, uint16_t flags)
{
	e->frame = frame;
	e->domid = domid;
	__asm__ volatile("" ::: "memory");      /* flags last: pvmon reads the whole entry */
	e->flags = flags;
}

/* A frame the kernel no longer maps (so it may be given away or offered). */
static uint64_t unmapped_frame(const char *text)
{
	char *p = page_alloc(1);
	if (!p)
		return 0;
	memcpy(p, text, strlen(text) + 1);
	pt_unmap(kernel_pml4, (uint64_t)p);
	pt_flush();
	tlb_flush();
	return (uint64_t)p / 4096;
}

static int has(void *arg)
{
	struct { const char *s; volatile char *p; } *w = arg;
	return !memcmp((const char *)w->p, w->s, strlen(w->s) + 1);
}

static int flag_clear(void *arg)
{
	volatile struct pv_grant_entry *e = arg;
	return !(e->flags & (PV_GTF_reading | PV_GTF_writing));
}

static int flag_done(void *arg)
{
	volatile struct pv_grant_entry *e = arg;
	return (e->flags & PV_GTF_transfer_completed) != 0;
}

static int granter(uint32_t peer)
{
	volatile struct pv_grant_entry *tab = page_alloc(1);
	char *x = page_alloc(1), *y = page_alloc(1), *z = page_alloc(1);
	uint64_t w = unmapped_frame("");
	if (!tab || !x || !y || !z || !w)
		return printk("grant: granter: out of memory\n"), 1;
	strcpy(x, "hello from the granter");
	strcpy(y, "read-only from the granter");
	struct pv_gnttab_setup s = { (uint64_t)tab, 512, 0 };
	expect("setup_table", gnt(PV_GNTTABOP_setup_table, &s), 0);
	struct pv_gnttab_setup bad = { (uint64_t)tab + 8, 4, 0 };
	expect("setup_table misaligned", gnt(PV_GNTTABOP_setup_table, &bad), -PV_EINVAL);
	bad = (struct pv_gnttab_setup){ start_info->nr_pages * 4096, 4, 0 };
	expect("setup_table past RAM", gnt(PV_GNTTABOP_setup_table, &bad), -PV_EINVAL);
	bad = (struct pv_gnttab_setup){ 0x1000, 4, 0 };
	expect("setup_table over start info", gnt(PV_GNTTABOP_setup_table, &bad), -PV_EINVAL);
	/* The table frame is the grant table now: it cannot be given back. */
	uint64_t tf = (uint64_t)tab / 4096;
	struct pv_memory_reservation r = { (uint64_t)&tf, 1, 0 };
	expect("give back the table", HYPERVISOR_memory_op(PV_MEM_decrease_reservation, &r), -PV_EBUSY);

	set_entry(&tab[3], (uint32_t)((uint64_t)x / 4096), 99, PV_GTF_permit_access);
	set_entry(&tab[2], (uint32_t)((uint64_t)y / 4096), (uint16_t)peer, PV_GTF_permit_access | PV_GTF_readonly);
	set_entry(&tab[4], (uint32_t)w, (uint16_t)peer, PV_GTF_accept_transfer);
	set_entry(&tab[5], (uint32_t)((uint64_t)z / 4096), (uint16_t)peer, PV_GTF_permit_access);
	set_entry(&tab[1], (uint32_t)((uint64_t)x / 4096), (uint16_t)peer, PV_GTF_permit_access);
	printk("grant: granter: offered refs 1-5 to domain %u\n", peer);

	struct { const char *s; volatile char *p; } reply = { "reply from the mapper", x + 512 };
	expect("the mapper's reply in the shared frame", wait_for(has, &reply, 5000), 0);
	expect("ref 1 marked in use", tab[1].flags & (PV_GTF_reading | PV_GTF_writing),
	       PV_GTF_reading | PV_GTF_writing);
	strcpy(x + 1024, "unmap now");
	expect("ref 1 released by the mapper", wait_for(flag_clear, (void *)&tab[1], 5000), 0);
	tab[1].flags = 0;                          /* revoke */
	strcpy(x + 1536, "revoked");

	expect("the transfer completed", wait_for(flag_done, (void *)&tab[4], 5000), 0);
	expect("  its frame number", tab[4].frame, (long)w);
	pt_map(kernel_pml4, w * 4096, w * 4096, RW);
	pt_flush();
	struct { const char *s; volatile char *p; } flipped = { "flipped by the mapper", (char *)(w * 4096) };
	expect("the flipped page's content", has(&flipped), 1);
	/* Alive until the mapper's last checks, which need this domain. */
	struct { const char *s; volatile char *p; } done = { "mapper done", z };
	expect("the mapper's last word (a copy into ref 5)", wait_for(has, &done, 5000), 0);
	return tally_done(&tally);
}

static int mapped(void *arg)
{
	struct { uint32_t peer; struct pv_gnttab_map *m; } *a = arg;
	return map(a->peer, 1, 0, a->m) == 0;
}

/* Until the granter revokes ref 1, a map succeeds: give it back at once. */
static int revoked(void *arg)
{
	struct { uint32_t peer; struct pv_gnttab_map *m; } *a = arg;
	int32_t rc = map(a->peer, 1, 0, a->m);
	if (rc == 0)
		unmap(a->m->handle);
	return rc == -PV_EACCES;
}

static int mapper(uint32_t peer)
{
	struct pv_gnttab_map m1, m;
	struct { uint32_t peer; struct pv_gnttab_map *m; } want = { peer, &m1 };
	if (wait_for(mapped, &want, 5000))
		return printk("grant: mapper: ref 1 of domain %u never became mappable\n", peer), 1;
	/* Map the window frame into our kernel space and use it. */
	volatile char *x = (volatile char *)m1.gpa;
	expect("map the window frame", pt_map(kernel_pml4, m1.gpa, m1.gpa, RW) | pt_flush(), 0);
	struct { const char *s; volatile char *p; } hello = { "hello from the granter", x };
	expect("read the granted frame", has(&hello), 1);

	/* Every refusal. */
	expect("ref 2 (read-only) mapped writable", map(peer, 2, 0, &m), -PV_EPERM);
	expect("ref 2 mapped read-only", map(peer, 2, PV_GNTMAP_readonly, &m), 0);
	struct { const char *s; volatile char *p; } ro = { "read-only from the granter", (char *)m.gpa };
	pt_map(kernel_pml4, m.gpa, m.gpa, PTE_P | PTE_US);
	pt_flush();
	expect("read the read-only grant", has(&ro), 1);
	pt_unmap(kernel_pml4, m.gpa);
	pt_flush();
	tlb_flush();
	expect("unmap it", unmap(m.handle), 0);
	expect("unmap it twice", unmap(m.handle), -PV_EINVAL);
	expect("ref 3 (granted to domain 99)", map(peer, 3, 0, &m), -PV_EPERM);
	expect("ref 4 (offered for a transfer)", map(peer, 4, 0, &m), -PV_EACCES);
	expect("ref 999 (past the table)", map(peer, 999, 0, &m), -PV_EINVAL);
	expect("a domain that does not exist", map(77, 1, 0, &m), -PV_ESRCH);
	expect("our own grant", map(start_info->domid, 1, 0, &m), -PV_EINVAL);
	expect("bad map flags", map(peer, 1, 0x80, &m), -PV_EINVAL);
	expect("unmap handle 9999", unmap(9999), -PV_EINVAL);
	expect("a batch of 0", HYPERVISOR_grant_table_op(PV_GNTTABOP_map_grant_ref, &m, 0), -PV_EINVAL);
	expect("a bad pointer", HYPERVISOR_grant_table_op(PV_GNTTABOP_map_grant_ref,
	       (void *)(start_info->nr_pages * 4096 + 4096), 1), -PV_EFAULT);
	expect("unknown command", HYPERVISOR_grant_table_op(42, &m, 1), -PV_EINVAL);

	/* Copies through grants. */
	char *local = page_alloc(1);
	struct pv_gnttab_copy c = {
		.source = { peer, 1, 0, 0 }, .dest = { 0, (uint32_t)((uint64_t)local / 4096), 0, 0 },
		.len = 22, .flags = PV_GNTCOPY_source_gref,
	};
	expect("copy from ref 1", gnt(PV_GNTTABOP_copy, &c) | c.status, 0);
	expect("  the bytes", memcmp(local, "hello from the granter", 22), 0);
	c.dest = (struct pv_gnttab_copy_ptr){ peer, 2, 0, 0 };
	c.source = (struct pv_gnttab_copy_ptr){ 0, (uint32_t)((uint64_t)local / 4096), 0, 0 };
	c.flags = PV_GNTCOPY_dest_gref;
	gnt(PV_GNTTABOP_copy, &c);
	expect("copy into the read-only ref 2", c.status, -PV_EPERM);
	c.dest.ref_or_gfn = 1;
	c.dest.offset = 4090;
	gnt(PV_GNTTABOP_copy, &c);
	expect("copy past the end of the frame", c.status, -PV_EINVAL);

	/* Hand back ref 1 and see the granter revoke it. */
	strcpy((char *)x + 512, "reply from the mapper");
	struct { const char *s; volatile char *p; } go = { "unmap now", x + 1024 };
	expect("told to unmap", wait_for(has, &go, 5000), 0);
	pt_unmap(kernel_pml4, m1.gpa);
	pt_flush();
	tlb_flush();
	expect("unmap ref 1", unmap(m1.handle), 0);
	struct { uint32_t peer; struct pv_gnttab_map *m; } again = { peer, &m };
	expect("ref 1 revoked", wait_for(revoked, &again, 5000), 0);
	/* Transfers: refused for a mapped or pinned frame, a wrong ref. */
	uint64_t t = unmapped_frame("flipped by the mapper");
	expect("transfer a mapped frame", transfer((uint64_t)local / 4096, peer, 4), -PV_EBUSY);
	expect("transfer a page-table frame", transfer(kernel_pml4 / 4096, peer, 4), -PV_EBUSY);
	expect("transfer to a ref not offered", transfer(t, peer, 1), -PV_EINVAL);
	expect("transfer past RAM", transfer(start_info->nr_pages, peer, 4), -PV_EBUSY);
	expect("transfer (page flip)", transfer(t, peer, 4), 0);
	expect("transfer twice", transfer(t, peer, 4), -PV_EINVAL);
	/* What we have at t now is a clean frame of our own. */
	pt_map(kernel_pml4, t * 4096, t * 4096, RW);
	pt_flush();
	expect("the frame we got back is zeroed", *(volatile uint64_t *)(t * 4096), 0);
	/* Then tell the granter it may end (a copy into its ref 5). */
	strcpy(local, "mapper done");
	c = (struct pv_gnttab_copy){
		.source = { 0, (uint32_t)((uint64_t)local / 4096), 0, 0 }, .dest = { peer, 5, 0, 0 },
		.len = 12, .flags = PV_GNTCOPY_dest_gref,
	};
	expect("copy our last word into ref 5", gnt(PV_GNTTABOP_copy, &c) | c.status, 0);

	return tally_done(&tally);
}

int prog_grant(void);
int prog_grant(void)
{
	char r[16];
	const char *role = cmdline_get("role", "granter", r, sizeof(r));
	tally.who = !strcmp(role, "mapper") ? "grant: mapper" : "grant: granter";
	uint32_t peer = (uint32_t)cmdline_num("peer", 0);
	if (!peer)
		return printk("grant: give peer=DOMID\n"), 2;
	return !strcmp(role, "mapper") ? mapper(peer) : granter(peer);
}
