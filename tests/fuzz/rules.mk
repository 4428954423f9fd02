# Fuzz targets (libFuzzer, clang): the page-table validator, the grant
# table, Xen's page types and emulated page-table writes (Linux PV), xenstore's protocol, the blkif and netif rings' consumers, pvos's receive ring (pvnet), whole hypercall sequences and kernel files (bzImage, ELF notes,
# Xen's start-of-day layout). `make check` runs a short bounded campaign of each through
# tests/integration/fuzz.sh; `make fuzz` runs a long one.
FUZZ_CC    ?= clang
FUZZ_FLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Icommon -Ihypervisor/include \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_TARGETS := $(BUILD)/fuzz/fuzz_pagetable $(BUILD)/fuzz/fuzz_gnttab $(BUILD)/fuzz/fuzz_hcall \
                $(BUILD)/fuzz/fuzz_xenelf $(BUILD)/fuzz/fuzz_xen_mm $(BUILD)/fuzz/fuzz_xen_ptwr \
                $(BUILD)/fuzz/fuzz_xenstore $(BUILD)/fuzz/fuzz_xen_blkif $(BUILD)/fuzz/fuzz_xen_netif $(BUILD)/fuzz/fuzz_pvnet_ring

$(BUILD)/fuzz/fuzz_pagetable: tests/fuzz/fuzz_pagetable.c hypervisor/src/pagetable.c hypervisor/src/pagetable.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_pagetable.c hypervisor/src/pagetable.c -lpthread

# The targets over Xen's page types share their domain and checks (xmm_fuzz.c).
XMM_FUZZ_SRCS := tests/fuzz/xmm_fuzz.c hypervisor/src/xen_mm.c
$(BUILD)/fuzz/fuzz_xen_mm: tests/fuzz/fuzz_xen_mm.c $(XMM_FUZZ_SRCS) tests/fuzz/xmm_fuzz.h hypervisor/src/xen_mm.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_xen_mm.c $(XMM_FUZZ_SRCS)

$(BUILD)/fuzz/fuzz_xen_ptwr: tests/fuzz/fuzz_xen_ptwr.c hypervisor/src/xen_ptwr.c hypervisor/src/xen_ptwr.h $(XMM_FUZZ_SRCS) tests/fuzz/xmm_fuzz.h hypervisor/src/xen_mm.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_xen_ptwr.c hypervisor/src/xen_ptwr.c $(XMM_FUZZ_SRCS)

$(BUILD)/fuzz/fuzz_pvnet_ring: tests/fuzz/fuzz_pvnet_ring.c hypervisor/src/pvnet_ring.c hypervisor/src/pvnet_ring.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_pvnet_ring.c hypervisor/src/pvnet_ring.c

$(BUILD)/fuzz/fuzz_xenstore: tests/fuzz/fuzz_xenstore.c hypervisor/src/xenstore.c hypervisor/src/xenstore.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_xenstore.c hypervisor/src/xenstore.c -lpthread

$(BUILD)/fuzz/fuzz_xen_blkif: tests/fuzz/fuzz_xen_blkif.c hypervisor/src/xen_blkif.c hypervisor/src/xen_blkif.h hypervisor/src/xen_ring.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_xen_blkif.c hypervisor/src/xen_blkif.c

$(BUILD)/fuzz/fuzz_xen_netif: tests/fuzz/fuzz_xen_netif.c hypervisor/src/xen_netif.c hypervisor/src/xen_netif.h hypervisor/src/xen_ring.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_xen_netif.c hypervisor/src/xen_netif.c

XENELF_SRCS := hypervisor/src/bzimage.c hypervisor/src/xenelf.c hypervisor/src/xenlayout.c
$(BUILD)/fuzz/fuzz_xenelf: tests/fuzz/fuzz_xenelf.c $(XENELF_SRCS) $(XENELF_SRCS:.c=.h) hypervisor/src/kload.h include/pvlab/pv.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_xenelf.c $(XENELF_SRCS) $(PVMON_LIBS)

# Grant operations and whole hypercall sequences run through the real
# hypercall path, so the whole of pvmon but main.c is built into these
# targets (KVM is never opened).
$(BUILD)/fuzz/fuzz_gnttab $(BUILD)/fuzz/fuzz_hcall: $(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(PVMON_SRCS) $(PVMON_ASM) common/numparse.c common/jsonquote.c $(wildcard hypervisor/src/*.h hypervisor/include/*.h)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -Wno-unused-command-line-argument -Wno-gnu-variable-sized-type-not-at-end -o $@ $< $(PVMON_SRCS) $(PVMON_ASM) common/numparse.c common/jsonquote.c \
	  $(PVMON_LIBS) -lpthread -ldl -lrt

PROGRAMS += $(FUZZ_TARGETS)

.PHONY: fuzz
fuzz: all
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD)/fuzz/corpus-$$(basename $$t); \
	  s=tests/fuzz/seeds/$$(basename $$t | sed 's/^fuzz_//'); [ -d $$s ] && cp $$s/* $(BUILD)/fuzz/corpus-$$(basename $$t)/; \
	  echo "fuzz: $$t for $${FUZZ_SECONDS:-600} s"; \
	  $$t -max_total_time=$${FUZZ_SECONDS:-600} -print_final_stats=1 $(BUILD)/fuzz/corpus-$$(basename $$t) || exit 1; \
	done
