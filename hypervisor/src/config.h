/* Domain configuration files: xl.cfg-like `key = value` lines. */
#ifndef PVMON_CONFIG_H
#define PVMON_CONFIG_H
#include <stddef.h>
#include <stdint.h>

#define CFG_NAME_MAX 32
#define CFG_CMDLINE_MAX 1024
#define CFG_MEM_MIN_MIB 4
#define CFG_MEM_MAX_MIB (64 * 1024)
#define CFG_WEIGHT_DEFAULT 100
#define CFG_DISKS_MAX 4
#define CFG_DISK_MAX 4096
#define CFG_VIFS_MAX 4
#define CFG_VIF_MAX 256

struct dom_config {
	char name[CFG_NAME_MAX];
	uint64_t memory_mib;
	uint32_t vcpus;
	char kernel[4096];
	char ramdisk[4096];       /* Linux PV only: the initramfs; "" none */
	char cmdline[CFG_CMDLINE_MAX];
	/* Linux PV only: xl.cfg's disk = [ "file:PATH,VDEV,MODE", ... ], each
	 * checked by the block back end (xen_blkback.c) when the domain is built. */
	char disk[CFG_DISKS_MAX][CFG_DISK_MAX];
	unsigned ndisks;
	/* pvos only: its network interface, "gen" (pvmon's packet generator) or
	 * "tap:NAME" (a TAP device), checked by pvnet.c; "" none. */
	char pvnet[32];
	/* Linux PV only: xl.cfg's vif = [ "mac=...,ip=...,rate=...", ... ],
	 * each checked by the network back end (xen_netback.c). */
	char vif[CFG_VIFS_MAX][CFG_VIF_MAX];
	unsigned nvifs;
	uint32_t weight;          /* BVT weight, 1..10000 */
	uint64_t warp_ns, warpl_ns, warpu_ns;  /* BVT warp, 0 = off */
};

/* Parse text; on error fill err with "path:line: reason" and return -EINVAL. */
int config_parse(const char *text, const char *path, struct dom_config *c, char *err, size_t errlen);
/* Read a whole regular file of 1..max bytes (NUL-terminated) without ever
 * blocking on a FIFO or a device; what: a label for errors ("kernel") or
 * NULL. 0, or -errno with one line in err. */
int config_read_file(const char *path, const char *what, size_t max, char **buf, size_t *len,
                     char *err, size_t errlen);
/* Read and parse a file, and check that the kernel file exists. */
int config_load(const char *path, struct dom_config *c, char *err, size_t errlen);
#endif
