/* pvos memory: a bump allocator over the free frames after the boot stack. */
#ifndef PVOS_MM_H
#define PVOS_MM_H
#include <stddef.h>
#include <stdint.h>
void mm_init(uint64_t first_free, uint64_t end);
void *page_alloc(size_t pages);     /* zeroed, page aligned; NULL when out */
void *kalloc(size_t bytes);         /* zeroed, 16-byte aligned, never freed */
uint64_t mm_free_bytes(void);
#endif
