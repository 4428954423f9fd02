/* Xen's page-type accounting over a Linux PV domain's RAM (xen_mm.h):
 * every table the CPU can walk was validated here, and no frame typed as
 * a table is writable through a validated L1 entry. Pure: no KVM, no
 * locks (the caller holds the domain's). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xen_mm.h"

#define ENTRIES 512
/* Xen's disallow masks (xen_mm.h) */
#define L1_DISALLOW XMM_L1_DISALLOW
#define LN_DISALLOW (XMM_L1_DISALLOW | 0x100ULL)

static uint64_t *table(const struct xen_mm *m, uint64_t mfn)
{
	return m->ram + mfn * ENTRIES;
}

static bool is_hv_slot(enum xmm_type lvl, unsigned i)
{
	return lvl == XMM_L4 && i >= XMM_HV_FIRST && i <= XMM_HV_LAST;
}

int xmm_init(struct xen_mm *m, uint64_t *ram, uint64_t nr_frames, uint64_t shared_mfn, void *shared,
             struct xmm_page *pg)
{
	memset(m, 0, sizeof(*m));
	m->pg = pg ? pg : calloc(nr_frames, sizeof(*m->pg));
	if (!m->pg)
		return -ENOMEM;
	m->pg_given = pg != NULL;
	m->ram = ram;
	m->nr_frames = nr_frames;
	m->shared_mfn = shared_mfn;
	m->shared = shared;
	m->shared_n = 1;
	m->tlb_clock = &m->tlb_clock_own;
	*m->tlb_clock = 1;
	return 0;
}

void xmm_destroy(struct xen_mm *m)
{
	if (!m->pg_given)
		free(m->pg);
	m->pg = NULL;
}

uint64_t xmm_adjust(uint64_t e, enum xmm_type lvl)
{
	if (!(e & XMM_PTE_P))
		return e;
	e |= XMM_PTE_US;
	if (lvl == XMM_L1)
		e &= ~XMM_PTE_G;
	return e;
}

static void put_entry(struct xen_mm *m, enum xmm_type lvl, uint64_t e);

/* Xen's get_page_from_lNe: what a present entry of level lvl references. */
static int get_entry(struct xen_mm *m, enum xmm_type lvl, uint64_t e)
{
	if (!(e & XMM_PTE_P))
		return 0;
	uint64_t mfn = (e & XMM_PTE_ADDR) >> 12;
	if (e & (lvl == XMM_L1 ? L1_DISALLOW : LN_DISALLOW))
		return -EINVAL;
	if (lvl == XMM_L1) {
		if (xmm_xen_frame(m, mfn))
			return 0;
		if (mfn >= m->nr_frames || m->pg[mfn].out)
			return -EINVAL;
		return (e & XMM_PTE_RW) ? xmm_get_type(m, mfn, XMM_WRITABLE) : 0;
	}
	if (mfn >= m->nr_frames)
		return -EINVAL;
	return xmm_get_type(m, mfn, (enum xmm_type)(lvl - 1));
}

static void put_entry(struct xen_mm *m, enum xmm_type lvl, uint64_t e)
{
	if (!(e & XMM_PTE_P))
		return;
	uint64_t mfn = (e & XMM_PTE_ADDR) >> 12;
	if (lvl == XMM_L1 && (!(e & XMM_PTE_RW) || xmm_xen_frame(m, mfn)))
		return;
	if (mfn >= m->nr_frames) {           /* validated entries never name one */
		m->corrupt = "a typed table names a frame outside RAM";
		return;
	}
	xmm_put_type(m, mfn);
}

/* Validate every entry of table mfn as level lvl, in place (adjusted);
 * on a refusal release what was taken. */
static int validate(struct xen_mm *m, uint64_t mfn, enum xmm_type lvl)
{
	uint64_t *t = table(m, mfn);
	m->validations++;
	for (unsigned i = 0; i < ENTRIES; i++) {
		if (is_hv_slot(lvl, i)) {
			t[i] = m->hv_l4e[i - XMM_HV_FIRST];
			continue;
		}
		uint64_t e = t[i];
		int rc = get_entry(m, lvl, e);
		if (rc) {
			for (unsigned j = 0; j < i; j++)
				if (!is_hv_slot(lvl, j))
					put_entry(m, lvl, t[j]);
			return rc;
		}
		t[i] = xmm_adjust(e, lvl);
	}
	return 0;
}

static void devalidate(struct xen_mm *m, uint64_t mfn, enum xmm_type lvl)
{
	uint64_t *t = table(m, mfn);
	for (unsigned i = 0; i < ENTRIES; i++) {
		/* pvmon's entries stay, as Xen leaves its own: the CPU may still
		 * be on this table (a NEW_BASEPTR drops the old base before the
		 * stub, running in that table's slot 257, loads the new CR3), and
		 * they are rewritten whenever the frame is validated again. */
		if (!is_hv_slot(lvl, i))
			put_entry(m, lvl, t[i]);
	}
}

int xmm_get_type(struct xen_mm *m, uint64_t mfn, enum xmm_type t)
{
	if (m->corrupt)
		return -EIO;
	if (mfn >= m->nr_frames || t == XMM_NONE)
		return -EINVAL;
	struct xmm_page *p = &m->pg[mfn];
	if (p->out)
		return -EINVAL;
	if (p->count) {
		if (p->type != t)
			return -EINVAL;
		if (p->count == UINT32_MAX)
			return -EOVERFLOW;
		p->count++;
		return 0;
	}
	/* Typed before its entries are: a table naming itself (or a loop)
	 * then meets a type it cannot take, and fails. */
	if (t >= XMM_L1 && p->wstamp && m->flush) {
		/* Its last writable mapping may live on in another vCPU's TLB:
		 * Xen's flush_tlb_mask before the type change (and before the
		 * validation reads entries a stale mapping could still write). */
		int rc = m->flush(m->flush_ctx, p->wstamp);
		if (rc)
			return rc;
		m->flushes++;
	}
	p->type = (uint8_t)t;
	p->count = 1;
	if (t >= XMM_L1) {
		if (m->shadow) {
			if (m->zap)
				m->zap(m->zap_ctx, mfn);
			p->walked = 1;
		}
		int rc = validate(m, mfn, t);
		if (rc) {
			p->type = XMM_NONE;
			p->count = 0;
			return rc;
		}
	}
	return 0;
}

/* The clock once the entry that dropped a writable reference is visible
 * to every CPU (a store may pass a later load: the fence), so that a
 * vCPU whose reload the clock counts after the stamp walked the new entry. */
uint64_t xmm_tlb_stamp(const struct xen_mm *m)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(m->tlb_clock, __ATOMIC_SEQ_CST);
}

void xmm_put_type(struct xen_mm *m, uint64_t mfn)
{
	if (mfn >= m->nr_frames || !m->pg[mfn].count) {
		m->corrupt = "a type reference dropped twice";
		return;
	}
	struct xmm_page *p = &m->pg[mfn];
	if (--p->count)
		return;
	enum xmm_type t = (enum xmm_type)p->type;
	p->type = XMM_NONE;
	p->pinned = 0;
	if (t == XMM_WRITABLE)
		p->wstamp = xmm_tlb_stamp(m);
	if (t >= XMM_L1) {
		p->count = 1;          /* held while its entries go (loops stay refused) */
		p->type = (uint8_t)t;
		devalidate(m, mfn, t);
		p->count = 0;
		p->type = XMM_NONE;
	}
}

int xmm_pin(struct xen_mm *m, uint64_t mfn, enum xmm_type level)
{
	if (level < XMM_L1 || level > XMM_L4 || mfn >= m->nr_frames)
		return -EINVAL;
	if (m->pg[mfn].pinned)
		return -EINVAL;
	int rc = xmm_get_type(m, mfn, level);
	if (rc)
		return rc;
	m->pg[mfn].pinned = 1;
	return 0;
}

int xmm_unpin(struct xen_mm *m, uint64_t mfn)
{
	if (mfn >= m->nr_frames || !m->pg[mfn].pinned)
		return -EINVAL;
	m->pg[mfn].pinned = 0;
	xmm_put_type(m, mfn);
	return 0;
}

/* What replacing entry old by val (level lvl) took from a translation
 * KVM may hold: an L1's old frame when the new entry maps another, none,
 * or the same one read-only; everything for an upper level's change. */
static void note_lost(struct xen_mm *m, enum xmm_type lvl, uint64_t old, uint64_t val)
{
	if (!(old & XMM_PTE_P))
		return;                    /* KVM walks a missing entry again on a fault */
	bool same = (val & XMM_PTE_P) && (old & XMM_PTE_ADDR) == (val & XMM_PTE_ADDR) &&
	            ((val & XMM_PTE_RW) || !(old & XMM_PTE_RW)) && ((val & XMM_PTE_US) || !(old & XMM_PTE_US)) &&
	            (!(val & XMM_PTE_NX) || (old & XMM_PTE_NX));
	if (same)
		return;                    /* rights kept or added: KVM takes them on its next fault */
	if (lvl != XMM_L1 || m->nlost == sizeof(m->lost) / sizeof(m->lost[0])) {
		m->lost_all = true;
		return;
	}
	m->lost[m->nlost++] = (old & XMM_PTE_ADDR) >> 12;
}

void xmm_shadow_reset(struct xen_mm *m)
{
	for (uint64_t f = 0; f < m->nr_frames; f++)
		m->pg[f].walked = m->pg[f].count && m->pg[f].type >= XMM_L1;
	m->nlost = 0;
	m->lost_all = false;
}

int xmm_balloon_out(struct xen_mm *m, uint64_t mfn)
{
	if (m->corrupt)
		return -EIO;
	if (mfn >= m->nr_frames || xmm_xen_frame(m, mfn) || m->pg[mfn].out)
		return -EINVAL;
	if (m->pg[mfn].count && m->pg[mfn].type >= XMM_L1)
		return -EBUSY;                  /* a table the CPU may walk */
	m->pg[mfn].out = 1;
	m->out_frames++;
	m->given++;
	return 0;
}

int xmm_balloon_in(struct xen_mm *m, uint64_t mfn)
{
	if (m->corrupt)
		return -EIO;
	if (mfn >= m->nr_frames || !m->pg[mfn].out)
		return -EINVAL;
	m->pg[mfn].out = 0;
	m->out_frames--;
	m->taken++;
	return 0;
}

int xmm_update(struct xen_mm *m, uint64_t ptr, uint64_t val, bool preserve_ad)
{
	if (m->corrupt)
		return -EIO;
	uint64_t mfn = ptr >> 12;
	unsigned i = (unsigned)(ptr & 0xfff) / 8;
	if ((ptr & 7) || mfn >= m->nr_frames || m->pg[mfn].out)
		return -EINVAL;
	uint64_t *t = table(m, mfn);
	struct xmm_page *p = &m->pg[mfn];
	enum xmm_type lvl = p->count ? (enum xmm_type)p->type : XMM_NONE;
	m->updates++;
	if (lvl < XMM_L1) {               /* not a table: a plain store (Xen: writable page) */
		if (p->walked && t[i] != val)
			m->lost_all = m->shadow;  /* KVM may keep its shadow of what it was */
		t[i] = val;
		return 0;
	}
	if (is_hv_slot(lvl, i))
		return -EPERM;
	int rc = get_entry(m, lvl, val);
	if (rc)
		return rc;
	uint64_t old = t[i];
	val = xmm_adjust(val, lvl);
	if (preserve_ad)
		val |= old & (XMM_PTE_A | XMM_PTE_D);
	t[i] = val;
	if (m->shadow)
		note_lost(m, lvl, old, val);
	put_entry(m, lvl, old);
	return 0;
}

static bool canonical(uint64_t va)
{
	uint64_t top = va >> 47;
	return top == 0 || top == 0x1ffff;
}

void *xmm_host(const struct xen_mm *m, uint64_t maddr, size_t len)
{
	uint64_t mfn = maddr >> 12;
	if (len > 4096 - (maddr & 4095))
		return NULL;
	if (mfn < m->nr_frames)
		return m->pg[mfn].out ? NULL : (uint8_t *)m->ram + maddr;
	if (xmm_xen_frame(m, mfn) && m->shared)
		return (uint8_t *)m->shared + (mfn - m->shared_mfn) * 4096 + (maddr & 4095);
	return NULL;
}

int xmm_walk(const struct xen_mm *m, uint64_t l4, uint64_t va, bool write, uint64_t *maddr, uint64_t *l1e)
{
	unsigned slot = (unsigned)(va >> 39) & 511;
	if (!canonical(va) || (slot >= XMM_HV_FIRST && slot <= XMM_HV_LAST) || l4 >= m->nr_frames)
		return -EFAULT;
	uint64_t mfn = l4, e = 0;
	for (int level = 3; level >= 0; level--) {
		if (mfn >= m->nr_frames)
			return -EFAULT;
		unsigned idx = (unsigned)(va >> (12 + 9 * level)) & 511;
		uint64_t at = mfn * 4096 + idx * 8;
		e = __atomic_load_n(&table(m, mfn)[idx], __ATOMIC_RELAXED);
		if (!(e & XMM_PTE_P) || (write && !(e & XMM_PTE_RW)) || (level && level < 3 && (e & 0x80)))
			return -EFAULT;
		if (level == 0 && l1e)
			*l1e = at;
		mfn = (e & XMM_PTE_ADDR) >> 12;
	}
	*maddr = (mfn << 12) | (va & 4095);
	return xmm_host(m, *maddr, 1) ? 0 : -EFAULT;
}

/* xmm_check: count what the typed tables, pins and bases hold. */
int xmm_check(const struct xen_mm *m, const uint64_t *base, unsigned nbase, char *why, size_t len)
{
	uint32_t *want = calloc(m->nr_frames, sizeof(*want));
	uint8_t *type = calloc(m->nr_frames, 1);
	int rc = 0;
	if (!want || !type) {
		free(want);
		free(type);
		return -ENOMEM;
	}
#define FAIL(...) do { snprintf(why, len, __VA_ARGS__); rc = -EINVAL; goto out; } while (0)
	for (uint64_t f = 0; f < m->nr_frames; f++) {
		const struct xmm_page *p = &m->pg[f];
		if (p->pinned) {
			want[f]++;
			type[f] = p->type;
		}
		if (!p->count || p->type < XMM_L1)
			continue;
		const uint64_t *t = table(m, f);
		for (unsigned i = 0; i < ENTRIES; i++) {
			uint64_t e = t[i];
			if (is_hv_slot((enum xmm_type)p->type, i)) {
				if (e != m->hv_l4e[i - XMM_HV_FIRST])
					FAIL("L4 %#llx slot %u is not pvmon's", (unsigned long long)f, i);
				continue;
			}
			if (!(e & XMM_PTE_P))
				continue;
			uint64_t c = (e & XMM_PTE_ADDR) >> 12;
			enum xmm_type need = p->type == XMM_L1 ? XMM_WRITABLE : (enum xmm_type)(p->type - 1);
			if (p->type == XMM_L1 && (!(e & XMM_PTE_RW) || xmm_xen_frame(m, c)))
				continue;
			if (c >= m->nr_frames)
				FAIL("frame %#llx entry %u names %#llx outside RAM", (unsigned long long)f, i, (unsigned long long)c);
			if (type[c] && type[c] != need)
				FAIL("frame %#llx is named as two types", (unsigned long long)c);
			type[c] = (uint8_t)need;
			want[c]++;
		}
	}
	for (unsigned b = 0; b < nbase; b++) {
		if (base[b] >= m->nr_frames)
			FAIL("base %#llx outside RAM", (unsigned long long)base[b]);
		want[base[b]]++;
		if (type[base[b]] && type[base[b]] != XMM_L4)
			FAIL("base %#llx is not an L4", (unsigned long long)base[b]);
		type[base[b]] = XMM_L4;
	}
	uint64_t nout = 0;
	for (uint64_t f = 0; f < m->nr_frames; f++) {
		nout += m->pg[f].out;
		if (m->pg[f].out && want[f] && type[f] >= XMM_L1)
			FAIL("frame %#llx is ballooned out and a table", (unsigned long long)f);
		if (want[f] != m->pg[f].count)
			FAIL("frame %#llx counts %u, its references %u", (unsigned long long)f, m->pg[f].count, want[f]);
		if (want[f] && type[f] != m->pg[f].type)
			FAIL("frame %#llx is typed %u, named as %u", (unsigned long long)f, m->pg[f].type, type[f]);
	}
	if (nout != m->out_frames)
		FAIL("%llu frames are out, the count says %llu", (unsigned long long)nout, (unsigned long long)m->out_frames);
#undef FAIL
out:
	free(want);
	free(type);
	return rc;
}
