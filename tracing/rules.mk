# tracing/: the LTTng-UST provider library. pvmon does not link it (nor
# liblttng-ust); trace_init() dlopen()s it from $(BIN)/../lib at run time.
# trace.c, the pvmon side, is listed by hypervisor/rules.mk.

TRACING_TP_LIB := $(BUILD)/lib/libpvmon-tp.so
PROGRAMS += $(TRACING_TP_LIB)

# Position-independent objects live apart from pvmon's ($(BUILD)/%.o).
# -Itracing: lttng/tracepoint-event.h re-includes "pvmon_tp.h" by name.
$(BUILD)/pic/tracing/%.o: tracing/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -fPIC -Itracing -MMD -MP -c $< -o $@

$(TRACING_TP_LIB): $(BUILD)/pic/tracing/pvmon_tp.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libpvmon-tp.so -o $@ $^ -llttng-ust

# pvtrace: the analysis commands on libbabeltrace2. Everything but main()
# goes into libpvtrace.a, which tests/unit/test_pvtrace links.
PVTRACE_LIB_SRCS := $(filter-out tracing/pvtrace.c,$(wildcard tracing/pvtrace_*.c))
PVTRACE_LIB := $(BUILD)/lib/libpvtrace.a
PVTRACE_LDLIBS := -lbabeltrace2 -lsqlite3

$(PVTRACE_LIB): $(PVTRACE_LIB_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)$(AR) rcs $@ $^

# libpvtracectl: LTTng session control (liblttng-ctl loaded at run time),
# for pvmon run --trace, pvctl trace and pvbench hcall.
PVTRACECTL_LIB := $(BUILD)/lib/libpvtracectl.a

$(PVTRACECTL_LIB): $(BUILD)/tracing/tracectl.o
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)$(AR) rcs $@ $^

# libpvcounters: libpfm4-named perf counters, for pvtrace and pvbench.
PVCOUNTERS_LIB := $(BUILD)/lib/libpvcounters.a
PVCOUNTERS_LDLIBS := -lpfm

$(PVCOUNTERS_LIB): $(BUILD)/tracing/counters.o
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)$(AR) rcs $@ $^

$(BIN)/pvtrace: $(BUILD)/tracing/pvtrace.o $(PVTRACE_LIB) $(PVCOUNTERS_LIB) $(PVCOMMON_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PVTRACE_LDLIBS) $(PVCOUNTERS_LDLIBS) $(LDLIBS)

PROGRAMS += $(PVTRACE_LIB) $(PVCOUNTERS_LIB) $(PVTRACECTL_LIB) $(BIN)/pvtrace

# Unit tests that need these libraries (the pattern rule in tests/rules.mk
# links test.o and libpvmon.a; these add theirs after them).
$(BUILD)/tests/unit/test_pvtrace: $(PVTRACE_LIB)
$(BUILD)/tests/unit/test_pvtrace: LDLIBS += $(PVTRACE_LDLIBS)
$(BUILD)/tests/unit/test_counters: $(PVCOUNTERS_LIB)
$(BUILD)/tests/unit/test_counters: LDLIBS += $(PVCOUNTERS_LDLIBS)
