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

/* ---- shared by the kernels below: a fixed PRNG and a fixed text ---- */
static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x >> 33;
}

static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352dU;
	h ^= h >> 15;
	h *= 0x846ca68bU;
	return h ^ (h >> 16);
}

/* Word w of a synthetic language: 2..9 letters, a pure function of w, so
 * no vocabulary has to be stored. Returns the length written to out. */
static int make_word(uint32_t w, uint8_t *out)
{
	int len = 2 + (int)(mix32(w) % 8);
	for (int j = 0; j < len; j++)
		out[j] = (uint8_t)('a' + mix32(w * 16 + (uint32_t)j + 0x9e37U) % 26);
	return len;
}

/* Word indices with a skewed distribution (the product of two uniform
 * draws favours small indices), as word frequencies in real text are. */
static uint32_t skewed_word(uint64_t *x, uint32_t vocab)
{
	uint64_t a = lcg(x) % vocab, b = lcg(x) % vocab;
	return (uint32_t)(a * b / vocab);
}

/* ---- compression: LZ77 compress + decompress round trip ---- */
/* Token stream: a flag byte announces 8 items; bit set = a match of 3
 * bytes (16-bit distance, length - LZ_MIN in 8 bits), clear = a literal.
 * Matches are found through hash chains over a 64 KiB window (zlib's
 * scheme), at most LZ_CHAIN candidates per position. */
#define LZ_IN      (768 * 1024)
#define LZ_OUT_MAX (LZ_IN + LZ_IN / 8 + 16)
#define LZ_WIN     65536
#define LZ_HBITS   15
#define LZ_MIN     4
#define LZ_MAXLEN  (LZ_MIN + 255)
#define LZ_CHAIN   24
#define LZ_SCRATCH (2 * LZ_IN + LZ_OUT_MAX + 4 * (1 << LZ_HBITS) + 4 * LZ_WIN)

static uint32_t lz_hash(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return (v * 2654435761U) >> (32 - LZ_HBITS);
}

/* Positions are stored + 1 so that the zeroed scratch means "empty". */
static size_t lz_compress(const uint8_t *in, size_t n, uint8_t *out, uint32_t *head, uint32_t *prev)
{
	size_t o = 0, flag_at = 0, i = 0;
	int nitems = 8;
	while (i < n) {
		if (nitems == 8) {
			flag_at = o++;
			out[flag_at] = 0;
			nitems = 0;
		}
		size_t best_len = 0, best_dist = 0;
		if (i + LZ_MIN <= n) {
			uint32_t h = lz_hash(in + i), cand = head[h];
			size_t limit = n - i < LZ_MAXLEN ? n - i : LZ_MAXLEN;
			for (int chain = 0; cand && chain < LZ_CHAIN; chain++) {
				size_t c = cand - 1, dist = i - c;
				if (dist >= LZ_WIN)
					break;
				size_t len = 0;
				while (len < limit && in[c + len] == in[i + len])
					len++;
				if (len > best_len) {
					best_len = len;
					best_dist = dist;
					if (len == limit)
						break;
				}
				uint32_t next = prev[c % LZ_WIN];
				if (next >= cand) /* the slot was reused by a newer position */
					break;
				cand = next;
			}
		}
		size_t step = best_len >= LZ_MIN ? best_len : 1;
		if (best_len >= LZ_MIN) {
			out[flag_at] |= (uint8_t)(1 << nitems);
			out[o++] = (uint8_t)best_dist;
			out[o++] = (uint8_t)(best_dist >> 8);
			out[o++] = (uint8_t)(best_len - LZ_MIN);
		} else {
			out[o++] = in[i];
		}
		nitems++;
		for (size_t k = 0; k < step; k++, i++) {
			if (i + LZ_MIN > n)
				continue;
			uint32_t h = lz_hash(in + i);
			prev[i % LZ_WIN] = head[h];
			head[h] = (uint32_t)i + 1;
		}
	}
	return o;
}

/* Returns the decompressed size, or 0 on a malformed stream. */
static size_t lz_decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t i = 0, o = 0;
	while (i < n) {
		uint8_t flags = in[i++];
		for (int b = 0; b < 8 && i < n; b++) {
			if (!(flags & (1 << b))) {
				if (o >= cap)
					return 0;
				out[o++] = in[i++];
				continue;
			}
			if (i + 3 > n)
				return 0;
			size_t dist = (size_t)in[i] | (size_t)in[i + 1] << 8, len = (size_t)in[i + 2] + LZ_MIN;
			i += 3;
			if (dist == 0 || dist > o || o + len > cap)
				return 0;
			for (size_t k = 0; k < len; k++, o++)
				out[o] = out[o - dist];
		}
	}
	return o;
}

/* One round trip on a text of skewed words from a vocabulary of the given
 * size (smaller = more repetitive); 0 if the round trip loses data. */
static uint64_t lz_round(uint8_t *scratch, uint32_t vocab, uint64_t seed)
{
	uint8_t *in = scratch, *dec = in + LZ_IN, *out = dec + LZ_IN;
	uint32_t *head = (uint32_t *)(out + LZ_OUT_MAX);  /* LZ_OUT_MAX is a multiple of 4 */
	uint32_t *prev = head + (1 << LZ_HBITS);
	for (uint32_t i = 0; i < (1 << LZ_HBITS); i++)
		head[i] = 0;
	size_t n = 0;
	while (n < LZ_IN) {         /* words, spaces and now and then a digit */
		uint8_t w[16];
		int len = make_word(skewed_word(&seed, vocab), w);
		for (int j = 0; j < len && n < LZ_IN; j++)
			in[n++] = w[j];
		if (n < LZ_IN)
			in[n++] = lcg(&seed) % 16 ? ' ' : (uint8_t)('0' + lcg(&seed) % 10);
	}
	size_t clen = lz_compress(in, n, out, head, prev);
	if (clen > LZ_OUT_MAX || lz_decompress(out, clen, dec, LZ_IN) != n)
		return 0;
	uint32_t fnv = 2166136261U;
	for (size_t i = 0; i < n; i++)
		if (dec[i] != in[i])
			return 0;
	for (size_t i = 0; i < clen; i++)
		fnv = (fnv ^ out[i]) * 16777619U;
	return (uint64_t)clen << 32 | fnv;
}

static uint64_t k_compress(void *scratch)
{
	static const uint32_t vocabs[] = { 512, 4096, 32768 };
	uint64_t sum = 0;
	for (int r = 0; r < 3; r++) {
		uint64_t v = lz_round(scratch, vocabs[r], 7 + (uint64_t)r);
		if (!v)
			return 0;
		sum = sum * 31 + v;
	}
	return sum;
}

/* ---- hashing: word counting in an open-addressing hash table ---- */
/* The perlbench-like part of SPEC: hash strings, probe, compare keys,
 * insert the unseen ones, count; then look up words of which only some
 * exist. Slots hold (hash, id + 1); the keys live in a byte pool. */
#define HT_VOCAB  65536
#define HT_BITS   17
#define HT_WORDS  1200000
#define HT_PROBES 400000
#define HT_POOL   (HT_VOCAB * 10)
#define HT_SCRATCH (8 * (1 << HT_BITS) + 8 * HT_VOCAB + HT_POOL)

struct ht {
	uint32_t *slot;   /* [2 * (1 << HT_BITS)]: hash, id + 1 */
	uint32_t *off;    /* [HT_VOCAB]: key's offset in pool (length byte first) */
	uint32_t *count;  /* [HT_VOCAB] */
	uint8_t *pool;
	uint32_t nkeys, pool_used;
};

static uint32_t fnv1a(const uint8_t *s, int len)
{
	uint32_t h = 2166136261U;
	for (int i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619U;
	return h;
}

static int key_eq(const struct ht *t, uint32_t id, const uint8_t *s, int len)
{
	const uint8_t *k = t->pool + t->off[id];
	if (k[0] != len)
		return 0;
	for (int i = 0; i < len; i++)
		if (k[1 + i] != s[i])
			return 0;
	return 1;
}

/* Slot index of the key, or of the empty slot where it would go. */
static uint32_t ht_find(const struct ht *t, const uint8_t *s, int len, uint32_t h)
{
	uint32_t mask = (1U << HT_BITS) - 1, i = h & mask;
	while (t->slot[2 * i + 1]) {
		if (t->slot[2 * i] == h && key_eq(t, t->slot[2 * i + 1] - 1, s, len))
			return i;
		i = (i + 1) & mask;
	}
	return i;
}

static uint64_t k_hash(void *scratch)
{
	struct ht t = { .slot = scratch };
	t.off = t.slot + 2 * (1 << HT_BITS);
	t.count = t.off + HT_VOCAB;
	t.pool = (uint8_t *)(t.count + HT_VOCAB);
	uint64_t x = 99, hits = 0;
	uint8_t w[16];
	for (uint32_t n = 0; n < HT_WORDS; n++) {
		int len = make_word(skewed_word(&x, HT_VOCAB), w);
		uint32_t h = fnv1a(w, len), i = ht_find(&t, w, len, h);
		if (!t.slot[2 * i + 1]) {
			if (t.nkeys == HT_VOCAB || t.pool_used + 1 + len > HT_POOL)
				return 0;
			t.off[t.nkeys] = t.pool_used;
			t.pool[t.pool_used++] = (uint8_t)len;
			for (int j = 0; j < len; j++)
				t.pool[t.pool_used++] = w[j];
			t.slot[2 * i] = h;
			t.slot[2 * i + 1] = ++t.nkeys;
		}
		t.count[t.slot[2 * i + 1] - 1]++;
	}
	for (uint32_t n = 0; n < HT_PROBES; n++) {  /* half the words were never inserted */
		int len = make_word((uint32_t)(lcg(&x) % (2 * HT_VOCAB)), w);
		uint32_t i = ht_find(&t, w, len, fnv1a(w, len));
		if (t.slot[2 * i + 1])
			hits += t.count[t.slot[2 * i + 1] - 1];
	}
	uint64_t sum = 0;
	for (uint32_t id = 0; id < t.nkeys; id++)
		sum += (uint64_t)t.count[id] * (id + 1);
	return (uint64_t)t.nkeys << 48 ^ hits << 24 ^ sum;
}

/* ---- graph search: Dijkstra with a binary heap on a fixed graph ---- */
/* A ring with random shortcuts (small-world, like road and social
 * graphs): every node has GR_DEG out-edges, half to near neighbours and
 * half anywhere, weights 1..64. The heap supports decrease-key through a
 * position index, as in the textbook algorithm. */
#define GR_N      32768
#define GR_DEG    8
#define GR_SRCS   8
#define GR_INF    0xffffffffU
#define GR_SCRATCH (4 * GR_N * GR_DEG + 2 * GR_N * GR_DEG + 4 * 3 * GR_N)

struct heap {
	uint32_t *node, *pos, *dist;  /* pos[v] = index in node[] + 1, 0 = not queued */
	uint32_t n;
};

static void heap_place(struct heap *h, uint32_t i, uint32_t v)
{
	h->node[i] = v;
	h->pos[v] = i + 1;
}

static void heap_up(struct heap *h, uint32_t i)
{
	uint32_t v = h->node[i];
	while (i > 0 && h->dist[h->node[(i - 1) / 2]] > h->dist[v]) {
		heap_place(h, i, h->node[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_place(h, i, v);
}

static uint32_t heap_pop(struct heap *h)
{
	uint32_t top = h->node[0], v = h->node[--h->n], i = 0;
	h->pos[top] = 0;
	if (!h->n)
		return top;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->dist[h->node[c + 1]] < h->dist[h->node[c]])
			c++;
		if (h->dist[h->node[c]] >= h->dist[v])
			break;
		heap_place(h, i, h->node[c]);
		i = c;
	}
	heap_place(h, i, v);
	return top;
}

static uint64_t k_graph(void *scratch)
{
	uint32_t *to = scratch;
	uint16_t *wt = (uint16_t *)(to + GR_N * GR_DEG);
	struct heap h = { .dist = (uint32_t *)(wt + GR_N * GR_DEG) };
	h.node = h.dist + GR_N;
	h.pos = h.node + GR_N;
	uint64_t x = 2024, total = 0;
	for (uint32_t v = 0; v < GR_N; v++)
		for (int e = 0; e < GR_DEG; e++) {
			uint32_t near = (v + 1 + (uint32_t)(lcg(&x) % 16)) % GR_N;
			to[v * GR_DEG + e] = e < GR_DEG / 2 ? near : (uint32_t)(lcg(&x) % GR_N);
			wt[v * GR_DEG + e] = (uint16_t)(1 + lcg(&x) % 64);
		}
	for (int s = 0; s < GR_SRCS; s++) {
		uint32_t src = (uint32_t)(lcg(&x) % GR_N), reached = 0, far = 0;
		for (uint32_t v = 0; v < GR_N; v++)
			h.dist[v] = GR_INF;
		h.dist[src] = 0;
		h.n = 0;
		heap_place(&h, h.n++, src);
		while (h.n) {
			uint32_t u = heap_pop(&h), du = h.dist[u];
			reached++;
			far = du > far ? du : far;
			total += du;
			for (int e = 0; e < GR_DEG; e++) {
				uint32_t v = to[u * GR_DEG + e], dv = du + wt[u * GR_DEG + e];
				if (dv >= h.dist[v])
					continue;
				h.dist[v] = dv;
				if (!h.pos[v])
					heap_place(&h, h.n++, v);
				heap_up(&h, h.pos[v] - 1);
			}
		}
		total += (uint64_t)reached << 40 ^ (uint64_t)far << 20;
	}
	return total;
}

const struct cpu_kernel cpu_kernels[] = {
	{ "sieve", k_sieve, 148933, SIEVE_N },
	{ "fib", k_fib, 196418, 0 },
	{ "crc", k_crc, 3545406171ULL, 0 },
	{ "sort", k_sort, 213710470330ULL, 2 * SORT_N * sizeof(uint32_t) },
	{ "interp", k_interp, 14185429243413950480ULL, 0 },
	{ "indirect", k_indirect, 18135594090544023420ULL, 0 },
	{ "compress", k_compress, 1495339198231939426ULL, LZ_SCRATCH },
	{ "hash", k_hash, 15061982229985294065ULL, HT_SCRATCH },
	{ "graph", k_graph, 288142416795694977ULL, GR_SCRATCH },
};
const int nr_cpu_kernels = sizeof(cpu_kernels) / sizeof(cpu_kernels[0]);
