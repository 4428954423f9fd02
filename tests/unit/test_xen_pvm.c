/* xen_pvm.c: the words for what the PVM probe measured. Each measurement
 * the verdict rests on is changed in turn and must change the answer; the
 * probe itself runs in tests/integration/linux_pvm.sh (PVM hosts). */
#include <string.h>
#include "check.h"
#include "../../hypervisor/src/xen_pvm.h"

static void set(uint8_t res[256], int from, int to, uint8_t v)
{
	for (int s = from; s <= to; s++)
		res[s - 256] = v;
}

/* What this repository's PVM host gave (docs/architecture.md). */
static struct xen_pvm_result measured(void)
{
	struct xen_pvm_result r;
	memset(&r, 0, sizeof(r));
	set(r.super, 256, 256, 0x8e);
	set(r.super, 257, 511, 1);
	set(r.user, 256, 511, 0x8e);
	r.user_low = 1;
	r.dpl1 = 0x8e;
	r.dpl1_cs = 0x33;
	r.iret1 = 1;
	r.cr3 = r.lstar = r.syscall0 = r.lidt = 1;
	r.pvmon_exits = 1;
	r.kvm_exits = 800;
	return r;
}

static int has(const char *s, const char *part)
{
	if (strstr(s, part))
		return 1;
	fprintf(stderr, "  \"%s\"\n  lacks \"%s\"\n", s, part);
	return 0;
}

static void test_slots(void)
{
	uint8_t res[256] = { 0 };
	char b[128];
	xen_pvm_slots(res, b, sizeof(b));
	CHECK_STR(b, "none");
	set(res, 257, 511, 1);
	xen_pvm_slots(res, b, sizeof(b));
	CHECK_STR(b, "257-511");
	set(res, 300, 300, 0x8e);
	set(res, 256, 256, 1);
	set(res, 510, 510, 2);
	xen_pvm_slots(res, b, sizeof(b));
	CHECK_STR(b, "256-299, 301-509, 511");
	/* every other slot: the list is cut at the buffer, never overrun */
	for (int s = 256; s < 512; s++)
		res[s - 256] = (s & 1) ? 1 : 0x8e;
	char small[40];
	memset(small, 'x', sizeof(small));
	xen_pvm_slots(res, small, 32);
	CHECK(strlen(small) < 32);
	CHECK(small[39] == 'x');
}

static void test_verdict(void)
{
	char b[720];
	struct xen_pvm_result r = measured();
	xen_pvm_verdict(&r, b, sizeof(b));
	CHECK(!strncmp(b, "no (PVM: ", 9) && b[strlen(b) - 1] == ')');
	CHECK(has(b, "a Xen PV kernel lives in L4 slots 511 (image at 0xffffffff80000000) and 273 (direct map)"));
	CHECK(has(b, "user mode, where Xen would run it (CPL3), reaches no upper-half L4 slot;"));
	CHECK(has(b, "supervisor mode reaches upper-half L4 slots 257-511 but is the guest's own CPL0"));
	CHECK(has(b, "(a CR3 load of the guest's own, wrmsr LSTAR, lidt ran there with no exit to pvmon)"));
	CHECK(has(b, "; no mode lies between (a DPL1 frame ran as user mode by ERETU, as supervisor mode by iretq))"));
	CHECK(!strchr(b, '\n'));

	/* a ring between the two is not claimed away unless both were seen */
	r.iret1 = 0x8d;
	xen_pvm_verdict(&r, b, sizeof(b));
	CHECK(!strstr(b, "no mode lies between"));
	r = measured();
	r.dpl1_cs = 0x51;
	xen_pvm_verdict(&r, b, sizeof(b));
	CHECK(!strstr(b, "no mode lies between"));
	r = measured();

	/* only what ran is named */
	r.lstar = 0x8d;
	xen_pvm_verdict(&r, b, sizeof(b));
	CHECK(has(b, "(a CR3 load of the guest's own, lidt ran there"));

	/* another exit to pvmon during the run: nothing is claimed to have run
	 * behind its back, so the confined wording */
	r = measured();
	r.pvmon_exits = 2;
	xen_pvm_verdict(&r, b, sizeof(b));
	CHECK(has(b, "kept the guest from loading its own CR3"));
	r = measured();
	r.cr3 = r.lstar = r.lidt = 0x8d;
	xen_pvm_verdict(&r, b, sizeof(b));
	CHECK(has(b, "supervisor mode reaches upper-half L4 slots 257-511 and kept the guest"));

	/* supervisor mode without the kernel's image slot */
	r = measured();
	r.super[511 - 256] = 0x8e;
	xen_pvm_verdict(&r, b, sizeof(b));
	CHECK(has(b, "user mode reaches no upper-half L4 slot, supervisor mode upper-half L4 slots 257-510)"));

	/* user mode reaching the kernel's slots */
	r = measured();
	set(r.user, 257, 511, 1);
	xen_pvm_verdict(&r, b, sizeof(b));
	CHECK(has(b, "user mode reaches the Xen PV kernel's L4 slots 511 and 273 here (257-511)"));
	r.user[273 - 256] = 0x8e;
	xen_pvm_verdict(&r, b, sizeof(b));
	CHECK(has(b, "user mode, where Xen would run it (CPL3), reaches upper-half L4 slots 257-272, 274-511;"));
}

static void test_describe(void)
{
	char b[720];
	struct xen_pvm_result r = measured();
	xen_pvm_describe(&r, b, sizeof(b));
	CHECK(has(b, "supervisor mode reads L4 slots 257-511 of 256-511, user mode none (lower half: yes)"));
	CHECK(has(b, "a DPL1 frame in the upper half: by ERETU #PF (cs 0x33), by iretq ran (mov from CR3 there)"));
	CHECK(has(b, "a CR3 of the guest's own: ran, wrmsr LSTAR: ran, syscall: ran, lidt of its own: ran"));
	CHECK(has(b, "1 exit to pvmon, 800 in-kernel (probe)"));
	r.lidt = 0x86;
	r.cr3 = 0;
	r.lstar = 2;
	r.user_low = 0x8e;
	xen_pvm_describe(&r, b, sizeof(b));
	CHECK(has(b, "(lower half: no)"));
	CHECK(has(b, "a CR3 of the guest's own: never reached, wrmsr LSTAR: ran, wrong value"));
	CHECK(has(b, "lidt of its own: #UD"));
}

int main(void)
{
	test_slots();
	test_verdict();
	test_describe();
	return CHECK_DONE();
}
