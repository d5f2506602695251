// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_maps.c - how user space reads the router's tables (user/lib/common.c,
 * flows.c): ig_map_batch() visits every entry of a hash map once, in
 * batches; a map without batch lookups (a devmap hash) says -EOPNOTSUPP and
 * ig_map_count() walks it instead, as it walks every map but a hash; the flow table comes back whole, sorted, each key once,
 * with the counts of each table, and evictions are counted per table.
 * Needs root (BPF maps); says "skip" without.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "flows.h"
#include "harness.h"

#define N_FLOWS 10000

static struct ig_flow_key flow_key(uint32_t i)
{
	struct ig_flow_key k;

	memset(&k, 0, sizeof(k));
	k.member[0] = 192;
	k.member[2] = 2;
	k.member[3] = (uint8_t)(10 + i % 7);
	k.remote_addr[0] = 0x20;
	k.remote_addr[1] = 0x01;
	k.remote_addr[2] = 0x0d;
	k.remote_addr[3] = 0xb8;
	memcpy(&k.remote_addr[12], &i, sizeof(i));
	k.member_port = (uint16_t)(1024 + i % 50000);
	k.proto = 17;
	return k;
}

/* An LRU hash like "flows" holding N_FLOWS flows, flow i with i + 1 packets. */
static int flow_table(void)
{
	struct ig_flow v;
	int fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "t_flows", sizeof(struct ig_flow_key),
				sizeof(struct ig_flow), 2 * N_FLOWS, NULL);

	for (uint32_t i = 0; fd >= 0 && i < N_FLOWS; i++) {
		struct ig_flow_key k = flow_key(i);

		memset(&v, 0, sizeof(v));
		v.from_member.packets = i + 1;
		if (bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST)) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int count_entries(const void *keys, const void *values, uint32_t n, void *ctx)
{
	const struct ig_flow *v = values;
	uint64_t *sum = ctx;

	(void)keys;
	for (uint32_t i = 0; i < n; i++)
		*sum += v[i].from_member.packets;
	return 0;
}

static int stop_at_first(const void *keys, const void *values, uint32_t n, void *ctx)
{
	(void)keys;
	(void)values;
	(void)n;
	(void)ctx;
	return -ECANCELED;
}

static void batch_reads(void)
{
	uint64_t sum = 0, want = (uint64_t)N_FLOWS * (N_FLOWS + 1) / 2;
	int fd = flow_table(), empty;
	long n;

	if (fd < 0) {
		printf("# skip: cannot create BPF maps (not root?)\n");
		return;
	}
	n = ig_map_batch(fd, sizeof(struct ig_flow_key), sizeof(struct ig_flow), count_entries,
			 &sum);
	CHECK(n == N_FLOWS && sum == want, "%ld entries, %llu packets; want %d, %llu", n,
	      (unsigned long long)sum, N_FLOWS, (unsigned long long)want);
	CHECK(ig_map_count(fd) == N_FLOWS, "ig_map_count: %ld", ig_map_count(fd));
	CHECK(ig_map_batch(fd, sizeof(struct ig_flow_key), sizeof(struct ig_flow), stop_at_first,
			   NULL) == -ECANCELED,
	      "the callback's error stops the walk and is returned");
	empty = bpf_map_create(BPF_MAP_TYPE_HASH, "t_empty", 4, 8, 16, NULL);
	CHECK(empty >= 0 && ig_map_batch(empty, 4, 8, count_entries, &sum) == 0 &&
		      ig_map_count(empty) == 0,
	      "an empty map: 0 entries, no error");
	if (empty >= 0)
		close(empty);
	close(fd);
}

static void no_batch_ops(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	struct ig_v4_lpm_key k = { .prefixlen = 32 };
	uint32_t dk, ifindex = 1; /* lo */
	uint64_t sum = 0;
	uint8_t v = 1;
	int dev = bpf_map_create(BPF_MAP_TYPE_DEVMAP_HASH, "t_devs", sizeof(dk), sizeof(ifindex),
				 64, NULL);
	int lpm = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "t_lpm", sizeof(k), sizeof(v), 64, &o);

	if (dev < 0 || lpm < 0) {
		printf("# skip: cannot create BPF maps (not root?)\n");
		goto cleanup;
	}
	for (int i = 0; i < 5; i++) {
		dk = (uint32_t)i;
		bpf_map_update_elem(dev, &dk, &ifindex, BPF_ANY);
		k.addr[0] = 198;
		k.addr[1] = 51;
		k.addr[2] = 100;
		k.addr[3] = (uint8_t)i;
		bpf_map_update_elem(lpm, &k, &v, BPF_ANY);
	}
	/* the kernel's ENOTSUPP (524), which bpf() lets out */
	CHECK(ig_map_batch(dev, sizeof(dk), sizeof(ifindex), count_entries, &sum) == -EOPNOTSUPP,
	      "a devmap hash has no batch lookup: -EOPNOTSUPP, so callers walk it");
	CHECK(ig_map_count(dev) == 5, "ig_map_count walks it: %ld", ig_map_count(dev));
	CHECK(ig_map_count(lpm) == 5, "and an LPM trie (the member subnets): %ld",
	      ig_map_count(lpm));
cleanup:
	if (dev >= 0)
		close(dev);
	if (lpm >= 0)
		close(lpm);
}

static void flow_table_read(void)
{
	struct ig_flow_tables t = { -1, -1 };
	struct ig_flow_rec *recs = NULL;
	int fd = flow_table(), sorted = 1;
	uint64_t sum = 0;
	long n;

	if (fd < 0) {
		printf("# skip: cannot create BPF maps (not root?)\n");
		return;
	}
	n = ig_flows_read_tables(NULL, fd, &recs, &t);
	for (long i = 0; i < n; i++) {
		sum += recs[i].v.from_member.packets;
		if (i && ig_flow_key_cmp(&recs[i - 1].key, &recs[i].key) >= 0)
			sorted = 0;
	}
	CHECK(n == N_FLOWS && t.table == N_FLOWS && t.folded == -1,
	      "%ld flows, table %ld, folded %ld", n, t.table, t.folded);
	CHECK(sorted, "sorted by key, each key once");
	CHECK(sum == (uint64_t)N_FLOWS * (N_FLOWS + 1) / 2, "every flow's packets: %llu",
	      (unsigned long long)sum);
	free(recs);
	close(fd);
}

static void evictions_per_table(void)
{
	struct ig_flow_tables both = { 100, 50 }, one = { 100, -1 };

	CHECK(ig_flow_evictions(120, 50, &both) == 20, "table 120 - 100, folded 50 - 50");
	CHECK(ig_flow_evictions(100, 80, &both) == 30, "table 0, folded 80 - 50");
	CHECK(ig_flow_evictions(90, 40, &both) == 0, "fewer inserts than entries: never negative");
	CHECK(ig_flow_evictions(130, 999, &one) == 30, "no folded table: its inserts ignored");
}

int main(void)
{
	RUN(batch_reads);
	RUN(no_batch_ops);
	RUN(flow_table_read);
	RUN(evictions_per_table);
	return h_summary();
}
