/* elf.c: the guest kernel image is untrusted input. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "../../hypervisor/src/elf.h"

#define MEM (4u << 20)
static uint8_t img[16384];
static uint8_t *mem;

static Elf64_Ehdr *eh(void) { return (Elf64_Ehdr *)img; }
static Elf64_Phdr *ph(int i) { return (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr)) + i; }

static void build(void)
{
	memset(img, 0, sizeof(img));
	Elf64_Ehdr *e = eh();
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_type = ET_EXEC;
	e->e_machine = EM_X86_64;
	e->e_entry = 0x100010;
	e->e_phoff = sizeof(Elf64_Ehdr);
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = 2;
	*ph(0) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 4096,
	                       .p_paddr = 0x100000, .p_filesz = 64, .p_memsz = 64 };
	*ph(1) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 8192,
	                       .p_paddr = 0x200000, .p_filesz = 16, .p_memsz = 8192 };
	for (int i = 0; i < 64; i++)
		img[4096 + i] = (uint8_t)(0x90 + i);
	for (int i = 0; i < 16; i++)
		img[8192 + i] = 0xAB;
}

static int load(size_t len, uint64_t *entry, uint64_t *end, char *err)
{
	return elf_load(img, len, mem, MEM, 0x100000, entry, end, err, 256);
}

#define REJECT(what, mutate) do { build(); mutate; uint64_t e_, n_; char err_[256] = ""; \
	int rc_ = load(sizeof(img), &e_, &n_, err_); CHECK_EQ(rc_, -EINVAL); \
	if (rc_ != -EINVAL) fprintf(stderr, "  accepted: %s\n", what); } while (0)

int main(void)
{
	mem = malloc(MEM);
	memset(mem, 0xee, MEM);
	uint64_t entry, end;
	char err[256];
	build();
	CHECK_EQ(load(sizeof(img), &entry, &end, err), 0);
	CHECK_EQ(entry, 0x100010);
	CHECK_EQ(end, 0x200000 + 8192);
	CHECK_EQ(mem[0x100000], 0x90);
	CHECK_EQ(mem[0x100000 + 63], 0x90 + 63);
	CHECK_EQ(mem[0x200000 + 15], 0xAB);
	CHECK_EQ(mem[0x200000 + 16], 0);              /* bss zeroed */
	CHECK_EQ(mem[0x200000 + 8191], 0);

	REJECT("bad magic", img[1] = 'X');
	REJECT("32-bit class", eh()->e_ident[EI_CLASS] = ELFCLASS32);
	REJECT("big endian", eh()->e_ident[EI_DATA] = ELFDATA2MSB);
	REJECT("wrong machine", eh()->e_machine = EM_AARCH64);
	REJECT("ET_DYN", eh()->e_type = ET_DYN);
	REJECT("phoff past the end", eh()->e_phoff = sizeof(img) + 8);
	REJECT("phnum 0", eh()->e_phnum = 0);
	REJECT("phnum huge", eh()->e_phnum = 60000);
	REJECT("segment below min_gpa", ph(0)->p_paddr = 0x1000; eh()->e_entry = 0x1010);
	REJECT("segment past memory", ph(1)->p_paddr = MEM - 4096);
	REJECT("segment wraps", ph(1)->p_paddr = ~0ULL - 100);
	REJECT("file range past the image", ph(1)->p_offset = sizeof(img) - 8);
	REJECT("offset overflow", ph(1)->p_offset = ~0ULL - 4);
	REJECT("filesz > memsz", ph(1)->p_filesz = 9000);
	REJECT("entry outside", eh()->e_entry = 0x300000);
	REJECT("entry in a data segment", eh()->e_entry = 0x200004);
	REJECT("no loadable segment", ph(0)->p_type = PT_NOTE; ph(1)->p_type = PT_NOTE);
	build();
	CHECK_EQ(load(32, &entry, &end, err), -EINVAL);  /* truncated header */
	CHECK(strstr(err, "ELF") != NULL);
	free(mem);
	return CHECK_DONE();
}
