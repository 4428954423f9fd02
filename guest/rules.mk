# pvos, the guest kernel: freestanding, no SSE (pvos does not save FPU
# state between its threads), no red zone (callback frames are pushed on
# the interrupted stack), linked at 1 MiB.
GUEST_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror -ffreestanding -fno-builtin \
                -nostdlib -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
                -fno-stack-protector -fno-asynchronous-unwind-tables -mcmodel=small \
                -Iinclude -Iguest
# The shared workloads (workloads/): the CPU kernels go into the kernel,
# the lmbench-style benchmarks into the user section (pvos.ld gathers the
# objects of every */user/ folder there), built for pvos's user mode.
GUEST_SRCS := $(wildcard guest/*.c guest/progs/*.c guest/user/*.c) workloads/cpu.c
GUEST_OBJS := $(GUEST_SRCS:%.c=$(BUILD)/gobj/%.o) $(BUILD)/gobj/workloads/user/lmbench.o $(BUILD)/gobj/guest/start.o

$(BUILD)/gobj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gobj/workloads/user/lmbench.o: workloads/lmbench.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (pvos user mode)"
	$(Q)$(CC) $(GUEST_CFLAGS) -DLM_PVOS -MMD -MP -c $< -o $@

$(BUILD)/gobj/guest/start.o: guest/start.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guest/pvos.elf: $(GUEST_OBJS) guest/pvos.ld
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -static -no-pie -Wl,-T,guest/pvos.ld -Wl,--build-id=none \
	  -Wl,-z,noexecstack -o $@ $(GUEST_OBJS) -lgcc
	@if readelf -S $@ | grep -q '\.user'; then :; else echo "pvos: no .user section"; exit 1; fi

PROGRAMS += $(BUILD)/guest/pvos.elf
