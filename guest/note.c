/* pvos's ELF note: tells pvmon this kernel speaks the pvlab ABI and which
 * version (PV_NOTE_*, include/pvlab/pv.h), where a Linux kernel carries
 * Xen's notes. pvos.ld keeps it in a PT_NOTE segment. */
#include <stdint.h>
#include "pvlab/pv.h"

static const struct {
	uint32_t namesz, descsz, type;
	char name[8];                  /* "pvlab" and its NUL, padded to 4 bytes */
	uint32_t abi;
} pvos_note __attribute__((section(".note.pvlab"), aligned(4), used)) = {
	sizeof(PV_NOTE_NAME), sizeof(uint32_t), PV_NOTE_ABI, PV_NOTE_NAME, PV_ABI_VERSION,
};
