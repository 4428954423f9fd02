# Unit tests: tests/unit/test_NAME.c -> $(BUILD)/tests/unit/test_NAME,
# linked with libpvmon.a (pure C, no KVM needed).
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libpvmon.a $(PVCOMMON_LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PVMON_LIBS) $(LDLIBS)

# A probe of the CPU model under nested_svm.sh and nested_vmx.sh (QEMU TCG,
# Bochs): a host program.
# Never sanitized: it reads the CPU's behaviour from the signals its
# exceptions raise, which ASan and UBSan would take for themselves.
PROGRAMS += $(BUILD)/tests/nested/tcg_quirks
$(BUILD)/tests/nested/tcg_quirks: tests/nested/tcg_quirks.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(filter-out -fsanitize% -fno-sanitize%,$(CFLAGS)) -o $@ $<

# Fault injection (LD_PRELOAD) for the tests of failure paths. Never
# sanitized: it is preloaded into any build's programs.
PROGRAMS += $(BUILD)/tests/fault/libfailvm.so
$(BUILD)/tests/fault/libfailvm.so: tests/fault/failvm.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(filter-out -fsanitize% -fno-sanitize%,$(CFLAGS)) -shared -fPIC -o $@ $< -ldl

# A test-only event generator: pvmon's tracepoint wrappers (trace.o, which
# dlopen()s the provider) driven with known values (tests/integration/pvtrace*.sh).
$(BUILD)/tests/pvtrace-gen: $(BUILD)/tests/tools/tpgen.o $(BUILD)/hypervisor/src/trace.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
PROGRAMS += $(BUILD)/tests/pvtrace-gen

# The UDP sender that feeds a pvos domain's TAP device (netflip.sh).
$(BUILD)/tests/pvlab-udpsend: $(BUILD)/tests/tools/udpsend.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
PROGRAMS += $(BUILD)/tests/pvlab-udpsend

# common's JSON reader links json-c.
$(BUILD)/tests/unit/test_jsonread: $(BUILD)/tests/unit/test_jsonread.o $(PVCOMMON_LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(JSONREAD_LIBS) $(LDLIBS)

# A hostile Xen PV guest kernel of our own (tests/integration/xen_hostile.sh):
# freestanding, at Linux's VIRT_BASE, never sanitized.
PROGRAMS += $(BUILD)/tests/xenpv/hostile_xen.elf
$(BUILD)/tests/xenpv/hostile_xen.elf: tests/xenpv/hostile_xen.c tests/xenpv/hostile_xen.ld
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
	  -mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables -nostdlib \
	  -static -no-pie -Wl,-T,tests/xenpv/hostile_xen.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $@ $<
