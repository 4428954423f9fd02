/* Unpacking a bzImage: the x86 boot protocol's setup header says where the
 * compressed kernel is (payload_offset, payload_length, protocol 2.08+);
 * its magic says how it is compressed, and Debian's library for that format
 * unpacks it. Linux appends the unpacked size to every payload (mkpiggy
 * reads it there; for gzip it is the member's ISIZE), so the output is
 * allocated once, at that size, and must come out exactly that long. */
#include <bzlib.h>
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>
#include "bzimage.h"
#include "kload.h"

/* Setup header fields (Documentation/arch/x86/boot.rst). */
#define HDR_SETUP_SECTS    0x1f1
#define HDR_BOOT_FLAG      0x1fe
#define HDR_MAGIC          0x202
#define HDR_VERSION        0x206
#define HDR_PAYLOAD_OFFSET 0x248
#define HDR_PAYLOAD_LENGTH 0x24c
#define HDR_END            0x250
#define BOOT_FLAG          0xaa55
#define VERSION_PAYLOAD    0x208   /* the first with payload_offset/length */

/* liblzma's memory for the dictionary: Linux packs xz with a 32 MiB
 * dictionary and lzma with lzma -9's 64 MiB. */
#define LZMA_MEMLIMIT (96ull << 20)
#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK (8u << 20)   /* a legacy frame's blocks unpack to at most this */

static const char *const format_names[] = {
#define BZIMAGE_NAME(name) #name,
	BZIMAGE_FORMATS(BZIMAGE_NAME)
#undef BZIMAGE_NAME
};

const char *bzimage_format_name(enum bzimage_format f)
{
	return (unsigned)f < sizeof(format_names) / sizeof(format_names[0]) ? format_names[f] : "?";
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static const struct {
	enum bzimage_format f;
	uint8_t len;
	uint8_t magic[6];
} magics[] = {
	{ BZIMAGE_gzip, 2, { 0x1f, 0x8b } },
	{ BZIMAGE_bzip2, 3, { 'B', 'Z', 'h' } },
	{ BZIMAGE_lzma, 3, { 0x5d, 0x00, 0x00 } },
	{ BZIMAGE_xz, 6, { 0xfd, '7', 'z', 'X', 'Z', 0x00 } },
	{ BZIMAGE_lzo, 4, { 0x89, 'L', 'Z', 'O' } },
	{ BZIMAGE_lz4, 4, { 0x02, 0x21, 0x4c, 0x18 } },
	{ BZIMAGE_zstd, 4, { 0x28, 0xb5, 0x2f, 0xfd } },
};

/* Each decoder unpacks in[0..inlen) into out[0..cap) (cap is one more than
 * the declared size, so a stream that runs past it is seen) and stores the
 * bytes written in *got; the caller checks *got against the declared size. */
typedef int (*unpack_fn)(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *got,
                         char *err, size_t errlen);

static int unpack_lzma_common(lzma_stream *s, lzma_ret r, const char *what, const uint8_t *in,
                              size_t inlen, uint8_t *out, size_t cap, size_t *got, char *err, size_t errlen)
{
	if (r != LZMA_OK) {
		lzma_end(s);
		return r == LZMA_MEM_ERROR ? -ENOMEM : kload_refuse(err, errlen, "%s: decoder set-up failed (%d)", what, r);
	}
	s->next_in = in;
	s->avail_in = inlen;
	s->next_out = out;
	s->avail_out = cap;
	do
		r = lzma_code(s, LZMA_FINISH);
	while (r == LZMA_OK);
	*got = cap - s->avail_out;
	size_t left = s->avail_out;
	lzma_end(s);
	switch (r) {
	case LZMA_STREAM_END: return 0;
	case LZMA_MEM_ERROR: return -ENOMEM;
	case LZMA_MEMLIMIT_ERROR:
		return kload_refuse(err, errlen, "%s: the stream needs more than %llu MiB to unpack", what, LZMA_MEMLIMIT >> 20);
	case LZMA_BUF_ERROR:
		return left ? kload_refuse(err, errlen, "%s: the stream is truncated", what)
		            : kload_refuse(err, errlen, "%s: the stream unpacks to more than the size it declares", what);
	case LZMA_FORMAT_ERROR: return kload_refuse(err, errlen, "%s: corrupt stream (not %s data)", what, what);
	case LZMA_OPTIONS_ERROR: return kload_refuse(err, errlen, "%s: corrupt stream (options liblzma does not support)", what);
	case LZMA_DATA_ERROR: return kload_refuse(err, errlen, "%s: corrupt stream (liblzma: data error)", what);
	default:
		return kload_refuse(err, errlen, "%s: corrupt stream (liblzma error %d)", what, r);
	}
}

static int unpack_xz(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *got, char *err, size_t errlen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r = lzma_stream_decoder(&s, LZMA_MEMLIMIT, 0);
	return unpack_lzma_common(&s, r, "xz", in, inlen, out, cap, got, err, errlen);
}

static int unpack_lzma(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *got, char *err, size_t errlen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r = lzma_alone_decoder(&s, LZMA_MEMLIMIT);
	return unpack_lzma_common(&s, r, "lzma", in, inlen, out, cap, got, err, errlen);
}

static int unpack_gzip(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *got, char *err, size_t errlen)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)   /* 16: a gzip member, not zlib */
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)inlen;                      /* both below 4 GiB: checked by the caller */
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int r;
	do
		r = inflate(&z, Z_FINISH);
	while (r == Z_OK);
	*got = cap - z.avail_out;
	size_t left = z.avail_out;
	char msg[80];
	snprintf(msg, sizeof(msg), "%s", z.msg ? z.msg : "");
	inflateEnd(&z);
	switch (r) {
	case Z_STREAM_END: return 0;
	case Z_MEM_ERROR: return -ENOMEM;
	case Z_BUF_ERROR:
		return left ? kload_refuse(err, errlen, "gzip: the stream is truncated")
		            : kload_refuse(err, errlen, "gzip: the stream unpacks to more than the size it declares");
	default:
		return kload_refuse(err, errlen, "gzip: corrupt stream (%s)", msg[0] ? msg : "zlib error");
	}
}

static int unpack_bzip2(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *got, char *err, size_t errlen)
{
	bz_stream b;
	memset(&b, 0, sizeof(b));
	if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK)
		return -ENOMEM;
	b.next_in = (char *)in;
	b.avail_in = (unsigned)inlen;
	b.next_out = (char *)out;
	b.avail_out = (unsigned)cap;
	int r;
	unsigned in_before, out_before;
	do {   /* libbz2 answers BZ_OK, not an error, when it can go no further */
		in_before = b.avail_in;
		out_before = b.avail_out;
		r = BZ2_bzDecompress(&b);
	} while (r == BZ_OK && (b.avail_in != in_before || b.avail_out != out_before) && b.avail_out);
	*got = cap - b.avail_out;
	BZ2_bzDecompressEnd(&b);
	if (r == BZ_STREAM_END)
		return 0;
	if (r == BZ_MEM_ERROR)
		return -ENOMEM;
	if (r == BZ_OK && !b.avail_out)
		return kload_refuse(err, errlen, "bzip2: the stream unpacks to more than the size it declares");
	if (r == BZ_OK)
		return kload_refuse(err, errlen, "bzip2: the stream is truncated");
	return kload_refuse(err, errlen, "bzip2: corrupt stream (libbz2: %s)",
	                    r == BZ_DATA_ERROR ? "data error" : r == BZ_DATA_ERROR_MAGIC ? "bad magic" : "error");
}

static int unpack_zstd(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *got, char *err, size_t errlen)
{
	/* One frame, then Linux's size: the frame alone goes to the decoder. */
	size_t frame = ZSTD_findFrameCompressedSize(in, inlen);
	if (ZSTD_isError(frame))
		return kload_refuse(err, errlen, "zstd: bad frame (%s)", ZSTD_getErrorName(frame));
	ZSTD_DCtx *d = ZSTD_createDCtx();
	if (!d)
		return -ENOMEM;
	size_t n = ZSTD_decompressDCtx(d, out, cap, in, frame);
	ZSTD_freeDCtx(d);
	if (ZSTD_isError(n)) {
		if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
			return kload_refuse(err, errlen, "zstd: the stream unpacks to more than the size it declares");
		return kload_refuse(err, errlen, "zstd: corrupt stream (%s)", ZSTD_getErrorName(n));
	}
	*got = n;
	return 0;
}

/* lz4 -l (legacy frame): a magic, then blocks of [le32 size][LZ4 block],
 * each unpacking to at most 8 MiB; liblz4's frame API reads only the newer
 * frame, so the blocks go to its block decoder one by one. The stream ends
 * where Linux's 4-byte size begins. */
static int unpack_lz4(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *got, char *err, size_t errlen)
{
	size_t end = inlen - 4, pos = 4, done = 0;
	int blocks = 0;
	while (pos < end) {
		if (end - pos < 4)
			return kload_refuse(err, errlen, "lz4: truncated block header at payload offset %zu", pos);
		uint32_t csize = le32(in + pos);
		pos += 4;
		if (csize == LZ4_LEGACY_MAGIC)              /* legacy frames may be concatenated */
			continue;
		if (csize == 0 || csize > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK) || csize > end - pos)
			return kload_refuse(err, errlen, "lz4: block %d of %u bytes at payload offset %zu does not fit the payload",
			                    blocks, csize, pos - 4);
		size_t room = cap - done < LZ4_LEGACY_BLOCK ? cap - done : LZ4_LEGACY_BLOCK;
		int n = LZ4_decompress_safe((const char *)in + pos, (char *)out + done, (int)csize, (int)room);
		if (n < 0)
			return kload_refuse(err, errlen, "lz4: block %d at payload offset %zu is corrupt or unpacks past the declared size",
			                    blocks, pos - 4);
		done += (size_t)n;
		pos += csize;
		blocks++;
	}
	if (!blocks)
		return kload_refuse(err, errlen, "lz4: no block");
	*got = done;
	return 0;
}

static int unpack_lzo(const uint8_t *in, size_t inlen, uint8_t *out, size_t cap, size_t *got, char *err, size_t errlen)
{
	(void)in, (void)inlen, (void)out, (void)cap, (void)got;
	return kload_refuse(err, errlen, "lzo: an LZO-compressed bzImage is not supported (liblzo2 reads LZO blocks, "
	                    "but no Debian library reads the lzop container Linux wraps them in); rebuild the kernel "
	                    "with CONFIG_KERNEL_XZ, _ZSTD, _GZIP, _LZ4, _BZIP2 or _LZMA");
}

static const unpack_fn unpackers[] = {
	[BZIMAGE_gzip] = unpack_gzip, [BZIMAGE_bzip2] = unpack_bzip2, [BZIMAGE_lzma] = unpack_lzma,
	[BZIMAGE_xz] = unpack_xz, [BZIMAGE_lzo] = unpack_lzo, [BZIMAGE_lz4] = unpack_lz4,
	[BZIMAGE_zstd] = unpack_zstd,
};

/* Where the payload lies in the file, from the setup header. */
static int find_payload(const uint8_t *file, size_t len, struct bzimage *bz, size_t *off, char *err, size_t errlen)
{
	if (len < HDR_END)
		return kload_refuse(err, errlen, "bzImage: %zu bytes, shorter than the setup header (%d)", len, HDR_END);
	if (le16(file + HDR_BOOT_FLAG) != BOOT_FLAG)
		return kload_refuse(err, errlen, "bzImage: boot flag 0x%04x, not 0x%04x", le16(file + HDR_BOOT_FLAG), BOOT_FLAG);
	bz->boot_version = le16(file + HDR_VERSION);
	if (bz->boot_version < VERSION_PAYLOAD)
		return kload_refuse(err, errlen, "bzImage: boot protocol %u.%02u has no payload fields (2.08 or later needed)",
		                    bz->boot_version >> 8, bz->boot_version & 0xff);
	unsigned sects = file[HDR_SETUP_SECTS] ? file[HDR_SETUP_SECTS] : 4;   /* 0 means 4 */
	uint64_t pm = (uint64_t)(sects + 1) * 512;     /* the protected-mode kernel starts here */
	uint64_t start = pm + le32(file + HDR_PAYLOAD_OFFSET), plen = le32(file + HDR_PAYLOAD_LENGTH);
	if (start > len || plen > len - start)
		return kload_refuse(err, errlen, "bzImage: payload [%llu, +%llu) lies outside the %zu-byte file",
		                    (unsigned long long)start, (unsigned long long)plen, len);
	if (plen < 4 + 6)
		return kload_refuse(err, errlen, "bzImage: payload of %llu bytes is too short for a compressed kernel",
		                    (unsigned long long)plen);
	*off = start;
	bz->payload_len = plen;
	return 0;
}

int bzimage_unpack(const uint8_t *file, size_t len, size_t max_elf, struct bzimage *out,
                   char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (len >= 4 && !memcmp(file, "\177ELF", 4)) {
		out->elf = file;
		out->len = len;
		out->format = BZIMAGE_elf;
		return 0;
	}
	if (len < HDR_MAGIC + 4 || memcmp(file + HDR_MAGIC, "HdrS", 4)) {
		unsigned char b[4] = { 0 };
		memcpy(b, file, len < 4 ? len : 4);
		return kload_refuse(err, errlen, "not a kernel: neither an ELF nor a bzImage (first bytes %02x %02x %02x %02x, no \"HdrS\" at 0x%x)",
		                    b[0], b[1], b[2], b[3], HDR_MAGIC);
	}
	size_t off = 0;
	struct bzimage bz = { 0 };
	int rc = find_payload(file, len, &bz, &off, err, errlen);
	if (rc)
		return rc;
	const uint8_t *p = file + off;
	size_t plen = bz.payload_len;
	bool known = false;
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]) && !known; i++)
		if (!memcmp(p, magics[i].magic, magics[i].len)) {
			bz.format = magics[i].f;
			known = true;
		}
	if (!known)
		return kload_refuse(err, errlen, "bzImage: unknown compression (payload starts %02x %02x %02x %02x)",
		                    p[0], p[1], p[2], p[3]);
	uint32_t declared = le32(p + plen - 4);
	if (declared == 0 || declared > max_elf)
		return kload_refuse(err, errlen, "bzImage: %s payload declares an unpacked size of %u bytes (limit %zu)",
		                    bzimage_format_name(bz.format), declared, max_elf);
	size_t cap = (size_t)declared + 1;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return snprintf(err, errlen, "bzImage: cannot allocate %u bytes", declared), -ENOMEM;
	size_t got = 0;
	rc = unpackers[bz.format](p, plen, buf, cap, &got, err, errlen);
	if (!rc && got != declared)
		rc = kload_refuse(err, errlen, "bzImage: %s payload unpacks to %zu bytes, not the %u it declares",
		                  bzimage_format_name(bz.format), got, declared);
	if (!rc && (got < 4 || memcmp(buf, "\177ELF", 4)))
		rc = kload_refuse(err, errlen, "bzImage: the unpacked %s payload is not an ELF", bzimage_format_name(bz.format));
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "bzImage: out of memory unpacking %s", bzimage_format_name(bz.format));
		free(buf);
		return rc;
	}
	bz.owned = buf;
	bz.elf = buf;
	bz.len = got;
	*out = bz;
	return 0;
}

void bzimage_free(struct bzimage *bz)
{
	free(bz->owned);
	memset(bz, 0, sizeof(*bz));
}
