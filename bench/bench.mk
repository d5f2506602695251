# bench/bench.mk - `make bench` (included by the Makefile).
#
# Builds the generator (igbench), the sink, the reference programs and the
# generator XDP program into $(BUILD)/bench/, then runs bench/run.sh, which
# writes bench/results.md and bench/results.png.  Needs root, gnuplot
# (Debian: gnuplot-nox) and a kernel with BPF_F_TEST_XDP_LIVE_FRAMES (5.18+).
# BENCH_ARGS is passed to run.sh (e.g. BENCH_ARGS="--quick").

BENCH_DIR   := $(BUILD)/bench
BENCH_BPF   := $(patsubst bench/%.bpf.c,$(BENCH_DIR)/%.bpf.o,$(wildcard bench/*.bpf.c))
BENCH_BIN   := $(BENCH_DIR)/igbench $(BENCH_DIR)/jitlines
BENCH_ARGS  ?=

.PHONY: bench bench-build

bench-build: $(BENCH_BPF) $(BENCH_BIN)

# The hitless and coherence tests drive traffic with the bench generator.
all: bench-build

bench: all bench-build
	$(Q)./bench/run.sh $(BENCH_ARGS)

$(BENCH_DIR):
	$(Q)mkdir -p $@

$(BENCH_DIR)/%.bpf.o: bench/%.bpf.c bench/igb.h bench/ref_fwd.h $(BPF_INC)/.stamp | $(BENCH_DIR)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Ibench -c $< -o $@

$(BENCH_DIR)/jitlines: bench/jitlines.c | $(BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) bench/jitlines.c -o $@ -lbpf -lelf -lz

$(BENCH_DIR)/igbench: bench/gen.c bench/igb.h include/isagate.h | $(BENCH_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Ibench bench/gen.c -o $@ -lbpf -lelf -lz -lm
