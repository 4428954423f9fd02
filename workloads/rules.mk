# workloads/: the workloads both sides build, so native and pv run the
# same code: the CPU kernels (cpu.c: pvos's kernel, pvbench's native side
# and pvcpu, each built by its own rules) and the lmbench-style benchmarks
# (lmbench.c: pvlm here, pvos's user programs in guest/rules.mk).
# pvlm: lmbench.c as a Linux program, the native side of `pvbench lmbench`
# and, the same file, its program in a Linux PV domain's initramfs, which
# holds no C library: so it is linked statically, and without the
# sanitizers (they cannot be), in `make asan` too. Its objects are its own.
PVLM_CFLAGS := $(filter-out $(SAN),$(CFLAGS))
PVLM_OBJS := $(BUILD)/workloads/static/pvlm.o $(BUILD)/workloads/static/lmbench.o \
             $(BUILD)/workloads/static/numparse.o

$(BUILD)/workloads/static/%.o: workloads/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (static)"
	$(Q)$(CC) $(PVLM_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/workloads/static/numparse.o: common/numparse.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (static)"
	$(Q)$(CC) $(PVLM_CFLAGS) -MMD -MP -c $< -o $@

$(BIN)/pvlm: $(PVLM_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@ (static)"
	$(Q)$(CC) -static -o $@ $^ -luring

PROGRAMS += $(BIN)/pvlm
