/* Kernel files for the loader's unit tests: reading one whole, and where
 * Debian's kernel is cached (scripts/nested-svm.sh --prepare puts it at
 * $BUILD/nested/vmlinuz; PVLAB_VMLINUZ names another). */
#ifndef PVLAB_KERNELFILE_H
#define PVLAB_KERNELFILE_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline uint8_t *kernelfile_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = NULL;
	long n;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		*len = (size_t)n;
	fclose(f);
	return buf;
}

/* Debian's kernel file, or NULL after printing why the checks that need
 * it are skipped. */
static inline uint8_t *kernelfile_debian(size_t *len, char *path, size_t pathlen)
{
	const char *env = getenv("PVLAB_VMLINUZ"), *build = getenv("BUILD");
	if (env)
		snprintf(path, pathlen, "%s", env);
	else
		snprintf(path, pathlen, "%s/nested/vmlinuz", build ? build : "build");
	uint8_t *k = kernelfile_read(path, len);
	if (!k)
		printf("skip: the checks of Debian's kernel: no kernel at %s "
		       "(scripts/nested-svm.sh --prepare fetches it)\n", path);
	return k;
}
#endif
