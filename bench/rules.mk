# pvbench: benchmark driver. Of pvmon it uses the start-up probes only
# (hypervisor/include/pvmon_probe.h: KVM, the raw exit loop, the fast path);
# the linker takes those members of libpvmon.a and what they need.
# The native CPU kernels get pvos's code generation (no SSE, no builtins)
# so that native and pv run the same instructions.
$(BUILD)/workloads/cpu-native.o: workloads/cpu.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (native, guest code generation)"
	$(Q)$(CC) $(CFLAGS) -mgeneral-regs-only -ffreestanding -fno-builtin -MMD -MP -c $< -o $@

# The suites and the R analysis are found in the tree pvbench was built from.
$(BUILD)/bench/paths.o: CFLAGS += -DPVLAB_SRCDIR='"$(CURDIR)"'

# libpvbench.a: the parts of pvbench the unit tests (test_bench*) link.
PVBENCH_LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,bench/suite.c bench/db.c bench/db_sqlite.c bench/db_pg.c \
                      bench/result.c bench/paths.c bench/progress.c \
                      bench/lmrows.c \
                      bench/spawn.c)
PVBENCH_OBJS := $(filter-out $(PVBENCH_LIB_OBJS),$(patsubst %.c,$(BUILD)/%.o,$(wildcard bench/*.c))) \
                $(BUILD)/workloads/cpu-native.o

# The results database's PostgreSQL back end: libpq (libpq-dev).
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
PQ_LIBS   := $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)
$(BUILD)/bench/db_pg.o: CFLAGS += $(PQ_CFLAGS)

# (rebuilt from scratch when this file changes the list of its objects)
$(BUILD)/libpvbench.a: $(PVBENCH_LIB_OBJS) bench/rules.mk
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)

# --counters: libpvcounters from tracing/rules.mk (libpfm4).
$(BIN)/pvbench: $(PVBENCH_OBJS) $(BUILD)/libpvbench.a $(BUILD)/libpvmon.a $(PVCOUNTERS_LIB) $(PVTRACECTL_LIB) $(PVCOMMON_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PVMON_LIBS) $(LDLIBS) -lsqlite3 $(PQ_LIBS) $(JSONREAD_LIBS) $(PVCOUNTERS_LDLIBS) -lm

# Unit tests of pvbench's parts: the more specific pattern wins over
# tests/rules.mk's.
$(BUILD)/tests/unit/test_bench%: $(BUILD)/tests/unit/test_bench%.o $(BUILD)/libpvbench.a $(PVCOMMON_LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lsqlite3 $(PQ_LIBS) $(JSONREAD_LIBS) -lm

PROGRAMS += $(BIN)/pvbench
bench: all
	$(BIN)/pvbench hcall
	$(BIN)/pvbench cpu
