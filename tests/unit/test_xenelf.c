/* xenelf.c: a kernel's notes say which ABI it speaks; every note is
 * untrusted. Synthetic ELFs with Linux's set of Xen notes, then each one
 * broken; pvos (its pvlab note) and Debian's kernel where they are built or
 * cached. `test_xenelf --debian` checks Debian's kernel only and exits 77
 * where there is none (tests/integration/linux_notes.sh). */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "kernelfile.h"
#include "pvlab/pv.h"
#include <xen/elfnote.h>
#include <xen/features.h>
#include "../../hypervisor/src/bzimage.h"
#include "../../hypervisor/src/xenelf.h"

#define VBASE 0xffffffff80000000ULL
#define PADDR 0x1000000ULL
#define MEMSZ 0x200000ULL
#define NOTES_OFF 0x2000

static uint8_t img[NOTES_OFF + 8192];
static size_t img_len;
static uint8_t notes[8192];
static size_t notes_len;
static uint64_t note_align = 4;

static void note(const char *name, uint32_t type, const void *desc, uint32_t descsz)
{
	Elf64_Nhdr h = { (uint32_t)strlen(name) + 1, descsz, type };
	size_t pad_name = (h.n_namesz + note_align - 1) & ~(note_align - 1);
	size_t pad_desc = (descsz + note_align - 1) & ~(note_align - 1);
	memcpy(notes + notes_len, &h, sizeof(h));
	memset(notes + notes_len + sizeof(h), 0, pad_name + pad_desc);
	memcpy(notes + notes_len + sizeof(h), name, h.n_namesz);
	memcpy(notes + notes_len + sizeof(h) + pad_name, desc, descsz);
	notes_len += sizeof(h) + pad_name + pad_desc;
}

static void xnum(uint32_t type, uint64_t v, uint32_t size) { note("Xen", type, &v, size); }
static void xstr(uint32_t type, const char *s) { note("Xen", type, s, (uint32_t)strlen(s) + 1); }

/* The notes Debian's 6.1 kernel carries (arch/x86/xen/xen-head.S), with
 * FEATURES unterminated as Linux writes it (.ascii). */
static void linux_notes(void)
{
	notes_len = 0;
	xstr(XEN_ELFNOTE_GUEST_OS, "linux");
	xstr(XEN_ELFNOTE_GUEST_VERSION, "2.6");
	xstr(XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
	xnum(XEN_ELFNOTE_VIRT_BASE, VBASE, 8);
	xnum(XEN_ELFNOTE_INIT_P2M, 0x8000000000ULL, 8);
	xnum(XEN_ELFNOTE_ENTRY, VBASE + PADDR + 0x40, 8);
	const char *f = "!writable_page_tables|pae_pgdir_above_4gb";
	note("Xen", XEN_ELFNOTE_FEATURES, f, (uint32_t)strlen(f));
	xnum(XEN_ELFNOTE_SUPPORTED_FEATURES, 1u << XENFEAT_writable_page_tables | 1u << XENFEAT_dom0, 4);
	xstr(XEN_ELFNOTE_PAE_MODE, "yes");
	xstr(XEN_ELFNOTE_LOADER, "generic");
	uint64_t mfn_valid[2] = { 1, 1 };
	note("Xen", XEN_ELFNOTE_L1_MFN_VALID, mfn_valid, sizeof(mfn_valid));
	xnum(XEN_ELFNOTE_SUSPEND_CANCEL, 1, 4);
	xnum(XEN_ELFNOTE_MOD_START_PFN, 1, 4);
	xnum(XEN_ELFNOTE_HV_START_LOW, 0xffff800000000000ULL, 8);
	xnum(XEN_ELFNOTE_PADDR_OFFSET, 0, 8);
	note("GNU", NT_GNU_BUILD_ID, "0123456789abcdefghij", 20);     /* others' notes are skipped */
	xnum(XEN_ELFNOTE_PHYS32_ENTRY, PADDR + 0x850, 4);
}

static Elf64_Ehdr *eh(void) { return (Elf64_Ehdr *)img; }
static Elf64_Phdr *ph(int i) { return (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr)) + i; }

static void build(void)
{
	memset(img, 0, sizeof(img));
	Elf64_Ehdr *e = eh();
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_EXEC;
	e->e_machine = EM_X86_64;
	e->e_entry = PADDR;                                /* Linux's e_entry is physical */
	e->e_phoff = sizeof(Elf64_Ehdr);
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = 2;
	*ph(0) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000,
	                       .p_vaddr = VBASE + PADDR, .p_paddr = PADDR, .p_filesz = 0x100, .p_memsz = MEMSZ };
	*ph(1) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = NOTES_OFF,
	                       .p_filesz = notes_len, .p_memsz = notes_len, .p_align = note_align };
	memcpy(img + NOTES_OFF, notes, notes_len);
	img_len = NOTES_OFF + notes_len;
}

static int parse(struct xenelf *x, char *err)
{
	return xenelf_parse(img, img_len, x, err, 256);
}

/* Build with the notes that `setup` leaves, break what `mutate` breaks:
 * refused with -EINVAL and a reason that says `why`. */
#define REFUSE(why, setup, mutate) do { note_align = 4; linux_notes(); setup; build(); mutate; \
	struct xenelf x_; char err_[256] = ""; int rc_ = parse(&x_, err_); CHECK_EQ(rc_, -EINVAL); \
	CHECK(strstr(err_, why) != NULL); \
	if (rc_ != -EINVAL || !strstr(err_, why)) fprintf(stderr, "  wanted \"%s\", got rc %d \"%s\"\n", why, rc_, err_); \
	else printf("refused: %s\n", err_); } while (0)

static void synthetic(void)
{
	struct xenelf x;
	char err[256] = "";
	linux_notes();
	build();
	CHECK_EQ(parse(&x, err), 0);
	CHECK_EQ(x.kind, XENELF_XEN_PV);
	CHECK_EQ(x.xen.entry, VBASE + PADDR + 0x40);
	CHECK_EQ(x.xen.virt_base, VBASE);
	CHECK_EQ(x.vstart, VBASE + PADDR);
	CHECK_EQ(x.vend, VBASE + PADDR + MEMSZ);
	CHECK(!(x.xen.present & (1u << XEN_ELFNOTE_HYPERCALL_PAGE)));
	CHECK_EQ(x.xen.required_features, 1u << XENFEAT_writable_page_tables);
	CHECK_EQ(x.xen.supported_features, 1u << XENFEAT_writable_page_tables | 1u << XENFEAT_pae_pgdir_above_4gb |
	                                   1u << XENFEAT_dom0);
	CHECK_STR(x.xen.features, "!writable_page_tables|pae_pgdir_above_4gb");
	CHECK_STR(x.xen.guest_os, "linux");
	CHECK_STR(x.xen.loader, "generic");
	CHECK_EQ(x.xen.mfn_valid_pairs, 1);
	CHECK_EQ(x.xen.mfn_valid[0][1], 1);
	CHECK_EQ(x.xen.phys32_entry, PADDR + 0x850);
	CHECK_EQ(x.xen.init_p2m, 0x8000000000ULL);
	CHECK(strstr(x.why, "bare-syscall") != NULL);
	printf("synthetic: %s\n", x.why);

	/* An older kernel: a hypercall page in the image. */
	linux_notes();
	xnum(XEN_ELFNOTE_HYPERCALL_PAGE, VBASE + PADDR + 0x1000, 8);
	build();
	CHECK_EQ(parse(&x, err), 0);
	CHECK_EQ(x.xen.hypercall_page, VBASE + PADDR + 0x1000);
	CHECK(strstr(x.why, "hypercall page at 0xffffffff81001000") != NULL);

	/* Defaults as libelf: no ENTRY note means e_entry; 8-byte aligned notes. */
	notes_len = 0;
	note_align = 8;
	xstr(XEN_ELFNOTE_LOADER, "generic");
	xnum(XEN_ELFNOTE_VIRT_BASE, 0, 8);
	xstr(XEN_ELFNOTE_INFO, "A=B");
	xstr(XEN_ELFNOTE_INFO, "C=D");                     /* INFO may repeat */
	note("Xen", 0x1000001, "crash", 5);                /* kexec's notes are skipped */
	build();
	CHECK_EQ(parse(&x, err), 0);
	CHECK_EQ(x.kind, XENELF_XEN_PV);
	CHECK_EQ(x.xen.entry, PADDR);
	note_align = 4;

	/* pvlab's note, and no note at all. */
	uint32_t abi = PV_ABI_VERSION;
	notes_len = 0;
	note(PV_NOTE_NAME, PV_NOTE_ABI, &abi, 4);
	build();
	CHECK_EQ(parse(&x, err), 0);
	CHECK_EQ(x.kind, XENELF_PVLAB);
	CHECK_EQ(x.pvlab_abi, PV_ABI_VERSION);
	printf("synthetic: %s\n", x.why);
	notes_len = 0;
	note("GNU", NT_GNU_BUILD_ID, "0123", 4);
	build();
	CHECK_EQ(parse(&x, err), 0);
	CHECK_EQ(x.kind, XENELF_NEITHER);
	printf("synthetic: %s\n", x.why);
	ph(1)->p_type = PT_NULL;
	CHECK_EQ(parse(&x, err), 0);
	CHECK_EQ(x.kind, XENELF_NEITHER);
}

static void hostile(void)
{
	/* the ELF */
	REFUSE("not an ELF", , img[0] = 0);
	REFUSE("32-bit", , img[EI_CLASS] = ELFCLASS32);
	REFUSE("x86-64", , eh()->e_machine = EM_386);
	REFUSE("not an executable", , eh()->e_type = ET_DYN);
	REFUSE("program header", , eh()->e_phnum = 1000);
	REFUSE("program header", , eh()->e_phoff = img_len - 8);
	REFUSE("truncated", , img_len = 40);
	REFUSE("no loadable segment", , ph(0)->p_type = PT_NULL);
	REFUSE("outside", , ph(1)->p_offset = img_len - 4);
	REFUSE("outside", , ph(1)->p_filesz = ~0ULL - 100);
	REFUSE("outside", , ph(0)->p_offset = ~0ULL);
	REFUSE("physical range", , ph(0)->p_paddr = ~0ULL - 10);
	REFUSE("alignment", , ph(1)->p_align = 16);
	REFUSE("alignment", , ph(1)->p_offset += 2; memmove(img + NOTES_OFF + 2, img + NOTES_OFF, notes_len); img_len += 2);
	/* note sizes */
	REFUSE("header truncated", , ph(1)->p_filesz = notes_len + 4; img_len += 4);
	REFUSE("name of", , ph(1)->p_filesz = 14);
	REFUSE("desc of", , ((Elf64_Nhdr *)(img + NOTES_OFF))->n_descsz = 0x7fffffff);
	REFUSE("name of", , ((Elf64_Nhdr *)(img + NOTES_OFF))->n_namesz = 0xfffffffc);
	REFUSE("desc of", , ((Elf64_Nhdr *)(img + NOTES_OFF))->n_descsz = 0xfffffffe);
	REFUSE("a number of 3 bytes", xnum(XEN_ELFNOTE_HYPERCALL_PAGE, 0, 3), );
	REFUSE("a number of 16 bytes", note("Xen", XEN_ELFNOTE_HYPERCALL_PAGE, "0123456789abcdef", 16), );
	REFUSE("mask/value pairs", notes_len = 0; note("Xen", XEN_ELFNOTE_L1_MFN_VALID, "01234567", 8), );
	REFUSE("mask/value pairs", notes_len = 0; note("Xen", XEN_ELFNOTE_L1_MFN_VALID, img, 16 * 5), );
	REFUSE("an empty string", note("Xen", XEN_ELFNOTE_INFO, "", 0), );
	/* note values */
	REFUSE("ENTRY appears twice", xnum(XEN_ELFNOTE_ENTRY, VBASE + PADDR, 8), );
	REFUSE("after the string's NUL", note("Xen", XEN_ELFNOTE_INFO, "A=B\0C", 5), );
	REFUSE("not printable", xstr(XEN_ELFNOTE_INFO, "A=\033[2J"), );
	REFUSE("a string of", { char s[300]; memset(s, 'a', 299); s[299] = 0; xstr(XEN_ELFNOTE_INFO, s); }, );
	REFUSE("unknown feature \"grant_map_identity\"", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic");
	       xstr(XEN_ELFNOTE_FEATURES, "writable_page_tables|grant_map_identity"), );
	REFUSE("unknown feature \"\"", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic");
	       xstr(XEN_ELFNOTE_FEATURES, "writable_page_tables||dom0"), );
	REFUSE("ends with '|'", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic");
	       xstr(XEN_ELFNOTE_FEATURES, "dom0|"), );
	REFUSE("beyond the 32 features", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic");
	       xnum(XEN_ELFNOTE_SUPPORTED_FEATURES, 1ULL << 40, 8), );
	REFUSE("neither the generic loader nor Linux", notes_len = 0; xstr(XEN_ELFNOTE_GUEST_OS, "Plan9"), );
	REFUSE("only xen-3.0", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic"); xstr(XEN_ELFNOTE_XEN_VERSION, "xen-4.0"), );
	REFUSE("BSD_SYMTAB", xstr(XEN_ELFNOTE_BSD_SYMTAB, "yes"), );
	REFUSE("VIRT_BASE 0x800000000000", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic");
	       xnum(XEN_ELFNOTE_VIRT_BASE, 0x800000000000ULL, 8), );
	REFUSE("page-aligned", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic"); xnum(XEN_ELFNOTE_VIRT_BASE, 0x1234, 8), );
	REFUSE("PADDR_OFFSET", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic"); xnum(XEN_ELFNOTE_PADDR_OFFSET, PADDR + 1, 8), );
	REFUSE("wraps past the top", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic");
	       xnum(XEN_ELFNOTE_VIRT_BASE, 0xffffffffffe00000ULL, 8), );
	REFUSE("is not canonical", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic");
	       xnum(XEN_ELFNOTE_VIRT_BASE, 0x00007ffffff00000ULL, 8), );
	REFUSE("meets the hypervisor's", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic");
	       xnum(XEN_ELFNOTE_VIRT_BASE, 0xffff800000000000ULL, 8); xnum(XEN_ELFNOTE_ENTRY, 0xffff800001000000ULL, 8), );
	REFUSE("entry 0xffffffff80000000 is outside", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic");
	       xnum(XEN_ELFNOTE_VIRT_BASE, VBASE, 8); xnum(XEN_ELFNOTE_ENTRY, VBASE, 8), );
	REFUSE("entry", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic"); xnum(XEN_ELFNOTE_VIRT_BASE, VBASE, 8), );
	REFUSE("HYPERCALL_PAGE", xnum(XEN_ELFNOTE_HYPERCALL_PAGE, VBASE + PADDR + 8, 8), );
	REFUSE("HYPERCALL_PAGE", xnum(XEN_ELFNOTE_HYPERCALL_PAGE, VBASE + PADDR + MEMSZ, 8), );
	REFUSE("INIT_P2M", notes_len = 0; xstr(XEN_ELFNOTE_LOADER, "generic"); xnum(XEN_ELFNOTE_VIRT_BASE, VBASE, 8);
	       xnum(XEN_ELFNOTE_ENTRY, VBASE + PADDR, 8); xnum(XEN_ELFNOTE_INIT_P2M, 0x8000000000000ULL, 8), );
	/* pvlab's note */
	uint32_t abi = PV_ABI_VERSION, old = 3u << 16;
	REFUSE("both Xen and pvlab notes", note(PV_NOTE_NAME, PV_NOTE_ABI, &abi, 4), );
	REFUSE("built for ABI 3.0", notes_len = 0; note(PV_NOTE_NAME, PV_NOTE_ABI, &old, 4), );
	REFUSE("not the 4 of an ABI version", notes_len = 0; note(PV_NOTE_NAME, PV_NOTE_ABI, &abi, 2), );
	REFUSE("pvlab note appears twice", notes_len = 0; note(PV_NOTE_NAME, PV_NOTE_ABI, &abi, 4);
	       note(PV_NOTE_NAME, PV_NOTE_ABI, &abi, 4), );
	REFUSE("pvlab note of unknown type 7", notes_len = 0; note(PV_NOTE_NAME, 7, &abi, 4), );
}

static void print_notes(const struct xenelf *x)
{
	const struct xenelf_notes *n = &x->xen;
	printf("  GUEST_OS \"%s\" GUEST_VERSION \"%s\" XEN_VERSION \"%s\" LOADER \"%s\" PAE_MODE \"%s\"\n",
	       n->guest_os, n->guest_version, n->xen_version, n->loader, n->pae_mode);
	printf("  ENTRY 0x%llx VIRT_BASE 0x%llx PADDR_OFFSET 0x%llx INIT_P2M 0x%llx HV_START_LOW 0x%llx\n",
	       (unsigned long long)n->entry, (unsigned long long)n->virt_base, (unsigned long long)n->paddr_offset,
	       (unsigned long long)n->init_p2m, (unsigned long long)n->hv_start_low);
	if (n->present & (1u << XEN_ELFNOTE_HYPERCALL_PAGE))
		printf("  HYPERCALL_PAGE 0x%llx\n", (unsigned long long)n->hypercall_page);
	else
		printf("  HYPERCALL_PAGE absent: hypercalls are a bare syscall (the XSA-466 fix)\n");
	printf("  FEATURES \"%s\" SUPPORTED_FEATURES:", n->features);
	for (unsigned b = 0; b < 32; b++)
		if (n->supported_features & (1u << b))
			printf(" %s%s(%u)", n->required_features & (1u << b) ? "!" : "",
			       xenelf_feature_name(b) ? xenelf_feature_name(b) : "unnamed", b);
	printf("\n  SUSPEND_CANCEL %llu MOD_START_PFN %llu PHYS32_ENTRY 0x%llx L1_MFN_VALID",
	       (unsigned long long)n->suspend_cancel, (unsigned long long)n->mod_start_pfn,
	       (unsigned long long)n->phys32_entry);
	for (unsigned i = 0; i < n->mfn_valid_pairs; i++)
		printf(" mask 0x%llx value 0x%llx", (unsigned long long)n->mfn_valid[i][0],
		       (unsigned long long)n->mfn_valid[i][1]);
	printf("\n  image: paddr [0x%llx, 0x%llx), virtual [0x%llx, 0x%llx)\n", (unsigned long long)x->pstart,
	       (unsigned long long)x->pend, (unsigned long long)x->vstart, (unsigned long long)x->vend);
}

/* Where a byte sequence is in the image's first PT_LOAD segments, as a
 * virtual address, or 0. */
static uint64_t find_code(const uint8_t *elf, size_t len, const struct xenelf *x, const uint8_t *pat, size_t n)
{
	Elf64_Ehdr e;
	memcpy(&e, elf, sizeof(e));
	for (int i = 0; i < e.e_phnum; i++) {
		Elf64_Phdr p;
		memcpy(&p, elf + e.e_phoff + i * sizeof(p), sizeof(p));
		if (p.p_type != PT_LOAD || !(p.p_flags & PF_X) || p.p_filesz < n || p.p_offset + p.p_filesz > len)
			continue;
		uint8_t *hit = memmem(elf + p.p_offset, p.p_filesz, pat, n);
		if (hit)
			return p.p_paddr + (uint64_t)(hit - (elf + p.p_offset)) + (x->vstart - x->pstart);
	}
	return 0;
}

/* Debian's kernel: 0, or 77 where it is not there. */
static int debian(void)
{
	char path[512], err[512];
	size_t len;
	uint8_t *file = kernelfile_debian(&len, path, sizeof(path));
	if (!file)
		return 77;
	struct bzimage bz;
	int rc = bzimage_unpack(file, len, BZIMAGE_MAX_ELF, &bz, err, sizeof(err));
	CHECK_EQ(rc, 0);
	if (rc) {
		fprintf(stderr, "%s: %s\n", path, err);
		free(file);
		return 0;
	}
	struct xenelf x;
	rc = xenelf_parse(bz.elf, bz.len, &x, err, sizeof(err));
	CHECK_EQ(rc, 0);
	if (rc)
		fprintf(stderr, "%s: %s\n", path, err);
	CHECK_EQ(x.kind, XENELF_XEN_PV);
	CHECK_EQ(x.xen.virt_base, VBASE);
	CHECK_STR(x.xen.guest_os, "linux");
	CHECK(x.xen.required_features & (1u << XENFEAT_writable_page_tables));
	printf("Debian's kernel %s: %s %zu bytes -> ELF %zu bytes\n%s\n", path, bzimage_format_name(bz.format),
	       bz.payload_len, bz.len, x.why);
	print_notes(&x);
	/* The XSA-466 entry points: xen_hypercall_pv (push rcx; push r11;
	 * syscall; pop r11; pop rcx) and the iret (push rax; mov $23,%eax; syscall). */
	static const uint8_t hc[] = { 0x51, 0x41, 0x53, 0x0f, 0x05, 0x41, 0x5b, 0x59 };
	static const uint8_t iret[] = { 0x50, 0xb8, 0x17, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	uint64_t hc_va = find_code(bz.elf, bz.len, &x, hc, sizeof(hc));
	uint64_t iret_va = find_code(bz.elf, bz.len, &x, iret, sizeof(iret));
	printf("  code: bare-syscall hypercall stub %s0x%llx, iret by syscall %s0x%llx\n", hc_va ? "at " : "not found ",
	       (unsigned long long)hc_va, iret_va ? "at " : "not found ", (unsigned long long)iret_va);
	bzimage_free(&bz);
	free(file);
	return 0;
}

static void pvos(void)
{
	const char *build = getenv("BUILD");
	char path[512], err[256];
	snprintf(path, sizeof(path), "%s/guest/pvos.elf", build ? build : "build");
	size_t len;
	uint8_t *elf = kernelfile_read(path, &len);
	if (!elf) {
		printf("skip: pvos's note: no %s (make builds it)\n", path);
		return;
	}
	struct xenelf x;
	CHECK_EQ(xenelf_parse(elf, len, &x, err, sizeof(err)), 0);
	CHECK_EQ(x.kind, XENELF_PVLAB);
	CHECK_EQ(x.pvlab_abi, PV_ABI_VERSION);
	printf("pvos %s: %s\n", path, x.why);
	free(elf);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--debian")) {
		if (debian() == 77)
			return 77;
		return CHECK_DONE();
	}
	synthetic();
	hostile();
	pvos();
	debian();
	return CHECK_DONE();
}
