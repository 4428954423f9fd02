# workloads/: the workloads both sides build, so native and pv run the
# same code: the CPU kernels (cpu.c: pvos's kernel, pvbench's native side
# and pvcpu, each built by its own rules) and the lmbench-style benchmarks
# (lmbench.c: pvlm here, pvos's user programs in guest/rules.mk).
# pvlm: lmbench.c as a Linux program, the native side of `pvbench lmbench`.
PVLM_OBJS := $(BUILD)/workloads/pvlm.o $(BUILD)/workloads/lmbench.o

$(BIN)/pvlm: $(PVLM_OBJS) $(PVCOMMON_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

PROGRAMS += $(BIN)/pvlm
