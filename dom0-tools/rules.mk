# dom0-tools: pvctl, the Domain 0 command-line client of pvmon's control
# socket. It speaks the text protocol (docs/control-protocol.md) and links
# nothing of pvmon; the server side (hypervisor/src/control.c) is in libpvmon.a.
$(BIN)/pvctl: $(BUILD)/dom0-tools/pvctl.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

PROGRAMS += $(BIN)/pvctl
