/* xen_ptwr.c: the instructions a Linux PV kernel writes its page-table
 * entries with, decoded, and what each makes of the entry (Xen's
 * writable page tables); what is not such a write is refused. */
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "../../hypervisor/src/xen_ptwr.h"

static int decode(const uint8_t *bytes, unsigned n, struct xen_ptwr_insn *in)
{
	uint8_t b[16] = { 0 };
	memcpy(b, bytes, n);
	return xen_ptwr_decode(b, in);
}

static void decoding(void)
{
	struct xen_ptwr_insn in;
	/* set_pte: mov %rax,(%rdi) */
	CHECK(decode((const uint8_t[]){ 0x48, 0x89, 0x07 }, 3, &in));
	CHECK_EQ(in.kind, PT_MOV);
	CHECK_EQ(in.size, 8);
	CHECK_EQ(in.len, 3);
	CHECK_EQ(in.reg, 0);
	CHECK(!in.has_imm);
	/* ptep_get_and_clear: xchg %r8,0x10(%rdi) */
	CHECK(decode((const uint8_t[]){ 0x4c, 0x87, 0x47, 0x10 }, 4, &in));
	CHECK_EQ(in.kind, PT_XCHG);
	CHECK_EQ(in.reg, 8);
	CHECK_EQ(in.len, 4);
	/* lock cmpxchg %rdx,(%rdi) */
	CHECK(decode((const uint8_t[]){ 0xf0, 0x48, 0x0f, 0xb1, 0x17 }, 5, &in));
	CHECK_EQ(in.kind, PT_CMPXCHG);
	CHECK_EQ(in.reg, 2);
	CHECK_EQ(in.len, 5);
	/* a uniprocessor kernel's clear_bit of _PAGE_RW: ds andb $0xfd,(%r12) */
	CHECK(decode((const uint8_t[]){ 0x3e, 0x41, 0x80, 0x24, 0x24, 0xfd }, 6, &in));
	CHECK_EQ(in.kind, PT_AND);
	CHECK_EQ(in.size, 1);
	CHECK_EQ(in.len, 6);
	CHECK(in.has_imm);
	CHECK_EQ(in.imm, 0xfffffffffffffffdULL);
	/* lock btrq $5,(%rdi): test_and_clear_bit of _PAGE_ACCESSED */
	CHECK(decode((const uint8_t[]){ 0xf0, 0x48, 0x0f, 0xba, 0x37, 0x05 }, 6, &in));
	CHECK_EQ(in.kind, PT_BTR);
	CHECK_EQ(in.imm, 5);
	/* movq $0,(%rdi,%rax,8) */
	CHECK(decode((const uint8_t[]){ 0x48, 0xc7, 0x04, 0xc7, 0, 0, 0, 0 }, 8, &in));
	CHECK_EQ(in.kind, PT_MOV);
	CHECK_EQ(in.len, 8);
	/* Not writes of an entry: a register operand, a load, a store of
	 * another kind, a mov of an immediate with /1, or / 2 of group 1. */
	CHECK(!decode((const uint8_t[]){ 0x48, 0x89, 0xc7 }, 3, &in));
	CHECK(!decode((const uint8_t[]){ 0x48, 0x8b, 0x07 }, 3, &in));
	CHECK(!decode((const uint8_t[]){ 0x48, 0x01, 0x07 }, 3, &in));
	CHECK(!decode((const uint8_t[]){ 0x48, 0xc7, 0x0f, 0, 0, 0, 0 }, 7, &in));
	CHECK(!decode((const uint8_t[]){ 0x48, 0x83, 0x17, 0x01 }, 4, &in));
	/* The longest: three prefixes, REX, 0f, ModRM with SIB and disp32, imm8. */
	CHECK(decode((const uint8_t[]){ 0xf0, 0x3e, 0x2e, 0x48, 0x0f, 0xba, 0xb4, 0x24, 1, 2, 3, 4, 1 }, 13, &in));
	CHECK_EQ(in.len, 13);
}

static void applying(void)
{
	struct xen_ptwr_insn in = { .kind = PT_CMPXCHG, .size = 8, .len = 5 };
	uint64_t val, fl;
	CHECK_EQ(xen_ptwr_apply(&in, 0x1063, 0x1061, 0x1063, 0x202, &val, &fl), 1);
	CHECK_EQ(val, 0x1061);
	CHECK_EQ(fl & 0x40, 0x40);                        /* ZF: exchanged */
	CHECK_EQ(xen_ptwr_apply(&in, 0x1063, 0x1061, 0x2063, 0x242, &val, &fl), 0);
	CHECK_EQ(val, 0x1063);
	CHECK_EQ(fl & 0x40, 0);
	in = (struct xen_ptwr_insn){ .kind = PT_AND, .size = 1, .has_imm = true, .imm = ~2ULL };
	CHECK_EQ(xen_ptwr_apply(&in, 0x63, in.imm, 0, 0x202, &val, &fl), 1);
	CHECK_EQ(val, 0x61);
	CHECK_EQ(fl & 0x40, 0);                           /* not zero */
	in = (struct xen_ptwr_insn){ .kind = PT_BTR, .size = 8, .has_imm = true, .imm = 5 };
	CHECK_EQ(xen_ptwr_apply(&in, 0x1063, 5, 0, 0x202, &val, &fl), 1);
	CHECK_EQ(val, 0x1043);
	CHECK_EQ(fl & 1, 1);                              /* CF: the bit was set */
	in = (struct xen_ptwr_insn){ .kind = PT_BTS, .size = 8 };
	CHECK_EQ(xen_ptwr_apply(&in, 0x1063, 64, 0, 0x202, &val, &fl), -1);   /* another word */
	/* A register takes the old operand as x86-64 writes one of that size. */
	CHECK_EQ(xen_ptwr_reg_result(8, 0xffffffffffffffffULL, 0x1063), 0x1063);
	CHECK_EQ(xen_ptwr_reg_result(4, 0xffffffffffffffffULL, 0x1063), 0x1063);
	CHECK_EQ(xen_ptwr_reg_result(1, 0xffffffffffffffffULL, 0x63), 0xffffffffffffff63ULL);
}

int main(void)
{
	decoding();
	applying();
	return CHECK_DONE();
}
