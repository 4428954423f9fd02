# pvmon: the hypervisor. Every object except main.o also goes into
# libpvmon.a, which the unit tests link against.
PVMON_SRCS := $(filter-out hypervisor/src/main.c,$(wildcard hypervisor/src/*.c))
PVMON_ASM  := hypervisor/src/fastpath_stub.S hypervisor/src/fastpath_stub_hw.S hypervisor/src/hvarea_fault.S \
              hypervisor/src/xen_entry.S hypervisor/src/xen_pvm_probe.S
PVMON_OBJS := $(PVMON_SRCS:%.c=$(BUILD)/%.o) $(PVMON_ASM:%.S=$(BUILD)/%.o)
# The libraries a kernel file may be compressed with (bzimage.c): whoever
# links libpvmon.a's bzimage.o, or pvmon's sources, links these too.
PVMON_LIBS := -llzma -lzstd -lz -llz4 -lbz2 -luring

# The fast path's entry stubs (PVM and VT-x/AMD-V, one source) and the
# baseline's fault reporter: guest code pvmon carries as data.
$(BUILD)/hypervisor/src/%.o: hypervisor/src/%.S hypervisor/src/fastpath_stub.S hypervisor/src/fastpath.h hypervisor/src/hvarea.h hypervisor/src/xen_entry.h \
                             hypervisor/src/xen_pvm.h
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# (rebuilt whole: a source removed or renamed leaves no stale member behind)
$(BUILD)/libpvmon.a: $(PVMON_OBJS)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN)/pvmon: $(BUILD)/hypervisor/src/main.o $(BUILD)/libpvmon.a $(PVTRACECTL_LIB) $(PVCOMMON_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PVMON_LIBS) $(LDLIBS)

PROGRAMS += $(BIN)/pvmon $(BUILD)/libpvmon.a
