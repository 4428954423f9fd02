/* ELF64 loader for guest kernels; the image is untrusted input. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "elf.h"

int elf_load(const uint8_t *img, size_t len, uint8_t *mem, uint64_t memsz, uint64_t min_gpa,
             uint64_t *entry, uint64_t *end, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const void *)img;
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return snprintf(err, errlen, "not an ELF file"), -EINVAL;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return snprintf(err, errlen, "not an x86-64 ELF64 file"), -EINVAL;
	if (eh->e_type != ET_EXEC)
		return snprintf(err, errlen, "not an executable (ELF type %u)", eh->e_type), -EINVAL;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 64 ||
	    eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return snprintf(err, errlen, "bad program header table"), -EINVAL;

	const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff);
	uint64_t hi = 0;
	int entry_ok = 0, loads = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_filesz > p->p_memsz || p->p_offset > len || p->p_filesz > len - p->p_offset)
			return snprintf(err, errlen, "segment %d: file range outside the image", i), -EINVAL;
		if (p->p_paddr < min_gpa || p->p_paddr > memsz || p->p_memsz > memsz - p->p_paddr)
			return snprintf(err, errlen, "segment %d: [0x%llx, +0x%llx) does not fit the domain's memory",
			                i, (unsigned long long)p->p_paddr, (unsigned long long)p->p_memsz), -EINVAL;
		memcpy(mem + p->p_paddr, img + p->p_offset, p->p_filesz);
		memset(mem + p->p_paddr + p->p_filesz, 0, p->p_memsz - p->p_filesz);
		if (eh->e_entry >= p->p_paddr && eh->e_entry < p->p_paddr + p->p_memsz && (p->p_flags & PF_X))
			entry_ok = 1;
		if (p->p_paddr + p->p_memsz > hi)
			hi = p->p_paddr + p->p_memsz;
		loads++;
	}
	if (!loads)
		return snprintf(err, errlen, "no loadable segment"), -EINVAL;
	if (!entry_ok)
		return snprintf(err, errlen, "entry point 0x%llx is not in an executable segment",
		                (unsigned long long)eh->e_entry), -EINVAL;
	*entry = eh->e_entry;
	*end = hi;
	return 0;
}
