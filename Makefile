# isagate - build, test, demo.  `make V=1` shows the full commands.
BUILD     ?= build
CLANG     ?= clang
CC        ?= gcc
BPFTOOL   ?= bpftool
ARCH_INC  := /usr/include/$(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

# The BPF objects see only the kernel's uapi headers, libbpf's and clang's
# own (-nostdinc + $(BPF_INC), a directory of links to exactly those), so a
# BPF source that reaches a glibc header fails to build on every machine:
# glibc's headers need gnu/stubs-32.h (libc6-dev-i386) for a BPF target, a
# package that a developer's machine may hold and a fresh one does not.
BPF_INC    := $(BUILD)/bpf-include
BPF_CFLAGS  = -O2 -g -Wall -Werror -target bpf -D__bpf__ -nostdinc \
	-isystem $(shell $(CLANG) -print-resource-dir)/include -isystem $(BPF_INC) \
	-Iinclude -Ibpf
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Iinclude -I$(BUILD) -Iuser
LDLIBS   := -lbpf -lelf -lz -ljson-c -linih -lmnl -lldap -llber

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS  := bpf/isagate.bpf.c bpf/xdp_pass.bpf.c
BPF_HDRS  := $(wildcard bpf/*.h) include/isagate.h
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
USER_SRCS := $(wildcard user/*.c)
USER_HDRS := $(wildcard user/*.h) include/isagate.h
USER_LIB  := $(filter-out user/main.c,$(USER_SRCS))

TEST_BINS := $(BUILD)/test_datapath $(BUILD)/test_members $(BUILD)/test_directory \
	$(BUILD)/fuzz_datapath
FUZZ_SECS ?= 600

.PHONY: all deps test unit integration demo bench clean fuzz
all: $(BUILD)/isagate $(BPF_OBJS) $(TEST_BINS)

$(BUILD):
	$(Q)mkdir -p $@

$(BPF_INC)/.stamp: | $(BUILD)
	$(Q)mkdir -p $(BPF_INC)
	$(Q)for d in linux asm-generic bpf; do ln -sfn /usr/include/$$d $(BPF_INC)/$$d; done
	$(Q)ln -sfn $(ARCH_INC)/asm $(BPF_INC)/asm
	$(Q)touch $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BPF_INC)/.stamp | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/isagate.skel.h: $(BUILD)/isagate.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name isagate_bpf > $@

$(BUILD)/isagate: $(USER_SRCS) $(USER_HDRS) $(BUILD)/isagate.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(USER_SRCS) -o $@ $(LDLIBS)

$(BUILD)/test_datapath: tests/unit/test_datapath.c tests/unit/netns_fixture.c tests/unit/netns_fixture.h tests/unit/pkt.c tests/unit/pkt.h tests/unit/harness.h $(USER_LIB) $(USER_HDRS) $(BUILD)/isagate.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit tests/unit/test_datapath.c tests/unit/netns_fixture.c tests/unit/pkt.c $(USER_LIB) -o $@ $(LDLIBS)

$(BUILD)/fuzz_datapath: tests/fuzz/fuzz_datapath.c tests/unit/netns_fixture.c tests/unit/netns_fixture.h tests/unit/pkt.c tests/unit/pkt.h $(USER_LIB) $(USER_HDRS) $(BUILD)/isagate.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit tests/fuzz/fuzz_datapath.c tests/unit/netns_fixture.c tests/unit/pkt.c $(USER_LIB) -o $@ $(LDLIBS)

$(BUILD)/test_members: tests/unit/test_members.c tests/unit/harness.h $(USER_LIB) $(USER_HDRS) $(BUILD)/isagate.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit tests/unit/test_members.c $(USER_LIB) -o $@ $(LDLIBS)

$(BUILD)/test_directory: tests/unit/test_directory.c tests/unit/harness.h $(USER_LIB) $(USER_HDRS) $(BUILD)/isagate.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit tests/unit/test_directory.c $(USER_LIB) -o $@ $(LDLIBS)

# Install the Debian packages that building and testing need (idempotent).
deps:
	$(Q)./tests/deps.sh

# test and demo install what they need first, so that on a fresh Debian 12
# machine `sudo make test` and `sudo make demo` are all it takes.
test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tests/run.sh

unit: all
	$(Q)./tests/run.sh unit

integration: all
	$(Q)./tests/run.sh integration

# Long fuzz runs, FUZZ_SECS each: the userspace parsers (fuzz-user, in
# tests/fuzz/fuzz_user.mk), then the datapath (seed: FUZZ_ARGS="--seed N").
fuzz: $(BUILD)/fuzz_datapath
	$(Q)$(BUILD)/fuzz_datapath --seconds $(FUZZ_SECS) --crash-dir $(BUILD)/fuzz-crashes $(FUZZ_ARGS)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tests/integration/demo.sh

clean:
	$(Q)rm -rf $(BUILD)
-include bench/bench.mk
include tests/fuzz/fuzz_user.mk
