/* bzimage.c: a kernel file is untrusted input. bzImages are made here as
 * Linux's arch/x86/boot/compressed/Makefile makes them (the same tools and
 * options, the unpacked size appended), one per compression whose tool is
 * installed (tests/deps.txt), then broken every way the header and each
 * decoder can be: truncated, lying about the size, corrupt, a bomb. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "kernelfile.h"
#include "../../hypervisor/src/bzimage.h"

#define PM_START 2048             /* setup_sects 3: the protected-mode kernel's offset */
#define PAYLOAD_AT 0x100          /* payload_offset */
#define SMALL (256u << 10)

static char dir[] = "/tmp/pvlab-bzimage.XXXXXX";

struct tool {
	enum bzimage_format f;
	const char *bin, *cmd;        /* cmd: reads stdin, writes stdout (Linux pipes, so no size in the header) */
	const char *truncated;        /* what the refusal of a truncated stream says */
	int checksummed;              /* corruption is always seen */
};

static const struct tool tools[] = {
	{ BZIMAGE_gzip, "gzip", "gzip -n -9", "truncated", 1 },
	{ BZIMAGE_bzip2, "bzip2", "bzip2 -9", "truncated", 1 },
	{ BZIMAGE_lzma, "xz", "xz --format=lzma -9", "truncated", 0 },
	{ BZIMAGE_xz, "xz", "xz --check=crc32 --x86 --lzma2=dict=32MiB", "truncated", 1 },
	{ BZIMAGE_lz4, "lz4", "lz4 -l -12 --favor-decSpeed", "does not fit the payload", 0 },
	{ BZIMAGE_zstd, "zstd", "zstd -22 --ultra -q", "bad frame", 1 },
};

static int have(const char *bin)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", bin);
	return system(cmd) == 0;
}

static void put32(uint8_t *p, uint32_t v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }

/* A kernel-like ELF: the magic, then text that compresses about 3:1. */
static uint8_t *make_elf(size_t len)
{
	uint8_t *e = malloc(len);
	uint32_t s = 12345;
	for (size_t i = 0; i < len; i++) {
		s = s * 1103515245 + 12345;
		e[i] = (i / 4096) % 3 ? "0123456789abcdef"[(s >> 16) & 15] : 0;
	}
	memcpy(e, "\177ELF\2\1\1", 7);
	return e;
}

/* Compress data with a shell command (stdin to stdout): the bytes, or NULL. */
static uint8_t *compress(const char *cmd, const uint8_t *data, size_t len, size_t *out_len)
{
	char in[64], out[64], sh[512];
	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	FILE *f = fopen(in, "wb");
	if (!f || fwrite(data, 1, len, f) != len)
		return NULL;
	fclose(f);
	snprintf(sh, sizeof(sh), "cat %s | %s > %s", in, cmd, out);
	if (system(sh) != 0)
		return NULL;
	return kernelfile_read(out, out_len);
}

/* Linux's payload: the compressed bytes and the unpacked size (le32). */
static uint8_t *payload_of(const uint8_t *z, size_t zlen, uint32_t declared, size_t *plen)
{
	uint8_t *p = malloc(zlen + 4);
	memcpy(p, z, zlen);
	put32(p + zlen, declared);
	*plen = zlen + 4;
	return p;
}

/* A bzImage around a payload: boot protocol 2.15, 16 bytes after it. */
static uint8_t *make_bzimage(const uint8_t *payload, size_t plen, size_t *len)
{
	*len = PM_START + PAYLOAD_AT + plen + 16;
	uint8_t *b = calloc(1, *len);
	b[0x1f1] = 3;
	b[0x1fe] = 0x55;
	b[0x1ff] = 0xaa;
	memcpy(b + 0x202, "HdrS", 4);
	b[0x206] = 0x0f;
	b[0x207] = 0x02;
	put32(b + 0x248, PAYLOAD_AT);
	put32(b + 0x24c, (uint32_t)plen);
	memcpy(b + PM_START + PAYLOAD_AT, payload, plen);
	return b;
}

static int unpack(const uint8_t *file, size_t len, size_t max, struct bzimage *bz, char *err)
{
	return bzimage_unpack(file, len, max, bz, err, 512);
}

/* A bzImage of compressed bytes z declaring `declared` must be refused
 * with -EINVAL and a reason holding `why`. */
static void refuse_payload(const char *what, const uint8_t *z, size_t zlen, uint32_t declared, size_t max, const char *why)
{
	size_t plen, len;
	uint8_t *p = payload_of(z, zlen, declared, &plen);
	uint8_t *file = make_bzimage(p, plen, &len);
	struct bzimage bz;
	char err[512] = "";
	int rc = unpack(file, len, max, &bz, err);
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, why) != NULL);
	if (rc != -EINVAL || !strstr(err, why))
		fprintf(stderr, "  %s: wanted \"%s\", got rc %d \"%s\"\n", what, why, rc, err);
	else
		printf("refused (%s): %s\n", what, err);
	if (!rc)
		bzimage_free(&bz);
	free(file);
	free(p);
}

static void one_format(const struct tool *t, const uint8_t *elf, size_t elf_len)
{
	const char *name = bzimage_format_name(t->f);
	size_t zlen, plen, len;
	uint8_t *z = compress(t->cmd, elf, elf_len, &zlen);
	CHECK(z != NULL);
	if (!z)
		return;
	uint8_t *p = payload_of(z, zlen, (uint32_t)elf_len, &plen);
	uint8_t *file = make_bzimage(p, plen, &len);
	struct bzimage bz;
	char err[512] = "";
	int rc = unpack(file, len, BZIMAGE_MAX_ELF, &bz, err);
	CHECK_EQ(rc, 0);
	if (rc) {
		fprintf(stderr, "  %s: %s\n", name, err);
	} else {
		CHECK_EQ(bz.format, t->f);
		CHECK_EQ(bz.len, elf_len);
		CHECK(memcmp(bz.elf, elf, elf_len) == 0);
		CHECK_EQ(bz.boot_version, 0x20f);
		CHECK_EQ(bz.payload_len, plen);
		printf("%-5s (%s): %zu bytes -> %zu, unpacked and identical\n", name, t->cmd, zlen, bz.len);
		bzimage_free(&bz);
	}
	refuse_payload(name, z, zlen, (uint32_t)elf_len / 2, BZIMAGE_MAX_ELF,
	               t->f == BZIMAGE_lz4 ? "unpacks past the declared size" : "more than the size it declares");
	refuse_payload(name, z, zlen, (uint32_t)elf_len + 100, BZIMAGE_MAX_ELF, "not the");
	refuse_payload(name, z, zlen / 2, (uint32_t)elf_len, BZIMAGE_MAX_ELF, t->truncated);
	refuse_payload(name, z, zlen, (uint32_t)elf_len, elf_len - 1, "limit");
	/* Corruption: refused where the format has a checksum; anywhere, never
	 * outside the buffers (the ASan build runs this too). */
	for (size_t at = zlen / 4; at < zlen - 8; at += zlen / 4) {
		uint8_t *bad = malloc(zlen);
		memcpy(bad, z, zlen);
		for (int i = 0; i < 4; i++)
			bad[at + i] ^= 0x5a;
		if (t->checksummed) {
			refuse_payload(name, bad, zlen, (uint32_t)elf_len, BZIMAGE_MAX_ELF, name);
		} else {
			size_t blen;
			uint8_t *bp = payload_of(bad, zlen, (uint32_t)elf_len, &plen);
			uint8_t *bf = make_bzimage(bp, plen, &blen);
			rc = unpack(bf, blen, BZIMAGE_MAX_ELF, &bz, err);
			CHECK(rc == 0 || rc == -EINVAL);
			printf("%-5s corrupted at %zu: %s\n", name, at, rc ? err : "unpacked (no checksum in this format)");
			if (!rc)
				bzimage_free(&bz);
			free(bf);
			free(bp);
		}
		free(bad);
	}
	/* A payload that is no ELF. */
	size_t tlen;
	uint8_t *text = compress(t->cmd, (const uint8_t *)"#!/bin/sh\necho not a kernel\n", 28, &tlen);
	if (text)
		refuse_payload(name, text, tlen, 28, BZIMAGE_MAX_ELF, "not an ELF");
	free(text);
	free(file);
	free(p);
	free(z);
}

/* A bomb: a few kilobytes that unpack to 64 MiB of zeros. */
static void bombs(void)
{
	const size_t big = 64u << 20;
	uint8_t *zero = calloc(1, big);
	memcpy(zero, "\177ELF", 4);
	struct { const char *bin, *cmd; } b[] = { { "xz", "xz -1 --check=crc32" }, { "zstd", "zstd -1 -q" }, { "gzip", "gzip -1" } };
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		if (!have(b[i].bin))
			continue;
		size_t zlen;
		uint8_t *z = compress(b[i].cmd, zero, big, &zlen);
		CHECK(z != NULL);
		if (!z)
			continue;
		printf("bomb (%s): %zu bytes that unpack to %zu\n", b[i].cmd, zlen, big);
		refuse_payload("bomb, honest size, limit 16 MiB", z, zlen, (uint32_t)big, 16u << 20, "limit");
		refuse_payload("bomb, declaring 4 KiB", z, zlen, 4096, BZIMAGE_MAX_ELF, "more than the size it declares");
		refuse_payload("declaring 4 GiB - 1", z, zlen, 0xffffffffu, BZIMAGE_MAX_ELF, "limit");
		free(z);
	}
	free(zero);
}

#define REFUSE_FILE(what, why, mutate) do { size_t l_ = good_len; uint8_t *f_ = malloc(good_len); \
	memcpy(f_, good, good_len); mutate; struct bzimage bz_; char err_[512] = ""; \
	int rc_ = unpack(f_, l_, BZIMAGE_MAX_ELF, &bz_, err_); CHECK_EQ(rc_, -EINVAL); CHECK(strstr(err_, why) != NULL); \
	if (rc_ != -EINVAL || !strstr(err_, why)) fprintf(stderr, "  %s: wanted \"%s\", got rc %d \"%s\"\n", what, why, rc_, err_); \
	else printf("refused (%s): %s\n", what, err_); \
	if (!rc_) bzimage_free(&bz_); \
	free(f_); } while (0)

/* The setup header, on a well-formed gzip bzImage made in memory. */
static void header(void)
{
	static const uint8_t gz_hdr[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	uint8_t z[64] = { 0 };
	memcpy(z, gz_hdr, sizeof(gz_hdr));
	size_t plen, good_len;
	uint8_t *p = payload_of(z, sizeof(z), 1000, &plen);
	uint8_t *good = make_bzimage(p, plen, &good_len);
	REFUSE_FILE("empty file", "not a kernel", l_ = 0);
	REFUSE_FILE("random bytes", "not a kernel", memset(f_, 0x42, l_));
	REFUSE_FILE("a truncated header", "shorter than the setup header", l_ = 0x230);
	REFUSE_FILE("no boot flag", "boot flag", f_[0x1fe] = 0);
	REFUSE_FILE("protocol 2.07", "2.08 or later", f_[0x206] = 0x07);
	REFUSE_FILE("payload_offset past the end", "outside", put32(f_ + 0x248, 0x7fffffff));
	REFUSE_FILE("payload_length past the end", "outside", put32(f_ + 0x24c, (uint32_t)plen + 17));
	REFUSE_FILE("both at 4 GiB - 1", "outside", put32(f_ + 0x248, 0xffffffff); put32(f_ + 0x24c, 0xffffffff));
	REFUSE_FILE("setup_sects past the end", "outside", f_[0x1f1] = 0xff);
	REFUSE_FILE("a 5-byte payload", "too short", put32(f_ + 0x24c, 5));
	REFUSE_FILE("unknown compression", "unknown compression", f_[PM_START + PAYLOAD_AT] = 0x77);
	REFUSE_FILE("declared size 0", "unpacked size of 0", put32(f_ + PM_START + PAYLOAD_AT + plen - 4, 0));
	REFUSE_FILE("lzo", "not supported", memcpy(f_ + PM_START + PAYLOAD_AT, "\x89LZO\0\r\n\x1a\n", 9));
	REFUSE_FILE("a gzip header and no data", "gzip", );
	free(good);
	free(p);

	/* A plain ELF comes back as it is, not copied. */
	uint8_t elf[64] = "\177ELF";
	struct bzimage bz;
	char err[512];
	CHECK_EQ(unpack(elf, sizeof(elf), BZIMAGE_MAX_ELF, &bz, err), 0);
	CHECK(bz.elf == elf && bz.len == sizeof(elf) && !bz.owned && bz.format == BZIMAGE_elf);
	bzimage_free(&bz);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	header();
	uint8_t *elf = make_elf(SMALL);
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		if (have(tools[i].bin))
			one_format(&tools[i], elf, SMALL);
		else
			printf("skip: %s: no %s (tests/deps.txt lists it)\n", bzimage_format_name(tools[i].f), tools[i].bin);
	}
	free(elf);
	/* lz4's legacy frame splits at 8 MiB: a kernel-sized input has blocks. */
	if (have("lz4")) {
		size_t n = (9u << 20) + 12345;
		elf = make_elf(n);
		one_format(&tools[4], elf, n);
		free(elf);
	}
	bombs();
	char rm[128];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm) != 0)
		fprintf(stderr, "could not remove %s\n", dir);

	/* Debian's own kernel file, unpacked whole (its notes: test_xenelf). */
	char path[512], err[512];
	size_t len;
	uint8_t *file = kernelfile_debian(&len, path, sizeof(path));
	if (file) {
		struct bzimage bz;
		int rc = unpack(file, len, BZIMAGE_MAX_ELF, &bz, err);
		CHECK_EQ(rc, 0);
		if (rc) {
			fprintf(stderr, "%s: %s\n", path, err);
		} else {
			printf("Debian's kernel %s: %zu bytes, boot protocol %u.%02u, %s payload of %zu bytes -> ELF of %zu bytes\n",
			       path, len, bz.boot_version >> 8, bz.boot_version & 0xff, bzimage_format_name(bz.format),
			       bz.payload_len, bz.len);
			CHECK(bz.len > 4 && !memcmp(bz.elf, "\177ELF", 4));
			bzimage_free(&bz);
		}
		free(file);
	}
	return CHECK_DONE();
}
