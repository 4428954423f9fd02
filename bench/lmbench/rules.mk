# pvlm: the lmbench-style benchmarks as a Linux program (the native side of
# `pvbench lmbench`); the same lmbench.c is built into pvos's user programs
# by guest/user/lmbench.c.
PVLM_OBJS := $(BUILD)/bench/lmbench/native.o $(BUILD)/bench/lmbench/lmbench.o

$(BIN)/pvlm: $(PVLM_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

PROGRAMS += $(BIN)/pvlm
