# pvlab top-level build. `make` builds everything into build/; `make check`
# runs every test; `make check-vmx` the VT-x test bed under Bochs; `make
# asan` runs the tests under ASan/UBSan; `make deps` installs the Debian
# packages the build and tests need.

BUILD    ?= build
V        ?= 0
Q        := $(if $(filter 1,$(V)),,@)
BIN      := $(BUILD)/bin
CC       ?= gcc
SAN      ?=
OPT      ?= -O2
CFLAGS   := $(OPT) -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
            -fno-strict-aliasing -Iinclude -Icommon -Ihypervisor/include $(SAN)
LDFLAGS  := $(SAN)
LDLIBS   := -lpthread -ldl -lrt

# Debian packages: each layer lists its own in DIR/deps.txt (scripts/deps.sh).

# Filled in by the subsystem fragments included below.
PROGRAMS :=
UNIT_TESTS :=

.PHONY: all check check-vmx asan deps clean bench report
# Packages first, then the build: with -j, prerequisites of one rule run in
# parallel, so the compile must not start until deps-ok has finished.
all: deps-ok
	@$(MAKE) --no-print-directory programs

include common/rules.mk
include tracing/rules.mk
include hypervisor/rules.mk
include guest/rules.mk
include workloads/rules.mk
include dom0-tools/rules.mk
include bench/rules.mk
include bench/platforms/rules.mk
include tests/rules.mk
include tests/fuzz/rules.mk

programs: $(PROGRAMS) $(UNIT_TESTS)
	@:

# deps-ok is cheap: it only calls `make deps` when a header or tool is missing.
deps-ok:
	@scripts/deps.sh --check-only >/dev/null 2>&1 || scripts/deps.sh

deps:
	scripts/deps.sh

check: all
	tests/run.sh $(BUILD)

# tests/integration/nested_vmx.sh: pvmon on kvm_intel in an L1 that Bochs
# emulates, with EPT and with ept=0, Debian's kernel as a Linux PV domain
# in both (three L1 boots, about 35 minutes here); make check skips it.
check-vmx: all
	PVLAB_CHECK_VMX=1 PVLAB_TESTS=nested_vmx PVLAB_TEST_TIMEOUT=7200 tests/run.sh $(BUILD)

report: all
	BUILD=$(BUILD) scripts/report.sh

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh build-asan

clean:
	rm -rf build build-asan

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:
