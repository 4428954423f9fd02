/* Reading a kernel's notes as Xen's libelf does (elf_xen_parse_note, then
 * elf_xen_note_check and elf_xen_addr_calc_check), but refusing what libelf
 * lets pass silently: a duplicate note, a string with bytes after its NUL,
 * a number of an odd size, a value out of range. The note numbers and
 * feature bits are libxen-dev's (xen/elfnote.h, xen/features.h). */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
/* pv.h before xen.h, whose compatibility macros (console_evtchn) would
 * rename pv.h's fields. */
#include "pvlab/pv.h"
#include <xen/elfnote.h>
#include <xen/features.h>
#include <xen/xen.h>
#include "xenelf.h"
#include "xenlayout.h"
#include "kload.h"

#define PAGE 4096ULL
#define MAX_PHDRS 64

enum note_form { NOTE_NONE, NOTE_NUM, NOTE_STR, NOTE_PAIRS };

/* How each Xen note is read (elfnote.h says numeric or string). */
static const struct { uint8_t form; const char *name; } xen_notes[XEN_ELFNOTE_MAX + 1] = {
	[XEN_ELFNOTE_INFO] = { NOTE_STR, "INFO" },
	[XEN_ELFNOTE_ENTRY] = { NOTE_NUM, "ENTRY" },
	[XEN_ELFNOTE_HYPERCALL_PAGE] = { NOTE_NUM, "HYPERCALL_PAGE" },
	[XEN_ELFNOTE_VIRT_BASE] = { NOTE_NUM, "VIRT_BASE" },
	[XEN_ELFNOTE_PADDR_OFFSET] = { NOTE_NUM, "PADDR_OFFSET" },
	[XEN_ELFNOTE_XEN_VERSION] = { NOTE_STR, "XEN_VERSION" },
	[XEN_ELFNOTE_GUEST_OS] = { NOTE_STR, "GUEST_OS" },
	[XEN_ELFNOTE_GUEST_VERSION] = { NOTE_STR, "GUEST_VERSION" },
	[XEN_ELFNOTE_LOADER] = { NOTE_STR, "LOADER" },
	[XEN_ELFNOTE_PAE_MODE] = { NOTE_STR, "PAE_MODE" },
	[XEN_ELFNOTE_FEATURES] = { NOTE_STR, "FEATURES" },
	[XEN_ELFNOTE_BSD_SYMTAB] = { NOTE_STR, "BSD_SYMTAB" },
	[XEN_ELFNOTE_HV_START_LOW] = { NOTE_NUM, "HV_START_LOW" },
	[XEN_ELFNOTE_L1_MFN_VALID] = { NOTE_PAIRS, "L1_MFN_VALID" },
	[XEN_ELFNOTE_SUSPEND_CANCEL] = { NOTE_NUM, "SUSPEND_CANCEL" },
	[XEN_ELFNOTE_INIT_P2M] = { NOTE_NUM, "INIT_P2M" },
	[XEN_ELFNOTE_MOD_START_PFN] = { NOTE_NUM, "MOD_START_PFN" },
	[XEN_ELFNOTE_SUPPORTED_FEATURES] = { NOTE_NUM, "SUPPORTED_FEATURES" },
	[XEN_ELFNOTE_PHYS32_ENTRY] = { NOTE_NUM, "PHYS32_ENTRY" },
};

/* The FEATURES string names XENFEAT_* without the prefix (features.h; its
 * grant_map_identity, 12, is withdrawn there and so unknown here). */
#define FEAT(n) [XENFEAT_##n] = #n
static const char *const feature_names[32] = {
	FEAT(writable_page_tables), FEAT(writable_descriptor_tables), FEAT(auto_translated_physmap),
	FEAT(supervisor_mode_kernel), FEAT(pae_pgdir_above_4gb), FEAT(mmu_pt_update_preserve_ad),
	FEAT(highmem_assist), FEAT(gnttab_map_avail_bits), FEAT(hvm_callback_vector),
	FEAT(hvm_safe_pvclock), FEAT(hvm_pirqs), FEAT(dom0),
	FEAT(memory_op_vnode_supported), FEAT(ARM_SMCCC_supported), FEAT(linux_rsdp_unrestricted),
	FEAT(not_direct_mapped), FEAT(direct_mapped),
};
#undef FEAT

const char *xenelf_feature_name(unsigned n)
{
	return n < 32 ? feature_names[n] : NULL;
}

const char *xenelf_kind_name(enum xenelf_kind k)
{
	switch (k) {
	case XENELF_XEN_PV: return "Xen PV kernel";
	case XENELF_PVLAB: return "pvlab kernel";
	default: return "neither";
	}
}

/* Where the notes were found, for the checks after the walk. */
struct scan {
	struct xenelf *x;
	int xen_notes, pvlab_notes;
	char *err;
	size_t errlen;
};

static int read_string(const uint8_t *d, uint32_t n, char *out, size_t outlen, const char *what,
                       char *err, size_t errlen)
{
	uint32_t len = 0;
	while (len < n && d[len])
		len++;
	for (uint32_t i = len; i < n; i++)
		if (d[i])
			return kload_refuse(err, errlen, "Xen note %s: bytes after the string's NUL", what);
	if (len >= outlen)
		return kload_refuse(err, errlen, "Xen note %s: a string of %u bytes (at most %zu)", what, len, outlen - 1);
	for (uint32_t i = 0; i < len; i++)
		if (d[i] < 0x20 || d[i] > 0x7e)
			return kload_refuse(err, errlen, "Xen note %s: byte 0x%02x at %u is not printable", what, d[i], i);
	memcpy(out, d, len);
	out[len] = 0;
	return 0;
}

/* "name|!name|...": '!' marks a feature the kernel cannot run without. */
static int parse_features(struct xenelf_notes *n, char *err, size_t errlen)
{
	const char *s = n->features;
	while (*s) {
		int req = *s == '!';
		s += req;
		size_t len = strcspn(s, "|");
		unsigned bit;
		for (bit = 0; bit < 32; bit++)
			if (feature_names[bit] && strlen(feature_names[bit]) == len && !strncmp(s, feature_names[bit], len))
				break;
		if (bit == 32)
			return kload_refuse(err, errlen, "Xen note FEATURES: unknown feature \"%.*s\"", (int)len, s);
		n->supported_features |= 1u << bit;
		if (req)
			n->required_features |= 1u << bit;
		s += len;
		if (*s == '|' && !*++s)
			return kload_refuse(err, errlen, "Xen note FEATURES: ends with '|'");
	}
	return 0;
}

static int xen_note(struct scan *sc, uint32_t type, const uint8_t *d, uint32_t n)
{
	struct xenelf_notes *xn = &sc->x->xen;
	char *err = sc->err;
	size_t errlen = sc->errlen;
	sc->xen_notes++;
	if (type > XEN_ELFNOTE_MAX || !xen_notes[type].form)
		return 0;            /* as libelf: notes it does not know (crash, dump-core) are skipped */
	const char *what = xen_notes[type].name;
	if ((xn->present & (1u << type)) && type != XEN_ELFNOTE_INFO)
		return kload_refuse(err, errlen, "Xen note %s appears twice", what);
	xn->present |= 1u << type;
	uint64_t v = 0;
	switch (xen_notes[type].form) {
	case NOTE_NUM:
		if (n != 1 && n != 2 && n != 4 && n != 8)
			return kload_refuse(err, errlen, "Xen note %s: a number of %u bytes (1, 2, 4 or 8)", what, n);
		for (uint32_t i = 0; i < n; i++)
			v |= (uint64_t)d[i] << (8 * i);
		break;
	case NOTE_PAIRS:
		if (n == 0 || n % 16 || n / 16 > XENELF_MFN_VALID)
			return kload_refuse(err, errlen, "Xen note %s: %u bytes, not 1 to %d mask/value pairs of 8 bytes",
			                    what, n, XENELF_MFN_VALID);
		xn->mfn_valid_pairs = n / 16;
		memcpy(xn->mfn_valid, d, n);
		return 0;
	default:
		if (n == 0)
			return kload_refuse(err, errlen, "Xen note %s: an empty string", what);
	}
	switch (type) {
	case XEN_ELFNOTE_INFO: {      /* NAME=VALUE pairs: checked, not kept */
		char info[XENELF_STR * 4];
		return read_string(d, n, info, sizeof(info), what, err, errlen);
	}
	case XEN_ELFNOTE_XEN_VERSION: return read_string(d, n, xn->xen_version, XENELF_STR, what, err, errlen);
	case XEN_ELFNOTE_GUEST_OS: return read_string(d, n, xn->guest_os, XENELF_STR, what, err, errlen);
	case XEN_ELFNOTE_GUEST_VERSION: return read_string(d, n, xn->guest_version, XENELF_STR, what, err, errlen);
	case XEN_ELFNOTE_LOADER: return read_string(d, n, xn->loader, XENELF_STR, what, err, errlen);
	case XEN_ELFNOTE_PAE_MODE: return read_string(d, n, xn->pae_mode, XENELF_STR, what, err, errlen);
	case XEN_ELFNOTE_BSD_SYMTAB: return read_string(d, n, xn->bsd_symtab, XENELF_STR, what, err, errlen);
	case XEN_ELFNOTE_FEATURES: {
		int rc = read_string(d, n, xn->features, sizeof(xn->features), what, err, errlen);
		return rc ? rc : parse_features(xn, err, errlen);
	}
	case XEN_ELFNOTE_ENTRY: xn->entry = v; break;
	case XEN_ELFNOTE_HYPERCALL_PAGE: xn->hypercall_page = v; break;
	case XEN_ELFNOTE_VIRT_BASE: xn->virt_base = v; break;
	case XEN_ELFNOTE_PADDR_OFFSET: xn->paddr_offset = v; break;
	case XEN_ELFNOTE_HV_START_LOW: xn->hv_start_low = v; break;
	case XEN_ELFNOTE_SUSPEND_CANCEL: xn->suspend_cancel = v; break;
	case XEN_ELFNOTE_INIT_P2M: xn->init_p2m = v; break;
	case XEN_ELFNOTE_MOD_START_PFN: xn->mod_start_pfn = v; break;
	case XEN_ELFNOTE_PHYS32_ENTRY: xn->phys32_entry = v; break;
	case XEN_ELFNOTE_SUPPORTED_FEATURES:
		if (v >> 32)
			return kload_refuse(err, errlen, "Xen note %s: 0x%llx has bits beyond the 32 features", what,
			                    (unsigned long long)v);
		xn->supported_features |= (uint32_t)v;
		break;
	}
	return 0;
}

static int pvlab_note(struct scan *sc, uint32_t type, const uint8_t *d, uint32_t n)
{
	if (type != PV_NOTE_ABI)
		return kload_refuse(sc->err, sc->errlen, "pvlab note of unknown type %u", type);
	if (sc->pvlab_notes++)
		return kload_refuse(sc->err, sc->errlen, "pvlab note appears twice");
	if (n != 4)
		return kload_refuse(sc->err, sc->errlen, "pvlab note: %u bytes, not the 4 of an ABI version", n);
	sc->x->pvlab_abi = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
	return 0;
}

/* One PT_NOTE segment: Elf64_Nhdr, name and desc each padded to align. */
static int scan_notes(struct scan *sc, const uint8_t *p, uint64_t size, uint64_t align)
{
	uint64_t pos = 0;
	while (pos < size) {
		Elf64_Nhdr h;
		if (size - pos < sizeof(h))
			return kload_refuse(sc->err, sc->errlen, "note at segment offset %llu: header truncated",
			                    (unsigned long long)pos);
		memcpy(&h, p + pos, sizeof(h));
		uint64_t name = pos + sizeof(h);
		uint64_t namepad = ((uint64_t)h.n_namesz + align - 1) & ~(align - 1);
		if (namepad > size - name)
			return kload_refuse(sc->err, sc->errlen, "note at segment offset %llu: name of %u bytes past the segment",
			                    (unsigned long long)pos, h.n_namesz);
		uint64_t desc = name + namepad;
		if (h.n_descsz > size - desc)
			return kload_refuse(sc->err, sc->errlen, "note at segment offset %llu: desc of %u bytes past the segment",
			                    (unsigned long long)pos, h.n_descsz);
		uint64_t next = desc + (((uint64_t)h.n_descsz + align - 1) & ~(align - 1));
		const char *nm = (const char *)p + name;
		int rc = 0;
		if (h.n_namesz == sizeof("Xen") && !memcmp(nm, "Xen", sizeof("Xen")))
			rc = xen_note(sc, h.n_type, p + desc, h.n_descsz);
		else if (h.n_namesz == sizeof(PV_NOTE_NAME) && !memcmp(nm, PV_NOTE_NAME, sizeof(PV_NOTE_NAME)))
			rc = pvlab_note(sc, h.n_type, p + desc, h.n_descsz);
		if (rc)
			return rc;
		pos = next;          /* past the end only by the last desc's padding */
	}
	return 0;
}

/* Xen's checks of a PV kernel (libelf), and pvmon's of the values' ranges. */
static int check_xen(struct xenelf *x, char *err, size_t errlen)
{
	struct xenelf_notes *n = &x->xen;
	if (!(n->present & (1u << XEN_ELFNOTE_ENTRY)))
		n->entry = x->e_entry;
	if (strcmp(n->loader, "generic") && strcmp(n->guest_os, "linux"))
		return kload_refuse(err, errlen, "Xen kernel for neither the generic loader nor Linux (LOADER \"%s\", GUEST_OS \"%s\")",
		                    n->loader, n->guest_os);
	if (n->xen_version[0] && strcmp(n->xen_version, "xen-3.0"))
		return kload_refuse(err, errlen, "Xen kernel built for \"%s\" (only xen-3.0 exists)", n->xen_version);
	if (n->bsd_symtab[0] && strcmp(n->bsd_symtab, "no"))
		return kload_refuse(err, errlen, "Xen kernel asks for its symbol table (BSD_SYMTAB \"%s\"): not supported", n->bsd_symtab);
	if (!kload_canonical(n->virt_base) || n->virt_base % PAGE)
		return kload_refuse(err, errlen, "Xen note VIRT_BASE 0x%llx is not a canonical, page-aligned address",
		                    (unsigned long long)n->virt_base);
	if (n->paddr_offset > x->pstart)
		return kload_refuse(err, errlen, "Xen note PADDR_OFFSET 0x%llx is above the lowest segment's p_paddr 0x%llx",
		                    (unsigned long long)n->paddr_offset, (unsigned long long)x->pstart);
	uint64_t pp_end = x->pend - n->paddr_offset;       /* pseudo-physical end of the image */
	if (pp_end > UINT64_MAX - n->virt_base)
		return kload_refuse(err, errlen, "Xen kernel's image (VIRT_BASE 0x%llx + 0x%llx) wraps past the top of the address space",
		                    (unsigned long long)n->virt_base, (unsigned long long)pp_end);
	x->vstart = n->virt_base + (x->pstart - n->paddr_offset);
	x->vend = n->virt_base + pp_end;
	int rc = xenlayout_check_range("Xen kernel's image", x->vstart, x->vend, err, errlen);
	if (rc)
		return rc;
	if (n->entry < x->vstart || n->entry >= x->vend)
		return kload_refuse(err, errlen, "Xen kernel's entry 0x%llx is outside its image [0x%llx, 0x%llx)",
		                    (unsigned long long)n->entry, (unsigned long long)x->vstart, (unsigned long long)x->vend);
	if ((n->present & (1u << XEN_ELFNOTE_HYPERCALL_PAGE)) &&
	    (n->hypercall_page % PAGE || n->hypercall_page < x->vstart || n->hypercall_page + PAGE > x->vend))
		return kload_refuse(err, errlen, "Xen note HYPERCALL_PAGE 0x%llx is not a page of the image",
		                    (unsigned long long)n->hypercall_page);
	if ((n->present & (1u << XEN_ELFNOTE_INIT_P2M)) && (!kload_canonical(n->init_p2m) || n->init_p2m % PAGE))
		return kload_refuse(err, errlen, "Xen note INIT_P2M 0x%llx is not a canonical, page-aligned address",
		                    (unsigned long long)n->init_p2m);
	char hc[64];
	if (n->present & (1u << XEN_ELFNOTE_HYPERCALL_PAGE))
		snprintf(hc, sizeof(hc), "hypercall page at 0x%llx", (unsigned long long)n->hypercall_page);
	else
		snprintf(hc, sizeof(hc), "no hypercall page (bare-syscall hypercalls)");
	snprintf(x->why, sizeof(x->why), "Xen PV kernel: %s%s%s, entry 0x%llx, virt_base 0x%llx, %s",
	         n->guest_os[0] ? n->guest_os : n->loader, n->guest_version[0] ? " " : "", n->guest_version,
	         (unsigned long long)n->entry, (unsigned long long)n->virt_base, hc);
	return 0;
}

static int check_header(const uint8_t *elf, size_t len, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const void *)elf;
	if (len < EI_NIDENT || memcmp(elf, ELFMAG, SELFMAG))
		return kload_refuse(err, errlen, "not an ELF file");
	if (elf[EI_CLASS] == ELFCLASS32)
		return kload_refuse(err, errlen, "a 32-bit ELF: pvmon runs x86-64 kernels only");
	if (len < sizeof(*eh))
		return kload_refuse(err, errlen, "ELF header truncated (%zu bytes)", len);
	if (elf[EI_CLASS] != ELFCLASS64 || elf[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64)
		return kload_refuse(err, errlen, "not an x86-64 ELF64 file");
	if (eh->e_type != ET_EXEC)
		return kload_refuse(err, errlen, "not an executable (ELF type %u)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS ||
	    eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return kload_refuse(err, errlen, "bad program header table (%u entries of %u bytes at %llu)",
		                    eh->e_phnum, eh->e_phentsize, (unsigned long long)eh->e_phoff);
	return 0;
}

int xenelf_parse(const uint8_t *elf, size_t len, struct xenelf *x, char *err, size_t errlen)
{
	memset(x, 0, sizeof(*x));
	int rc = check_header(elf, len, err, errlen);
	if (rc)
		return rc;
	Elf64_Ehdr eh;
	memcpy(&eh, elf, sizeof(eh));
	x->e_entry = eh.e_entry;
	x->pstart = UINT64_MAX;
	struct scan sc = { .x = x, .err = err, .errlen = errlen };
	int loads = 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr p;
		memcpy(&p, elf + eh.e_phoff + (size_t)i * sizeof(p), sizeof(p));
		if (p.p_type != PT_LOAD && p.p_type != PT_NOTE)
			continue;
		if (p.p_offset > len || p.p_filesz > len - p.p_offset)
			return kload_refuse(err, errlen, "segment %d: file range [%llu, +%llu) outside the %zu-byte image", i,
			                    (unsigned long long)p.p_offset, (unsigned long long)p.p_filesz, len);
		if (p.p_type == PT_NOTE) {
			uint64_t align = p.p_align == 8 ? 8 : 4;
			if (p.p_align > 8 || (p.p_align && p.p_align != 1 && p.p_align != 4 && p.p_align != 8) ||
			    p.p_offset % align)
				return kload_refuse(err, errlen, "segment %d: notes at offset %llu with alignment %llu (4 or 8)", i,
				                    (unsigned long long)p.p_offset, (unsigned long long)p.p_align);
			rc = scan_notes(&sc, elf + p.p_offset, p.p_filesz, align);
			if (rc)
				return rc;
			continue;
		}
		if (p.p_memsz == 0)
			continue;
		if (p.p_filesz > p.p_memsz || p.p_paddr > UINT64_MAX - p.p_memsz)
			return kload_refuse(err, errlen, "segment %d: sizes or physical range out of bounds", i);
		if (p.p_paddr < x->pstart)
			x->pstart = p.p_paddr;
		if (p.p_paddr + p.p_memsz > x->pend)
			x->pend = p.p_paddr + p.p_memsz;
		loads++;
	}
	if (!loads)
		return kload_refuse(err, errlen, "no loadable segment");
	if (sc.xen_notes && sc.pvlab_notes)
		return kload_refuse(err, errlen, "both Xen and pvlab notes: which ABI it speaks is ambiguous");
	if (sc.pvlab_notes) {
		if (x->pvlab_abi >> 16 != PV_ABI_MAJOR)
			return kload_refuse(err, errlen, "pvlab kernel built for ABI %u.%u; pvmon speaks %u.%u",
			                    x->pvlab_abi >> 16, x->pvlab_abi & 0xffff, PV_ABI_MAJOR, PV_ABI_MINOR);
		x->kind = XENELF_PVLAB;
		snprintf(x->why, sizeof(x->why), "pvlab kernel: pvlab note, ABI %u.%u, entry 0x%llx",
		         x->pvlab_abi >> 16, x->pvlab_abi & 0xffff, (unsigned long long)x->e_entry);
		return 0;
	}
	if (sc.xen_notes) {
		rc = check_xen(x, err, errlen);
		if (rc)
			return rc;
		x->kind = XENELF_XEN_PV;
		return 0;
	}
	x->kind = XENELF_NEITHER;
	snprintf(x->why, sizeof(x->why), "neither: no Xen or pvlab note in a PT_NOTE segment");
	return 0;
}
