/* Loading the guest kernel: an ELF64 x86-64 executable. */
#ifndef PVMON_ELF_H
#define PVMON_ELF_H
#include <stddef.h>
#include <stdint.h>

/* Copy the PT_LOAD segments of img into mem (guest-physical, p_paddr) and
 * return the entry point and the end of the highest segment. Every segment
 * must lie in [min_gpa, memsz). Returns 0 or -EINVAL with err filled. */
int elf_load(const uint8_t *img, size_t len, uint8_t *mem, uint64_t memsz, uint64_t min_gpa,
             uint64_t *entry, uint64_t *end, char *err, size_t errlen);
#endif
