# Unit tests: tests/unit/test_NAME.c -> $(BUILD)/tests/unit/test_NAME,
# linked with libpvmon.a (pure C, no KVM needed).
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libpvmon.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# A probe of the CPU model under nested_svm.sh and nested_vmx.sh (QEMU TCG,
# Bochs): a host program.
# Never sanitized: it reads the CPU's behaviour from the signals its
# exceptions raise, which ASan and UBSan would take for themselves.
PROGRAMS += $(BUILD)/tests/nested/tcg_quirks
$(BUILD)/tests/nested/tcg_quirks: tests/nested/tcg_quirks.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(filter-out -fsanitize% -fno-sanitize%,$(CFLAGS)) -o $@ $<
