/* /dev/kvm plumbing shared by all domains, and the start-up probe: a bare
 * guest of one page (CPL3, long mode set up through KVM_SET_SREGS) that
 * tells whether KVM advances RIP past `out` before an I/O exit (PVM does,
 * VT-x/AMD-V KVM does it on re-entry) and what an exit costs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kvm.h"
#include "pvmon.h"
#include "pvtime.h"

struct host host = {
	.domains_lock = PTHREAD_MUTEX_INITIALIZER,
	.exit_lock = PTHREAD_MUTEX_INITIALIZER,
	.exit_cond = PTHREAD_COND_INITIALIZER,
};

const char *kvm_backend(void)
{
	static char name[8];
	if (name[0])
		return name;
	const char *mods[] = { "kvm_pvm", "kvm_intel", "kvm_amd" };
	const char *names[] = { "pvm", "vmx", "svm" };
	snprintf(name, sizeof(name), "unknown");
	for (int i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/sys/module/%s", mods[i]);
		if (!access(p, F_OK)) {
			snprintf(name, sizeof(name), "%s", names[i]);
			break;
		}
	}
	return name;
}

static bool param_on(const char *path)
{
	char v[8] = "";
	FILE *f = fopen(path, "r");
	if (!f)
		return true;             /* unknown: the rule that is safe on every MMU */
	bool on = fgets(v, sizeof(v), f) && (v[0] == 'Y' || v[0] == 'y' || v[0] == '1');
	fclose(f);
	return on;
}

/* With two-dimensional paging (AMD NPT, Intel EPT) the CPU walks the guest's
 * tables itself and a walk counts as a write for the nested tables, which a
 * read-only slot turns into an MMIO exit; PVM and shadow paging walk them in
 * software and only read. PVLAB_POOL_SLOT=rw|ro forces the choice (tests). */
static void kvm_detect_paging(void)
{
	const char *force = getenv("PVLAB_POOL_SLOT"), *be = kvm_backend();
	if (force && (!strcmp(force, "rw") || !strcmp(force, "ro"))) {
		host.tdp = force[1] == 'w';
		host.paging = host.tdp ? "forced by PVLAB_POOL_SLOT=rw" : "forced by PVLAB_POOL_SLOT=ro";
	} else if (!strcmp(be, "pvm")) {
		host.tdp = false;
		host.paging = "shadow paging";
	} else if (!strcmp(be, "svm") || !strcmp(be, "vmx")) {
		host.tdp = param_on(!strcmp(be, "svm") ? "/sys/module/kvm_amd/parameters/npt"
		                                         : "/sys/module/kvm_intel/parameters/ept");
		host.paging = host.tdp ? "nested paging" : "shadow paging";
	} else {
		host.tdp = true;
		host.paging = "paging unknown";
	}
}

int kvm_scratch_open(struct kvm_scratch *s, size_t mem_size, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->mem_size = mem_size;
	s->vm = ioctl(host.kvm_fd, KVM_CREATE_VM, 0);
	if (s->vm < 0)
		return snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno)), -errno;
	s->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region r = { 0, 0, 0, mem_size, (uint64_t)s->mem };
	if (s->mem == MAP_FAILED || ioctl(s->vm, KVM_SET_USER_MEMORY_REGION, &r))
		return snprintf(err, errlen, "probe memory: %s", strerror(errno)), -errno;
	s->cpu = ioctl(s->vm, KVM_CREATE_VCPU, 0);
	if (s->cpu < 0)
		return snprintf(err, errlen, "KVM_CREATE_VCPU: %s", strerror(errno)), -errno;
	s->run = mmap(NULL, (size_t)host.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, s->cpu, 0);
	if (s->run == MAP_FAILED)
		return snprintf(err, errlen, "mmap kvm_run: %s", strerror(errno)), -errno;
	return 0;
}

void kvm_scratch_close(struct kvm_scratch *s)
{
	if (s->run && s->run != MAP_FAILED)
		munmap(s->run, (size_t)host.run_size);
	if (s->mem && s->mem != MAP_FAILED)
		munmap(s->mem, s->mem_size);
	if (s->cpu > 0)
		close(s->cpu);
	if (s->vm > 0)
		close(s->vm);
}

/* code at 0x10000: rcx = iters; loop { out 0xE0 } ; out 0xE1 */
static int probe_open(struct kvm_scratch *p, unsigned long iters, char *err, size_t errlen)
{
	int rc = kvm_scratch_open(p, 4 << 20, err, errlen);
	if (rc)
		return rc;
	uint64_t *pml4 = (uint64_t *)(p->mem + 0x1000), *pdpt = (uint64_t *)(p->mem + 0x2000),
	         *pd = (uint64_t *)(p->mem + 0x3000);
	pml4[0] = 0x2000 | 7;
	pdpt[0] = 0x3000 | 7;
	pd[0] = 0x87;
	pd[1] = 0x200000 | 0x87;
	uint8_t code[] = {
		0x48, 0xc7, 0xc1, 0, 0, 0, 0,   /* mov $iters, %rcx */
		0x31, 0xc0, 0xe6, 0xe0,         /* xor %eax,%eax; out %al,$0xe0 */
		0x48, 0xff, 0xc9, 0x75, 0xf7,   /* dec %rcx; jnz */
		0xe6, 0xe1, 0xeb, 0xfe,         /* out %al,$0xe1; jmp . */
	};
	uint32_t n = (uint32_t)iters;
	memcpy(code + 3, &n, 4);
	memcpy(p->mem + 0x10000, code, sizeof(code));
	struct kvm_sregs s;
	ioctl(p->cpu, KVM_GET_SREGS, &s);
	s.cr3 = 0x1000;
	s.cr4 = 0x20;
	s.cr0 = 0x80050033;
	s.efer = 0x500;
	s.cs = (struct kvm_segment){ .limit = 0xffffffff, .selector = 0x33, .type = 11, .present = 1,
	                             .dpl = 3, .s = 1, .l = 1, .g = 1 };
	s.ds = (struct kvm_segment){ .limit = 0xffffffff, .selector = 0x2b, .type = 3, .present = 1,
	                             .dpl = 3, .db = 1, .s = 1, .g = 1 };
	s.es = s.fs = s.gs = s.ss = s.ds;
	struct kvm_regs g = { .rip = 0x10000, .rsp = 0x200000, .rflags = 0x3002 };
	if (ioctl(p->cpu, KVM_SET_SREGS, &s) || ioctl(p->cpu, KVM_SET_REGS, &g))
		return snprintf(err, errlen, "probe registers: %s", strerror(errno)), -errno;
	p->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	return 0;
}

/* Run to the final `out 0xE1`; returns exits taken or -errno. */
static long probe_run(struct kvm_scratch *p, bool *advanced, char *err, size_t errlen)
{
	long exits = 0;
	for (;;) {
		if (ioctl(p->cpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			return snprintf(err, errlen, "probe KVM_RUN: %s", strerror(errno)), -errno;
		}
		if (p->run->exit_reason != KVM_EXIT_IO)
			return snprintf(err, errlen, "probe guest stopped with exit reason %u (expected I/O)",
			                p->run->exit_reason), -EIO;
		if (exits == 0 && advanced)
			*advanced = p->run->s.regs.regs.rip == 0x1000b;
		if (p->run->io.port == 0xe1)
			return exits;
		exits++;
	}
}

int kvm_measure_exit(unsigned long iters, double *ns, char *err, size_t errlen)
{
	struct kvm_scratch p;
	int rc = probe_open(&p, iters, err, errlen);
	if (!rc) {
		uint64_t t0 = time_mono_ns();
		long n = probe_run(&p, NULL, err, errlen);
		uint64_t t1 = time_mono_ns();
		if (n < 0)
			rc = (int)n;
		else
			*ns = n ? (double)(t1 - t0) / (double)n : 0;
	}
	kvm_scratch_close(&p);
	return rc;
}

int kvm_host_init(int nr_pcpus, char *err, size_t errlen)
{
	host.nr_pcpus = nr_pcpus;
	host.nr_cpus_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (host.nr_cpus_online < 1)
		host.nr_cpus_online = 1;
	struct stat st;
	/* a file in /dev/kvm's place (a container's, or a test's stand-in) is no KVM */
	if (!stat("/dev/kvm", &st) && !S_ISCHR(st.st_mode))
		return snprintf(err, errlen, "/dev/kvm is not a character device: this host has no KVM"), -ENODEV;
	host.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (host.kvm_fd < 0) {
		int e = errno;
		if (e == ENOENT)
			snprintf(err, errlen, "/dev/kvm not found: this host has no KVM (enable virtualization or load the kvm module)");
		else if (e == EACCES)
			snprintf(err, errlen, "/dev/kvm: permission denied (run as root or join the 'kvm' group)");
		else
			snprintf(err, errlen, "/dev/kvm: %s", strerror(e));
		return -e;
	}
	if (ioctl(host.kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return snprintf(err, errlen, "/dev/kvm speaks an unknown API version"), -ENOTSUP;
	int sync = ioctl(host.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	if ((sync & (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) != (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS))
		return snprintf(err, errlen, "KVM lacks KVM_CAP_SYNC_REGS (regs+sregs), which pvmon needs"), -ENOTSUP;
	if (ioctl(host.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return snprintf(err, errlen, "KVM lacks KVM_CAP_IMMEDIATE_EXIT, which pvmon needs"), -ENOTSUP;
	kvm_detect_paging();
	host.run_size = ioctl(host.kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (host.run_size <= 0)
		return snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno)), -errno;

	struct kvm_scratch p;
	int rc = probe_open(&p, 2, err, errlen);
	if (!rc) {
		long khz = ioctl(p.cpu, KVM_GET_TSC_KHZ, 0);
		host.tsc_khz = khz > 0 ? (uint64_t)khz : 0;
		long n = probe_run(&p, &host.pio_rip_advanced, err, errlen);
		if (n < 0)
			rc = (int)n;
	}
	kvm_scratch_close(&p);
	return rc;
}

const char *const kvm_stat_names[KS_NR] = { "exits", "insn_emulation", "io_exits", "halt_exits", "mmio_exits" };

void kvm_stats_open(struct kvm_stats *s, int vcpu_fd)
{
	struct kvm_stats_header h;
	for (int i = 0; i < KS_NR; i++)
		s->off[i] = -1;
	s->fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0)
		return;
	if (pread(s->fd, &h, sizeof(h), 0) != sizeof(h) || h.name_size > 256 || h.num_desc > 4096) {
		kvm_stats_close(s);
		return;
	}
	size_t dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	char *buf = malloc(dsz * h.num_desc);
	if (!buf || pread(s->fd, buf, dsz * h.num_desc, h.desc_offset) != (ssize_t)(dsz * h.num_desc)) {
		free(buf);
		kvm_stats_close(s);
		return;
	}
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)(buf + i * dsz);
		d->name[h.name_size - 1] = 0;
		for (int k = 0; k < KS_NR; k++)
			if (d->size >= 1 && !strcmp(d->name, kvm_stat_names[k]))
				s->off[k] = (int64_t)h.data_offset + d->offset;
	}
	free(buf);
}

void kvm_stats_read(const struct kvm_stats *s, uint64_t out[KS_NR])
{
	for (int k = 0; k < KS_NR; k++) {
		out[k] = 0;
		if (s->fd >= 0 && s->off[k] >= 0 && pread(s->fd, &out[k], sizeof(out[k]), s->off[k]) != sizeof(out[k]))
			out[k] = 0;
	}
}

void kvm_stats_close(struct kvm_stats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
