/* The ELF inside a kernel file: a plain ELF as it is, or a bzImage (the x86
 * boot protocol) whose payload is unpacked with the Debian library for its
 * compression. The file is untrusted input: nothing in it can make pvmon
 * read outside it, write outside the output or allocate more than a limit. */
#ifndef PVMON_BZIMAGE_H
#define PVMON_BZIMAGE_H
#include <stddef.h>
#include <stdint.h>

/* The largest unpacked kernel pvmon accepts (Debian 6.1's is 63 MiB). */
#define BZIMAGE_MAX_ELF (256u << 20)

/* How the ELF was stored: as is, or compressed as Linux's
 * arch/x86/boot/compressed can (CONFIG_KERNEL_*). */
#define BZIMAGE_FORMATS(X) X(elf) X(gzip) X(bzip2) X(lzma) X(xz) X(lzo) X(lz4) X(zstd)
enum bzimage_format {
#define BZIMAGE_ENUM(name) BZIMAGE_##name,
	BZIMAGE_FORMATS(BZIMAGE_ENUM)
#undef BZIMAGE_ENUM
};

struct bzimage {
	const uint8_t *elf;         /* the ELF: into the file, or into owned */
	size_t len;                 /* its length (a bzImage's may carry the kernel's relocations after it) */
	uint8_t *owned;             /* the unpacked copy, or NULL for a plain ELF */
	enum bzimage_format format;
	uint16_t boot_version;      /* boot protocol version of a bzImage (0x20f = 2.15), 0 for a plain ELF */
	size_t payload_len;         /* compressed bytes, 0 for a plain ELF */
};

/* Find the ELF in file[0..len): 0, or -EINVAL with err saying why (not a
 * kernel, a bad header, a payload outside the file, an unknown or
 * unsupported compression, a stream that is corrupt, truncated or unpacks
 * to anything but the size it declares, or more than max_elf bytes; the
 * declared size is checked before anything is allocated), -ENOMEM.
 * On success release with bzimage_free; file must outlive a plain ELF. */
int bzimage_unpack(const uint8_t *file, size_t len, size_t max_elf, struct bzimage *out,
                   char *err, size_t errlen);
void bzimage_free(struct bzimage *bz);
const char *bzimage_format_name(enum bzimage_format f);
#endif
