/* Xen's writable page tables: the instruction and its arithmetic
 * (xen_ptwr.h). Pure: no vCPU, no guest memory. */
#include <string.h>
#include "xen_ptwr.h"

/* The length of a ModRM operand (ModRM, SIB, displacement) at b[0]. */
static unsigned modrm_len(const uint8_t *b)
{
	unsigned mod = b[0] >> 6, rm = b[0] & 7, n = 1;
	if (mod == 3)
		return n;
	if (rm == 4) {
		n++;
		if (mod == 0 && (b[1] & 7) == 5)
			return n + 4;
	}
	if (mod == 0 && rm == 5)
		return n + 4;                    /* rip-relative */
	return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

bool xen_ptwr_decode(const uint8_t b[16], struct xen_ptwr_insn *in)
{
	unsigned i = 0, rex = 0;
	while (i < 3 && (b[i] == 0xf0 || b[i] == 0x3e || b[i] == 0x2e))
		i++;                             /* lock (pvmon's update is atomic under the domain's lock), ds, cs */
	if ((b[i] & 0xf0) == 0x40)
		rex = b[i++];
	unsigned op = b[i], imm_len = 0;
	if (op == 0x0f)
		op = 0x100 | b[++i];
	const uint8_t *m = &b[i + 1];        /* ModRM: at most b[6], its SIB b[7] */
	if ((m[0] >> 6) == 3)
		return false;                    /* a register operand: no memory write */
	unsigned ext = (m[0] >> 3) & 7;
	memset(in, 0, sizeof(*in));
	in->size = rex & 8 ? 8 : 4;
	in->reg = ext | (rex & 4 ? 8 : 0);
	in->len = i + 1 + modrm_len(m);      /* at most 12 */
	switch (op) {
	case 0x89: in->kind = PT_MOV; break;
	case 0x87: in->kind = PT_XCHG; break;
	case 0x1b1: in->kind = PT_CMPXCHG; break;
	case 0x21: in->kind = PT_AND; break;
	case 0x09: in->kind = PT_OR; break;
	case 0x1ab: in->kind = PT_BTS; break;
	case 0x1b3: in->kind = PT_BTR; break;
	case 0xc7: if (ext) return false; in->kind = PT_MOV; imm_len = 4; break;
	case 0x80: if (ext != 1 && ext != 4) return false; in->kind = ext == 4 ? PT_AND : PT_OR; in->size = 1; imm_len = 1; break;
	case 0x81: if (ext != 1 && ext != 4) return false; in->kind = ext == 4 ? PT_AND : PT_OR; imm_len = 4; break;
	case 0x83: if (ext != 1 && ext != 4) return false; in->kind = ext == 4 ? PT_AND : PT_OR; imm_len = 1; break;
	case 0x1ba: if (ext != 5 && ext != 6) return false; in->kind = ext == 5 ? PT_BTS : PT_BTR; imm_len = 1; break;
	default: return false;
	}
	if (imm_len == 1) {
		in->imm = (uint64_t)(int64_t)(int8_t)b[in->len];
	} else if (imm_len == 4) {
		int32_t imm;
		memcpy(&imm, &b[in->len], 4);    /* b[in->len + 3] is at most b[15] */
		in->imm = (uint64_t)(int64_t)imm;
	}
	in->has_imm = imm_len != 0;
	in->len += imm_len;
	return in->len <= 15;
}

int xen_ptwr_apply(const struct xen_ptwr_insn *in, uint64_t cur, uint64_t src, uint64_t rax, uint64_t rflags,
                   uint64_t *val, uint64_t *fl)
{
	uint64_t vmask = in->size == 8 ? ~0ULL : (1ULL << (in->size * 8)) - 1;
	cur &= vmask;
	src &= vmask;
	*val = cur;
	*fl = rflags;
	switch (in->kind) {
	case PT_MOV: case PT_XCHG:
		*val = src;
		return 1;
	case PT_CMPXCHG: {
		bool eq = cur == (rax & vmask);
		*fl = (rflags & ~0x40ULL) | (eq ? 0x40ULL : 0);     /* ZF, what Linux's try_cmpxchg reads */
		if (eq)
			*val = src;
		return eq;
	}
	case PT_AND: case PT_OR:
		*val = in->kind == PT_AND ? cur & src : cur | src;
		*fl = (rflags & ~0x8d5ULL) | (*val ? 0 : 0x40ULL) | ((*val >> (in->size * 8 - 1)) & 1 ? 0x80ULL : 0) |
		      (__builtin_parity((unsigned)(*val & 0xff)) ? 0 : 0x4ULL);
		return 1;
	case PT_BTS: case PT_BTR:
		if (!in->has_imm && src >= in->size * 8)
			return -1;
		src &= in->size * 8 - 1;
		*fl = (rflags & ~1ULL) | ((cur >> src) & 1);
		*val = in->kind == PT_BTS ? cur | (1ULL << src) : cur & ~(1ULL << src);
		return 1;
	}
	return -1;
}

uint64_t xen_ptwr_reg_result(unsigned size, uint64_t reg, uint64_t cur)
{
	if (size == 8)
		return cur;
	if (size == 4)
		return cur & 0xffffffffULL;
	return (reg & ~0xffULL) | (cur & 0xff);
}
