/* Page-table validation, after Xen's get_page_type/put_page_type: a pool
 * frame takes a type (table level) when first referenced as one, at which
 * point all its entries are validated and take references of their own;
 * it drops the type, releasing them, when the last reference goes. An entry
 * is therefore always valid for the level of the frame that holds it, and
 * every count equals the number of references that exist (pt_check). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pagetable.h"

#define ENTRIES 512
#define PS_FRAMES 512                   /* 4 KiB frames in a 2 MiB page */
#define PS_RESERVED 0x1fe000ULL         /* bits 13..20 of a 2 MiB entry */
#define PS_ADDR 0x000fffffffe00000ULL
#define COUNT_MAX 0x7fffffffu

static int get_type(struct pagetable *m, uint64_t gpa, int level);
static void put_type(struct pagetable *m, int64_t f);
static void twin_fill(struct pagetable *m, int64_t f);
static void twin_entry(struct pagetable *m, int64_t f, unsigned idx, uint64_t e);

int pt_init(struct pagetable *m, uint64_t ram_frames, uint64_t *pool, uint64_t pool_gpa,
            uint64_t pool_frames, uint64_t hv_frames)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->ram_frames = ram_frames;
	m->pool = pool;
	m->pool_gpa = pool_gpa;
	m->pool_frames = pool_frames;
	m->hv_frames = hv_frames;
	m->map_count = calloc(ram_frames, sizeof(*m->map_count));
	m->ram_flags = calloc(ram_frames, sizeof(*m->ram_flags));
	m->foreign = calloc(ram_frames, sizeof(*m->foreign));
	m->pf = calloc(pool_frames, sizeof(*m->pf));
	if (!m->map_count || !m->ram_flags || !m->foreign || !m->pf) {
		pt_destroy(m);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < hv_frames && i < pool_frames; i++)
		m->pf[i].type = PT_HV;
	return 0;
}

void pt_destroy(struct pagetable *m)
{
	free(m->map_count);
	free(m->ram_flags);
	free(m->foreign);
	free(m->pf);
	m->map_count = NULL;
	m->ram_flags = NULL;
	m->foreign = NULL;
	m->pf = NULL;
	pthread_mutex_destroy(&m->lock);
}

const char *pt_type_name(int type)
{
	static const char *const n[] = { "free", "L1", "L2", "L3", "L4", "hv" };
	return type >= 0 && type <= PT_HV ? n[type] : "?";
}

int64_t pt_pool_index(const struct pagetable *m, uint64_t gpa)
{
	if (gpa < m->pool_gpa || (gpa - m->pool_gpa) >> 12 >= m->pool_frames)
		return -1;
	return (int64_t)((gpa - m->pool_gpa) >> 12);
}

static bool in_leaf_ranges(const struct pagetable *m, uint64_t gpa)
{
	for (int i = 0; i < 2; i++)
		if (m->leaf_ok[i].frames && gpa >= m->leaf_ok[i].gpa &&
		    (gpa - m->leaf_ok[i].gpa) >> 12 < m->leaf_ok[i].frames)
			return true;
	return false;
}

static bool ram_mappable(const struct pagetable *m, uint64_t gfn)
{
	return gfn < m->ram_frames && !(m->ram_flags[gfn] & MMF_GIVEN_BACK);
}

/* Take what a present entry at (level, idx) references. */
static int get_entry(struct pagetable *m, int level, unsigned idx, uint64_t e)
{
	if (!(e & PTE_P))
		return 0;
	uint64_t addr = e & PTE_ADDR;
	switch (level) {
	case PT_L4:
		if (idx >= ENTRIES / 2)
			return -EPERM;                 /* the upper half is not the guest's */
		if (e & PTE_PS)
			return -EINVAL;
		return get_type(m, addr, PT_L3);
	case PT_L3:
		if (e & PTE_PS)
			return -EINVAL;                /* no 1 GiB pages */
		return get_type(m, addr, PT_L2);
	case PT_L2: {
		if (!(e & PTE_PS))
			return get_type(m, addr, PT_L1);
		if (e & PS_RESERVED)
			return -EINVAL;
		uint64_t g0 = (e & PS_ADDR) >> 12;
		if (g0 + PS_FRAMES > m->ram_frames)
			return -EINVAL;
		for (uint64_t g = g0; g < g0 + PS_FRAMES; g++)
			if (!ram_mappable(m, g) || m->map_count[g] >= COUNT_MAX)
				return -EINVAL;
		for (uint64_t g = g0; g < g0 + PS_FRAMES; g++)
			m->map_count[g]++;
		return 0;
	}
	case PT_L1: {
		uint64_t gfn = addr >> 12;
		if (gfn < m->ram_frames) {
			if (!ram_mappable(m, gfn) || m->map_count[gfn] >= COUNT_MAX)
				return -EINVAL;
			m->map_count[gfn]++;
			return 0;
		}
		/* Pool frames are readable only (read-only slot, or read-only
		 * mappings where the slot is writable); windows hold grants. */
		if (pt_pool_index(m, addr) >= 0)
			return m->ro_pool_maps && (e & PTE_RW) ? -EPERM : 0;
		return in_leaf_ranges(m, addr) ? 0 : -EINVAL;
	}
	}
	return -EINVAL;
}

/* An entry read back from the pool contradicts the counts: from now on
 * every call fails and the owner crashes the domain (pt_corrupt). */
static void corrupt(struct pagetable *m, const char *why)
{
	if (!m->corrupt)
		m->corrupt = why;
}

const char *pt_corrupt(const struct pagetable *m)
{
	return __atomic_load_n(&m->corrupt, __ATOMIC_ACQUIRE);
}

/* Drop one leaf mapping of RAM frame g, if the count says there is one. */
static void unmap_ram(struct pagetable *m, uint64_t g)
{
	if (g >= m->ram_frames || !m->map_count[g]) {
		corrupt(m, "a leaf entry names a RAM frame that no count holds");
		return;
	}
	m->map_count[g]--;
}

/* Release exactly what get_entry took for the same entry. The entry comes
 * from the pool, so every frame number in it is checked before it indexes
 * anything: one that get_entry could not have taken marks mm corrupt. */
static void put_entry(struct pagetable *m, int level, uint64_t e)
{
	if (!(e & PTE_P))
		return;
	uint64_t addr = e & PTE_ADDR;
	if (level == PT_L1) {
		if (addr >> 12 < m->ram_frames)
			unmap_ram(m, addr >> 12);
		else if (pt_pool_index(m, addr) < 0 && !in_leaf_ranges(m, addr))
			corrupt(m, "an L1 entry names a frame outside the domain");
		return;
	}
	if (level == PT_L2 && (e & PTE_PS)) {
		uint64_t g0 = (e & PS_ADDR) >> 12;
		if (g0 >= m->ram_frames || m->ram_frames - g0 < PS_FRAMES) {
			corrupt(m, "a 2 MiB entry runs outside RAM");
			return;
		}
		for (uint64_t g = g0; g < g0 + PS_FRAMES; g++)
			unmap_ram(m, g);
		return;
	}
	int64_t f = pt_pool_index(m, addr);
	if (f < 0 || (uint64_t)f < m->hv_frames || m->pf[f].type != level - 1 || !m->pf[f].count) {
		corrupt(m, "an entry names a frame that is not a counted table one level down");
		return;
	}
	put_type(m, f);
}

/* The bits pvmon owns in a present entry: the CPU cannot set accessed or
 * dirty in the read-only pool, so they are set up front. Where the slot is
 * writable (ro_pool_maps) this also keeps the walker from writing, so
 * entries and their L4 twins stay exactly what mm wrote (pt_check). */
static uint64_t normalise(int level, uint64_t e)
{
	if (!(e & PTE_P))
		return e;
	bool leaf = level == PT_L1 || (level == PT_L2 && (e & PTE_PS));
	return e | PTE_A | (leaf ? PTE_D : 0);
}

/* Is entry i of a table of this level the hypervisor area's slot? */
static bool hv_slot(int level, unsigned i)
{
	return level == PT_L4 && i == PT_HV_SLOT;
}

/* Frame f becomes a table of the given level: validate every entry. */
static int promote(struct pagetable *m, int64_t f, int level)
{
	uint64_t *t = m->pool + f * ENTRIES;
	m->pf[f].type = (uint8_t)level;
	m->pf[f].count = 1;
	for (unsigned i = 0; i < ENTRIES; i++) {
		if (hv_slot(level, i)) {
			/* Whatever the guest left there, the slot is pvmon's. */
			__atomic_store_n(&t[i], m->hv_l4e, __ATOMIC_RELEASE);
			continue;
		}
		uint64_t e = normalise(level, t[i]);
		int rc = get_entry(m, level, i, e);
		if (rc) {
			while (i--)
				if (!hv_slot(level, i))
					put_entry(m, level, t[i]);
			m->pf[f].type = PT_FREE;
			m->pf[f].count = 0;
			return rc;
		}
		t[i] = e;
	}
	if (level == PT_L4)
		twin_fill(m, f);
	return 0;
}

static int get_type(struct pagetable *m, uint64_t gpa, int level)
{
	int64_t f = pt_pool_index(m, gpa);
	if (f < 0 || (uint64_t)f < m->hv_frames)
		return -EINVAL;                    /* tables live in the pool, never RAM */
	struct pool_frame *p = &m->pf[f];
	if (p->type == PT_FREE)
		return promote(m, f, level);
	if (p->type != level)
		return -EBUSY;
	if (p->count >= COUNT_MAX)
		return -EINVAL;
	p->count++;
	return 0;
}

static void put_type(struct pagetable *m, int64_t f)
{
	if (f < 0)
		return;
	struct pool_frame *p = &m->pf[f];
	if (--p->count)
		return;
	int level = p->type;
	uint64_t *t = m->pool + f * ENTRIES;
	p->type = PT_FREE;                      /* before the children: no cycles, but be safe */
	for (unsigned i = 0; i < ENTRIES; i++)
		if (!hv_slot(level, i))
			put_entry(m, level, t[i]);
	if (level == PT_L4)
		__atomic_store_n(&t[PT_HV_SLOT], 0, __ATOMIC_RELEASE);   /* a free frame holds no slot of pvmon's */
	if (level == PT_L4 && m->twins)
		memset(m->twins + (uint64_t)f * 2 * ENTRIES, 0, 2 * ENTRIES * sizeof(uint64_t));
	m->stale = true;                        /* the CPU may still cache walks through it */
}

/* Did the entry lose anything a cached translation may still grant? */
static bool reduces(uint64_t old, uint64_t val)
{
	if (!(old & PTE_P))
		return false;
	if (!(val & PTE_P) || (old & PTE_ADDR) != (val & PTE_ADDR) || (old & PTE_PS) != (val & PTE_PS))
		return true;
	return ((old & PTE_RW) && !(val & PTE_RW)) || ((old & PTE_US) && !(val & PTE_US)) ||
	       (!(old & PTE_NX) && (val & PTE_NX));
}

int pt_update(struct pagetable *m, uint64_t ptr, uint64_t val)
{
	if (m->corrupt)
		return -EIO;
	if (ptr & 7)
		return -EINVAL;
	int64_t f = pt_pool_index(m, ptr);
	if (f < 0)
		return -EFAULT;
	struct pool_frame *p = &m->pf[f];
	uint64_t *slot = m->pool + f * ENTRIES + ((ptr >> 3) & (ENTRIES - 1));
	if (p->type == PT_HV)
		return -EPERM;
	if (p->type == PT_FREE) {
		/* Meaningless until it takes a type, when all of it is validated. */
		__atomic_store_n(slot, val, __ATOMIC_RELEASE);
		return 0;
	}
	int level = p->type;
	unsigned idx = (unsigned)((ptr >> 3) & (ENTRIES - 1));
	if (hv_slot(level, idx))
		return -EPERM;                     /* the hypervisor area */
	val = normalise(level, val);
	uint64_t old = *slot;
	if (old == val)
		return 0;
	int rc = get_entry(m, level, idx, val);
	if (rc)
		return rc;
	__atomic_store_n(slot, val, __ATOMIC_RELEASE);
	if (level == PT_L4)
		twin_entry(m, f, idx, val);
	put_entry(m, level, old);
	if (reduces(old, val))
		m->stale = true;
	return 0;
}

int pt_pin(struct pagetable *m, uint64_t gpa, int level)
{
	if (m->corrupt)
		return -EIO;
	int64_t f = pt_pool_index(m, gpa);
	if ((gpa & 4095) || f < 0 || level < PT_L1 || level > PT_L4)
		return -EINVAL;
	if (m->pf[f].pinned)
		return -EBUSY;
	int rc = get_type(m, gpa, level);
	if (!rc)
		m->pf[f].pinned = 1;
	return rc;
}

int pt_unpin(struct pagetable *m, uint64_t gpa)
{
	if (m->corrupt)
		return -EIO;
	int64_t f = pt_pool_index(m, gpa);
	if ((gpa & 4095) || f < 0 || !m->pf[f].pinned)
		return -EINVAL;
	m->pf[f].pinned = 0;
	put_type(m, f);
	return 0;
}

int pt_clear(struct pagetable *m, uint64_t gpa)
{
	if (m->corrupt)
		return -EIO;
	int64_t f = pt_pool_index(m, gpa);
	if ((gpa & 4095) || f < 0)
		return -EINVAL;
	if (m->pf[f].type != PT_FREE)
		return -EBUSY;
	memset(m->pool + f * ENTRIES, 0, ENTRIES * sizeof(uint64_t));
	return 0;
}

int pt_get_base(struct pagetable *m, uint64_t gpa)
{
	if (m->corrupt)
		return -EIO;
	int64_t f = pt_pool_index(m, gpa);
	if ((gpa & 4095) || f < 0)
		return -EINVAL;
	if (m->pf[f].bases == UINT16_MAX)
		return -EBUSY;
	int rc = get_type(m, gpa, PT_L4);
	if (!rc)
		m->pf[f].bases++;
	return rc;
}

void pt_put_base(struct pagetable *m, uint64_t gpa)
{
	int64_t f = pt_pool_index(m, gpa);
	if (m->corrupt || f < 0 || !m->pf[f].bases)
		return;
	m->pf[f].bases--;
	put_type(m, f);
}

bool pt_take_stale(struct pagetable *m)
{
	bool s = m->stale;
	m->stale = false;
	return s;
}

bool pt_ram_free_to_give(const struct pagetable *m, uint64_t gfn)
{
	return gfn < m->ram_frames && !m->map_count[gfn] && !m->foreign[gfn] && !m->ram_flags[gfn];
}

/* ---- fast path: L4 twins ------------------------------------------------ */

void pt_set_twins(struct pagetable *m, uint64_t *twins, uint64_t twin_gpa, uint64_t top)
{
	m->twins = twins;
	m->twin_gpa = twin_gpa;
	m->twin_top = top;
}

uint64_t pt_twin(const struct pagetable *m, uint64_t l4_gpa)
{
	int64_t f = pt_pool_index(m, l4_gpa);
	if (!m->twins || f < 0 || (l4_gpa & 4095) || m->pf[f].type != PT_L4)
		return 0;
	return m->twin_gpa + (uint64_t)f * 2 * 4096;
}

static void twin_entry(struct pagetable *m, int64_t f, unsigned idx, uint64_t e)
{
	if (!m->twins || idx >= ENTRIES / 2)
		return;
	uint64_t *k = m->twins + (uint64_t)f * 2 * ENTRIES;
	__atomic_store_n(&k[idx], e, __ATOMIC_RELEASE);
	__atomic_store_n(&k[ENTRIES + idx], e, __ATOMIC_RELEASE);
}

/* Frame f just became an L4: its pair is written whole. */
static void twin_fill(struct pagetable *m, int64_t f)
{
	if (!m->twins)
		return;
	uint64_t *k = m->twins + (uint64_t)f * 2 * ENTRIES, *t = m->pool + f * ENTRIES;
	memset(k, 0, 2 * ENTRIES * sizeof(uint64_t));
	for (unsigned i = 0; i < ENTRIES / 2; i++)
		twin_entry(m, f, i, t[i]);
	__atomic_store_n(&k[ENTRIES - 1], m->twin_top, __ATOMIC_RELEASE);
}

static int check_twin(const struct pagetable *m, uint64_t f, char *why, size_t n)
{
	const uint64_t *k = m->twins + f * 2 * ENTRIES, *t = m->pool + f * ENTRIES;
	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t want = i < ENTRIES / 2 ? t[i] : i == ENTRIES - 1 ? m->twin_top : 0;
		if (k[i] != want || k[ENTRIES + i] != (i < ENTRIES / 2 ? t[i] : 0))
			return snprintf(why, n, "L4 frame %llu: its twin differs at entry %u (0x%llx)",
			                (unsigned long long)f, i, (unsigned long long)k[i]), -EIO;
	}
	return 0;
}

/* ---- consistency check ------------------------------------------------ */

static int fail(char *why, size_t n, const char *fmt, unsigned long long a, unsigned long long b,
                unsigned long long c)
{
	snprintf(why, n, fmt, a, b, c);
	return -EIO;
}

int pt_check(const struct pagetable *m, char *why, size_t n)
{
	if (m->corrupt)
		return snprintf(why, n, "%s", m->corrupt), -EIO;
	uint32_t *refs = calloc(m->pool_frames, sizeof(*refs));
	uint32_t *maps = calloc(m->ram_frames ? m->ram_frames : 1, sizeof(*maps));
	int rc = 0;
	if (!refs || !maps) {
		rc = fail(why, n, "out of memory%llu%llu%llu", 0, 0, 0);
		goto out;
	}
	for (uint64_t f = 0; f < m->pool_frames && !rc; f++) {
		int level = m->pf[f].type;
		if (level == PT_FREE || level == PT_HV)
			continue;
		for (unsigned i = 0; i < ENTRIES && !rc; i++) {
			uint64_t e = m->pool[f * ENTRIES + i];
			if (hv_slot(level, i)) {
				if (e != m->hv_l4e)
					rc = fail(why, n, "L4 frame %llu: hypervisor slot %llu holds 0x%llx", f, i, e);
				continue;
			}
			if (!(e & PTE_P))
				continue;
			uint64_t addr = e & PTE_ADDR;
			if (level == PT_L1) {
				if ((addr >> 12) < m->ram_frames)
					maps[addr >> 12]++;
				else if (m->ro_pool_maps && (e & PTE_RW) && pt_pool_index(m, addr) >= 0)
					rc = fail(why, n, "L1 frame %llu entry %llu maps pool frame 0x%llx writable", f, i, addr);
				else if (pt_pool_index(m, addr) < 0 && !in_leaf_ranges(m, addr))
					rc = fail(why, n, "L1 frame %llu entry %llu names 0x%llx outside the domain", f, i, addr);
				continue;
			}
			if (level == PT_L2 && (e & PTE_PS)) {
				uint64_t g = (e & PS_ADDR) >> 12;
				if (g >= m->ram_frames || m->ram_frames - g < PS_FRAMES)
					rc = fail(why, n, "L2 frame %llu entry %llu: 2 MiB page 0x%llx outside RAM", f, i, e);
				for (uint64_t k = 0; !rc && k < PS_FRAMES; k++)
					maps[g + k]++;
				continue;
			}
			if (level == PT_L4 && i >= ENTRIES / 2) {
				rc = fail(why, n, "L4 frame %llu has upper-half entry %llu (0x%llx)", f, i, e);
				continue;
			}
			int64_t t = pt_pool_index(m, addr);
			if (t < 0 || (uint64_t)t < m->hv_frames || m->pf[t].type != level - 1)
				rc = fail(why, n, "frame %llu entry %llu names 0x%llx, not a table one level down", f, i, addr);
			else
				refs[t]++;
		}
		if (!rc && level == PT_L4 && m->twins)
			rc = check_twin(m, f, why, n);
	}
	for (uint64_t f = 0; f < m->pool_frames && !rc; f++) {
		const struct pool_frame *p = &m->pf[f];
		if (p->type == PT_HV)
			continue;
		uint64_t want = (uint64_t)refs[f] + p->pinned + p->bases;
		if (p->type == PT_FREE && (want || p->count))
			rc = fail(why, n, "free frame %llu has %llu references (count %llu)", f, want, p->count);
		else if (p->type != PT_FREE && want != p->count)
			rc = fail(why, n, "frame %llu: count %llu, references %llu", f, p->count, want);
	}
	for (uint64_t g = 0; g < m->ram_frames && !rc; g++) {
		if (maps[g] != m->map_count[g])
			rc = fail(why, n, "RAM frame %llu: map count %llu, mappings %llu", g, m->map_count[g], maps[g]);
		else if (maps[g] && (m->ram_flags[g] & MMF_GIVEN_BACK))
			rc = fail(why, n, "RAM frame %llu is mapped %llu times but given back%llu", g, maps[g], 0);
	}
out:
	free(refs);
	free(maps);
	return rc;
}
