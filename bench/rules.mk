# pvbench: benchmark driver (reuses pvmon's KVM probe for the raw exit loop).
$(BIN)/pvbench: $(BUILD)/bench/pvbench.o $(BUILD)/libpvmon.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

PROGRAMS += $(BIN)/pvbench
bench: all
	$(BIN)/pvbench hcall
