/* Xen's writable page tables (ptwr_do_page_fault), the part without a
 * vCPU: decoding the instruction a Linux PV kernel wrote a page-table
 * entry with, and what it makes of the entry's operand. xen_trap.c walks
 * to the entry, validates the result as an mmu_update of that entry
 * (xen_mm.c) and updates the registers; fuzz_xen_ptwr drives both halves
 * against xen_mm. */
#ifndef PVMON_XEN_PTWR_H
#define PVMON_XEN_PTWR_H
#include <stdbool.h>
#include <stdint.h>

/* What Linux's PTE helpers compile to: mov, xchg, cmpxchg (set_pte,
 * ptep_get_and_clear, ptep_cmpxchg), and/or with an immediate or a
 * register and bts/btr (clear_bit on _PAGE_RW in ptep_set_wrprotect,
 * test_and_clear_bit on _PAGE_ACCESSED), of 1, 4 or 8 bytes, with lock or
 * the ds (or cs) prefix a uniprocessor kernel patches lock into. */
enum xen_ptwr_kind { PT_MOV, PT_XCHG, PT_CMPXCHG, PT_AND, PT_OR, PT_BTS, PT_BTR };

struct xen_ptwr_insn {
	enum xen_ptwr_kind kind;
	unsigned size;             /* operand bytes: 1, 4 or 8 */
	unsigned len;              /* instruction bytes, at most 15 */
	unsigned reg;              /* the register operand (0-15), when no immediate */
	bool has_imm;
	uint64_t imm;              /* sign-extended */
};

/* Decode b[0..16) (the instruction's bytes, zero after what could be
 * read): true and *in, or false for anything else. */
bool xen_ptwr_decode(const uint8_t b[16], struct xen_ptwr_insn *in);

/* The operand's new value: cur is what the operand holds, src the
 * register's value or the immediate, rax the accumulator (cmpxchg),
 * rflags the flags before; *val (in->size bytes) and *fl the flags
 * after. 1: written; 0: emulated without a write (a failed cmpxchg,
 * *val is cur); -1: not one to emulate (a register bit offset outside
 * the operand addresses another word). */
int xen_ptwr_apply(const struct xen_ptwr_insn *in, uint64_t cur, uint64_t src, uint64_t rax, uint64_t rflags,
                   uint64_t *val, uint64_t *fl);

/* A register after the instruction: an xchg's register, or a failed
 * cmpxchg's accumulator, takes the old operand as x86-64 writes a
 * register of that size (4 bytes zero-extend, 1 byte merges). */
uint64_t xen_ptwr_reg_result(unsigned size, uint64_t reg, uint64_t cur);
#endif
