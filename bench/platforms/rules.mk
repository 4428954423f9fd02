# pvcpu: the CPU kernels as one static host program, the binary that runs
# natively, in the full-virt (QEMU) guest and under User-Mode Linux. Static
# so the guest images need no matching libc, and never sanitized (even in
# make asan): ASan's shadow memory does not fit UML's address space and its
# runtime is not in the image. The kernels get pvos's code generation, as
# pvbench cpu's do.
PVCPU_CFLAGS := $(OPT) -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -fno-strict-aliasing

$(BUILD)/pvcpu/workloads/cpu.o: workloads/cpu.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (pvcpu, guest code generation)"
	$(Q)$(CC) $(PVCPU_CFLAGS) -mgeneral-regs-only -ffreestanding -fno-builtin -MMD -MP -c $< -o $@

$(BUILD)/pvcpu/pvcpu.o: bench/platforms/pvcpu.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (pvcpu)"
	$(Q)$(CC) $(PVCPU_CFLAGS) -MMD -MP -c $< -o $@

$(BIN)/pvcpu: $(BUILD)/pvcpu/pvcpu.o $(BUILD)/pvcpu/workloads/cpu.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) -static -o $@ $^

PROGRAMS += $(BIN)/pvcpu

# The shims preloaded into programs the platforms run, plain shared
# objects (no sanitizers inside another program): umlxstate.so into
# linux.uml, so that it runs on hosts with a large XSAVE area (see
# umlxstate.c); selectwait.so into Domain 0's httperf (httperf-vif), so
# that it sleeps in select() instead of spinning (see selectwait.c).
PRELOAD_SHIMS := $(BUILD)/lib/umlxstate.so $(BUILD)/lib/selectwait.so

$(PRELOAD_SHIMS): $(BUILD)/lib/%.so: bench/platforms/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (shared)"
	$(Q)$(CC) $(OPT) -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -fPIC -shared -o $@ $< -ldl

PROGRAMS += $(PRELOAD_SHIMS)
