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
