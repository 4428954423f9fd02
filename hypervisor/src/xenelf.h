/* Which guest ABI a kernel ELF speaks, from its notes: Xen's x86-64 PV ABI
 * (notes named "Xen", XEN_ELFNOTE_* of libxen-dev's public/elfnote.h) or
 * pvlab's (the "pvlab" note pvos carries, PV_NOTE_* in include/pvlab/pv.h).
 * Every note is validated; the ELF is untrusted input. */
#ifndef PVMON_XENELF_H
#define PVMON_XENELF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xenelf_kind { XENELF_NEITHER, XENELF_XEN_PV, XENELF_PVLAB };

#define XENELF_STR 64          /* the longest string note kept (with its NUL) */
#define XENELF_MFN_VALID 4     /* the most L1_MFN_VALID mask/value pairs kept */

/* What the notes say. A field whose note is absent holds Xen's default
 * (libelf's): entry = e_entry, virt_base = paddr_offset = 0. */
struct xenelf_notes {
	uint32_t present;           /* bit n: a note of type n (XEN_ELFNOTE_INFO .. _PHYS32_ENTRY) was seen */
	uint64_t entry;             /* ENTRY: virtual entry point */
	uint64_t hypercall_page;    /* HYPERCALL_PAGE: virtual address; absent on kernels with the XSA-466 fix */
	uint64_t virt_base;         /* VIRT_BASE: where pseudo-physical 0 is mapped */
	uint64_t paddr_offset;      /* PADDR_OFFSET: ELF p_paddr minus the pseudo-physical address */
	uint64_t init_p2m;          /* INIT_P2M: where the kernel can take a relocated p2m list */
	uint64_t hv_start_low;      /* HV_START_LOW */
	uint64_t phys32_entry;      /* PHYS32_ENTRY: PVH entry (not used in PV mode) */
	uint64_t suspend_cancel, mod_start_pfn;
	uint32_t supported_features;        /* SUPPORTED_FEATURES | the FEATURES string's names (XENFEAT_* bits) */
	uint32_t required_features;         /* FEATURES names with '!' */
	unsigned mfn_valid_pairs;
	uint64_t mfn_valid[XENELF_MFN_VALID][2];   /* L1_MFN_VALID mask, value */
	char xen_version[XENELF_STR], guest_os[XENELF_STR], guest_version[XENELF_STR];
	char loader[XENELF_STR], pae_mode[XENELF_STR], features[XENELF_STR * 4], bsd_symtab[XENELF_STR];
};

struct xenelf {
	enum xenelf_kind kind;
	char why[320];              /* one line: what the kernel is and why */
	uint64_t e_entry;
	uint64_t pstart, pend;      /* the PT_LOAD segments' p_paddr range (pend exclusive) */
	uint64_t vstart, vend;      /* Xen PV: their virtual range, p_paddr + virt_base - paddr_offset */
	struct xenelf_notes xen;    /* XENELF_XEN_PV only */
	uint32_t pvlab_abi;         /* XENELF_PVLAB only: PV_ABI_VERSION the kernel was built for */
};

/* Classify elf[0..len): 0 with x->kind and x->why filled, or -EINVAL with
 * err saying why (not an x86-64 ELF64 executable, headers or segments
 * outside the file, a malformed note: sizes, alignment, duplicates,
 * strings, values out of range; a Xen kernel pvmon cannot load as Xen
 * would not; a pvlab kernel of another major ABI version). */
int xenelf_parse(const uint8_t *elf, size_t len, struct xenelf *x, char *err, size_t errlen);

const char *xenelf_kind_name(enum xenelf_kind k);
/* The XENFEAT_* name of bit n (libxen-dev's public/features.h), or NULL. */
const char *xenelf_feature_name(unsigned n);
#endif
