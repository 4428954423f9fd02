# common/: what every host-side program shares and nothing else provides:
# the checked number parser, the JSON string writer and the JSON reader
# (json-c). The lowest layer: it uses nothing of the tree. A program that
# calls jsonread_* links JSONREAD_LIBS after the library.
PVCOMMON_LIB := $(BUILD)/lib/libpvcommon.a
JSONREAD_LIBS := -ljson-c

# (rebuilt whole: a source removed or renamed leaves no stale member behind)
$(PVCOMMON_LIB): $(BUILD)/common/numparse.o $(BUILD)/common/jsonquote.o $(BUILD)/common/jsonread.o
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

PROGRAMS += $(PVCOMMON_LIB)
