/* The CPU kernels; see cpu.h. */
#include "cpu.h"

#define SIEVE_N 2000000
static uint64_t k_sieve(void *scratch)
{
	uint8_t *c = scratch;
	uint64_t count = 0;
	for (uint64_t i = 2; i < SIEVE_N; i++) {
		if (c[i])
			continue;
		count++;
		for (uint64_t j = i * i; j < SIEVE_N; j += i)
			c[j] = 1;
	}
	return count;
}

static uint64_t fib(int n) { return n < 2 ? (uint64_t)n : fib(n - 1) + fib(n - 2); }
static uint64_t k_fib(void *scratch)
{
	(void)scratch;
	return fib(27);
}

static uint64_t k_crc(void *scratch)
{
	(void)scratch;
	uint32_t crc = 0xffffffff;
	for (uint32_t i = 0; i < 4000000; i++) {
		crc ^= (uint8_t)(i * 31);
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

#define SORT_N 200000
static uint64_t k_sort(void *scratch)
{
	uint32_t *a = scratch, *tmp = a + SORT_N;
	uint64_t x = 42, sum = 0;
	for (int i = 0; i < SORT_N; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		a[i] = (uint32_t)(x >> 33);
	}
	for (int w = 1; w < SORT_N; w *= 2) {           /* bottom-up merge sort */
		for (int lo = 0; lo < SORT_N; lo += 2 * w) {
			int mid = lo + w < SORT_N ? lo + w : SORT_N, hi = lo + 2 * w < SORT_N ? lo + 2 * w : SORT_N;
			int i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
			while (i < mid)
				tmp[k++] = a[i++];
			while (j < hi)
				tmp[k++] = a[j++];
		}
		uint32_t *t = a;
		a = tmp;
		tmp = t;
	}
	for (int i = 1; i < SORT_N; i++)
		if (a[i - 1] > a[i])
			return 0;
	for (int i = 0; i < SORT_N; i += 1000)
		sum += a[i];
	return sum;
}

/* A small bytecode interpreter running a loop-heavy program. */
static uint64_t k_interp(void *scratch)
{
	(void)scratch;
	enum { PUSH, ADD, MUL, DUP, SWAP, JNZ, DEC, POP, HALT, XOR };
	static const uint8_t prog[] = {
		PUSH, 1, PUSH, 200, /* acc counter */
		/* loop: */ SWAP, PUSH, 3, MUL, PUSH, 7, XOR, SWAP, DEC, DUP, JNZ, 4, POP, HALT,
	};
	uint64_t total = 0;
	for (int rep = 0; rep < 20000; rep++) {
		uint64_t st[16];
		int sp = 0, pc = 0;
		for (;;) {
			uint8_t op = prog[pc++];
			if (op == PUSH) st[sp++] = prog[pc++];
			else if (op == ADD) { sp--; st[sp - 1] += st[sp]; }
			else if (op == MUL) { sp--; st[sp - 1] *= st[sp]; }
			else if (op == XOR) { sp--; st[sp - 1] ^= st[sp]; }
			else if (op == DUP) { st[sp] = st[sp - 1]; sp++; }
			else if (op == SWAP) { uint64_t t = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = t; }
			else if (op == DEC) st[sp - 1]--;
			else if (op == POP) sp--;
			else if (op == JNZ) { uint8_t t = prog[pc++]; if (st[--sp]) pc = t; }
			else break;
		}
		total += st[0] + (uint64_t)rep;
	}
	return total;
}

/* Indirect calls through a table: isolates the cost of indirect branches,
 * which differs between a host process and a guest on some back ends. */
static uint64_t op_add(uint64_t x, uint64_t i) { return x + i; }
static uint64_t op_xor(uint64_t x, uint64_t i) { return x ^ (i * 0x9E3779B97F4A7C15ULL); }
static uint64_t op_rot(uint64_t x, uint64_t i) { return (x << 7 | x >> 57) + i; }
static uint64_t op_mul(uint64_t x, uint64_t i) { return x * 3 + i; }
static uint64_t k_indirect(void *scratch)
{
	(void)scratch;
	static uint64_t (*const ops[4])(uint64_t, uint64_t) = { op_add, op_xor, op_rot, op_mul };
	uint64_t x = 1, seed = 12345;
	for (uint64_t i = 0; i < 20000000; i++) {
		seed = seed * 6364136223846793005ULL + 1;
		x = ops[seed >> 62](x, i);
	}
	return x;
}

const struct cpu_kernel cpu_kernels[] = {
	{ "sieve", k_sieve, 148933, SIEVE_N },
	{ "fib", k_fib, 196418, 0 },
	{ "crc", k_crc, 3545406171ULL, 0 },
	{ "sort", k_sort, 213710470330ULL, 2 * SORT_N * sizeof(uint32_t) },
	{ "interp", k_interp, 14185429243413950480ULL, 0 },
	{ "indirect", k_indirect, 18135594090544023420ULL, 0 },
};
const int nr_cpu_kernels = sizeof(cpu_kernels) / sizeof(cpu_kernels[0]);
