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
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Iinclude -I$(BUILD)
# user/lib/ sees only its own headers (a lib file that includes a cli/
# header does not build); user/cli/ and the tests see both.
LIB_INC  := -Iuser/lib
CLI_INC  := -Iuser/cli -Iuser/lib
DEPFLAGS := -MMD -MP
LDLIBS   := -lbpf -lelf -lz -ljson-c -linih -lmnl -lldap -llber -lncursesw

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
# The library (user/lib/) is compiled once, one object per source, into
# $(BUILD)/libisagate.a; the CLI (user/cli/), the unit tests and the
# datapath fuzzer link it.  Every object's header dependencies are generated
# (-MMD) and read back below.
LIB_SRCS  := $(wildcard user/lib/*.c)
CLI_SRCS  := $(wildcard user/cli/*.c)
LIB_OBJS  := $(patsubst user/lib/%.c,$(BUILD)/obj/lib/%.o,$(LIB_SRCS))
CLI_OBJS  := $(patsubst user/cli/%.c,$(BUILD)/obj/cli/%.o,$(CLI_SRCS))
# the command front-ends without main(), for tests that drive a command
CMD_OBJS  := $(filter-out $(BUILD)/obj/cli/main.o,$(CLI_OBJS))
LIBISAGATE := $(BUILD)/libisagate.a
TEST_OBJ  := $(BUILD)/obj/tests
FIXTURE_OBJS := $(TEST_OBJ)/netns_fixture.o $(TEST_OBJ)/pkt.o

TEST_BINS := $(BUILD)/test_datapath $(BUILD)/test_members $(BUILD)/test_directory \
	$(BUILD)/test_files $(BUILD)/test_ipfix $(BUILD)/test_maps $(BUILD)/fuzz_datapath
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

$(BUILD)/obj/lib/%.o: user/lib/%.c | $(BUILD)/isagate.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) $(LIB_INC) -c $< -o $@

$(BUILD)/obj/cli/%.o: user/cli/%.c | $(BUILD)/isagate.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) $(CLI_INC) -c $< -o $@

$(TEST_OBJ)/%.o: tests/unit/%.c | $(BUILD)/isagate.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) $(CLI_INC) -Itests/unit -c $< -o $@

$(TEST_OBJ)/fuzz_datapath.o: tests/fuzz/fuzz_datapath.c | $(BUILD)/isagate.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) $(LIB_INC) -Itests/unit -c $< -o $@

$(LIBISAGATE): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/isagate: $(CLI_OBJS) $(LIBISAGATE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/test_datapath: $(TEST_OBJ)/test_datapath.o $(FIXTURE_OBJS) $(LIBISAGATE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/fuzz_datapath: $(TEST_OBJ)/fuzz_datapath.o $(FIXTURE_OBJS) $(LIBISAGATE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# test_members drives `members sync` through its front-end
$(BUILD)/test_members: $(TEST_OBJ)/test_members.o $(CMD_OBJS) $(LIBISAGATE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/test_directory: $(TEST_OBJ)/test_directory.o $(LIBISAGATE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/test_files: $(TEST_OBJ)/test_files.o $(LIBISAGATE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/test_ipfix: $(TEST_OBJ)/test_ipfix.o $(LIBISAGATE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/test_maps: $(TEST_OBJ)/test_maps.o $(LIBISAGATE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

-include $(wildcard $(BUILD)/obj/*/*.d)

# No user/lib/ file includes a user/cli/ header (also enforced by the
# library's include path); run by `make unit` through tests/run.sh.
.PHONY: check-layout
check-layout:
	$(Q)./tests/unit/test_layout.sh

# Style: lines changed since .clang-format arrived follow it (check-format,
# also run by `make unit`); `make format` formats what changed since then.
FORMAT_BASE = $(shell git log --diff-filter=A --format=%H -n 1 -- .clang-format 2>/dev/null)
.PHONY: check-format format
check-format:
	$(Q)./tests/unit/test_format.sh
format:
	$(Q)git clang-format --extensions c,h $(FORMAT_BASE) -- bpf include user tests bench

# Installation, laid out as a Debian network daemon's: the binary in SBINDIR,
# the units where systemd finds them for this PREFIX, isagate(8), the docs,
# and the sample settings in SYSCONFDIR/isagate (never overwriting an
# operator's files: `make uninstall` leaves them too).  The units name the
# installed paths.  DESTDIR stages the whole tree (packaging).
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/isagate
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
# the Prometheus alerting rules (point rule_files at them; README "Alerts")
DATADIR    ?= $(PREFIX)/share/isagate
UNITS      := $(wildcard deploy/*.service deploy/*.timer)
SAMPLES    := isagate.conf members.txt policy.txt
# the units and the cron sample are written with /usr/local and /etc paths
INSTALL_SED = -e 's|/usr/local/sbin|$(SBINDIR)|g' \
	-e 's|/usr/local/share/doc/isagate|$(DOCDIR)|g' -e 's|/etc/|$(SYSCONFDIR)/|g'

.PHONY: install uninstall
install: $(BUILD)/isagate
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPLETIONDIR) \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/isagate $(DESTDIR)$(SYSCONFDIR)/default \
		$(DESTDIR)$(DATADIR)/prometheus
	install -m 0755 $(BUILD)/isagate $(DESTDIR)$(SBINDIR)/isagate
	install -m 0644 deploy/prometheus/isagate.rules.yml deploy/prometheus/isagate.rules.test.yml \
		$(DESTDIR)$(DATADIR)/prometheus/
	install -m 0644 user/isagate.8 $(DESTDIR)$(MANDIR)/man8/isagate.8
	install -m 0644 user/isagate.bash $(DESTDIR)$(COMPLETIONDIR)/isagate
	for u in $(UNITS); do \
		sed $(INSTALL_SED) $$u > $(DESTDIR)$(UNITDIR)/$${u##*/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; done
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	sed $(INSTALL_SED) deploy/isagate.cron > $(DESTDIR)$(DOCDIR)/examples/isagate.cron
	install -m 0644 $(addprefix deploy/,$(SAMPLES)) deploy/isagate.default $(DESTDIR)$(DOCDIR)/examples/
	for f in $(SAMPLES); do \
		[ -e $(DESTDIR)$(SYSCONFDIR)/isagate/$$f ] && echo "  keep     $(SYSCONFDIR)/isagate/$$f (exists)" || \
		install -m 0644 deploy/$$f $(DESTDIR)$(SYSCONFDIR)/isagate/$$f || exit 1; done
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/isagate ] && echo "  keep     $(SYSCONFDIR)/default/isagate (exists)" || \
		sed $(INSTALL_SED) deploy/isagate.default > $(DESTDIR)$(SYSCONFDIR)/default/isagate
	@echo "installed; then: systemctl daemon-reload && systemctl enable --now isagate.service (see isagate(8))"

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/isagate $(DESTDIR)$(MANDIR)/man8/isagate.8 $(DESTDIR)$(COMPLETIONDIR)/isagate
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))
	rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR)
	@echo "left in place (your settings): $(SYSCONFDIR)/isagate/ $(SYSCONFDIR)/default/isagate"

# A Debian package, built with debhelper from a copy of the tracked files
# (debian/: control, rules, changelog) and checked by lintian (no error):
# $(BUILD)/deb/isagate_<version>_amd64.deb.
VERSION := $(shell sed -n 's/^\#define ISAGATE_VERSION *"\(.*\)"/\1/p' include/isagate.h)
DEB_DIR := $(BUILD)/deb
.PHONY: deb
deb:
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/isagate-$(VERSION)
	$(Q)if git rev-parse --git-dir >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf -; \
	else tar --exclude=./build --exclude=./$(BUILD) --exclude=./.fresh -cf - .; fi | tar -C $(DEB_DIR)/isagate-$(VERSION) -xf -
	$(call msg,DEB,$(DEB_DIR)/isagate_$(VERSION)_amd64.deb)
	$(Q)cd $(DEB_DIR)/isagate-$(VERSION) && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -n 30 ../build.log; echo "make deb: dpkg-buildpackage failed, log: $(DEB_DIR)/build.log" >&2; exit 1; }
	$(Q)lintian --fail-on error --info $(DEB_DIR)/isagate_$(VERSION)_amd64.deb
	$(Q)ls -l $(DEB_DIR)/isagate_$(VERSION)_amd64.deb

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
