# dom0-tools: Domain 0's clients of pvmon's control socket: pvctl (xl-like
# commands) and pvtop (a live per-domain monitor, xentop-like). Both speak
# the text protocol (docs/control-protocol.md) through ctlclient.o and link
# nothing of pvmon; the server side (hypervisor/src/control.c) is in
# libpvmon.a. pvctl trace uses tracing's libpvtracectl (liblttng-ctl,
# loaded at run time); the `list` objects are read with common's jsonread
# (json-c).
$(BIN)/pvctl: $(BUILD)/dom0-tools/pvctl.o $(BUILD)/dom0-tools/ctlclient.o $(PVTRACECTL_LIB) $(PVCOMMON_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(JSONREAD_LIBS) $(LDLIBS)

$(BIN)/pvtop: $(BUILD)/dom0-tools/pvtop.o $(BUILD)/dom0-tools/ctlclient.o $(PVCOMMON_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(JSONREAD_LIBS) $(LDLIBS)

PROGRAMS += $(BIN)/pvctl $(BIN)/pvtop
