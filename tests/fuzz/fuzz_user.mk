# tests/fuzz/fuzz_user.mk - libFuzzer harnesses (AddressSanitizer +
# UndefinedBehaviorSanitizer) for the userspace parsers; included by the
# top Makefile.
#
# Every tests/fuzz/fuzz_NAME.c except the datapath fuzzer is a harness:
# it is built as $(BUILD)/fuzz/fuzz_NAME against $(BUILD)/fuzz/libisagate.a,
# the library (user/lib/) compiled once more with the sanitizers and the
# fuzzer's coverage (an uninstrumented library would blind the fuzzer), seeded from tests/fuzz/corpus/NAME/, with the
# dictionary tests/fuzz/NAME.dict when there is one.  A new harness needs
# only its .c file and corpus directory.
#
#   make fuzz-user [FUZZ_SECS=600] [FUZZ_USER_ARGS=...]  long runs, one harness
#       at a time; the corpus grows in $(BUILD)/fuzz/corpus/NAME, crashes go
#       to $(BUILD)/fuzz/crashes/
#   tests/fuzz/run_user.sh                  the short run of `make test`:
#       replays tests/fuzz/regress/ and the corpus, then fuzzes briefly
FUZZ_CC        ?= clang
FUZZ_DIR       := $(BUILD)/fuzz
FUZZ_SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS    := -O1 -g -std=gnu11 -Wall -Wextra -Werror -Iinclude -I$(BUILD) -Iuser/lib \
	$(FUZZ_SAN)
FUZZ_USER_SRCS := $(filter-out tests/fuzz/fuzz_datapath.c,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_USER_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_USER_SRCS))
FUZZ_USER_BINS := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_USER_NAMES))
FUZZ_LIB_OBJS  := $(patsubst user/lib/%.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRCS))
FUZZ_LIB       := $(FUZZ_DIR)/libisagate.a

.PHONY: fuzz-user fuzz-user-build
.SECONDARY: $(FUZZ_LIB_OBJS)
all: $(FUZZ_USER_BINS)
fuzz-user-build: $(FUZZ_USER_BINS)

$(FUZZ_DIR)/obj/%.o: user/lib/%.c | $(BUILD)/isagate.skel.h
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) | $(BUILD)/isagate.skel.h
	$(call msg,CC-FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) -o $@ $(LDLIBS)

-include $(wildcard $(FUZZ_DIR)/obj/*.d $(FUZZ_DIR)/*.d)

# Long runs: FUZZ_SECS seconds per harness (default 600), one at a time.
fuzz-user: $(FUZZ_USER_BINS)
	$(Q)FUZZ_MODE=long FUZZ_SECS=$(FUZZ_SECS) BUILD=$(BUILD) FUZZ_USER_ARGS="$(FUZZ_USER_ARGS)" \
		./tests/fuzz/run_user.sh $(FUZZ_USER_NAMES)

# `make fuzz` runs these first, then the datapath fuzzer.
fuzz: fuzz-user
