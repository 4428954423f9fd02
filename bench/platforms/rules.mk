# pvcpu: the CPU kernels as one static host program, the binary that runs
# natively, in the full-virt (QEMU) guest and under User-Mode Linux. Static
# so the guest images need no matching libc (not under the sanitizers,
# which cannot link statically). The kernels get pvos's code
# generation (cpu-native.o from bench/rules.mk), as pvbench cpu's do.
$(BIN)/pvcpu: $(BUILD)/bench/platforms/pvcpu.o $(BUILD)/bench/workloads/cpu-native.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $(if $(SAN),,-static) -o $@ $^

PROGRAMS += $(BIN)/pvcpu

# umlxstate.so: preloaded into linux.uml so that it can run on hosts with a
# large XSAVE area (see umlxstate.c). A plain shared object: no sanitizers
# inside another program.
$(BUILD)/lib/umlxstate.so: bench/platforms/umlxstate.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (shared)"
	$(Q)$(CC) $(OPT) -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -fPIC -shared -o $@ $< -ldl

PROGRAMS += $(BUILD)/lib/umlxstate.so
