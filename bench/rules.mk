# pvbench: benchmark driver (reuses pvmon's KVM probe for the raw exit loop).
# The native CPU kernels get pvos's code generation (no SSE, no builtins)
# so that native and pv run the same instructions.
$(BUILD)/bench/workloads/cpu-native.o: bench/workloads/cpu.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (native, guest code generation)"
	$(Q)$(CC) $(CFLAGS) -mgeneral-regs-only -ffreestanding -fno-builtin -MMD -MP -c $< -o $@

PVBENCH_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard bench/*.c)) $(BUILD)/bench/workloads/cpu-native.o

$(BIN)/pvbench: $(PVBENCH_OBJS) $(BUILD)/libpvmon.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

PROGRAMS += $(BIN)/pvbench
bench: all
	$(BIN)/pvbench hcall
	$(BIN)/pvbench cpu
