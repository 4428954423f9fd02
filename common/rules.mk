# common/: what every host-side program shares and nothing else provides:
# the checked number parser. The lowest layer: it uses nothing of the tree.
PVCOMMON_LIB := $(BUILD)/lib/libpvcommon.a

$(PVCOMMON_LIB): $(BUILD)/common/numparse.o
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)$(AR) rcs $@ $^

PROGRAMS += $(PVCOMMON_LIB)
