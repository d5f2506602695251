// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gen.c - igbench, the benchmark's traffic generator and helper (libbpf).
 *
 *   igbench live   drive the topology with BPF_F_TEST_XDP_LIVE_FRAMES for a
 *                  number of seconds and report the counters' rates
 *   igbench ns     per-packet nanoseconds of an XDP program through plain
 *                  BPF_PROG_TEST_RUN repeat (xdp_wrap + tail call)
 *   igbench attach load a benchmark XDP object and attach it to a device
 *   igbench read   print a counter (summed over CPUs)
 *
 * A counter is PATH[@INDEX|@REASON]: a pinned (per-CPU) array; the first
 * 8 bytes of the value at INDEX (default 0) are summed over CPUs.  REASON is
 * one of isagate's stable reason keys (drop_not_member, fwd_decap, ...).
 * Results are printed as one JSON object on stdout.
 *
 * Traffic: --flows N distinct flows, sent round robin (every flow once per
 * N packets: the worst case for any cache), or with --zipf S drawn from a
 * Zipf distribution of exponent S over the N flows (a few flows carry most
 * packets, as in real traffic; igb.h).  --routes R spreads the flows'
 * destinations over R routes (<remote>::r:0/112, igb.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "isagate.h"
#include "igb.h"

#define MAX_COUNTERS 4

static const char *const reason_keys[IG_REASON_MAX] = {
#define IGB_X_KEY(name, key, text) [IG_##name] = key,
	IG_REASONS(IGB_X_KEY)
#undef IGB_X_KEY
};

static void die_usage(const char *msg)
{
	fprintf(stderr, "igbench: %s (see the usage at the top of bench/gen.c)\n", msg);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- counters ------------------------------------------------------------ */

struct counter {
	char label[32];
	char path[PATH_MAX];
	__u32 index;
	int fd;
	__u32 value_size;
	int percpu;
	int ncpu;
	void *buf;
};

/* LABEL=PATH[@INDEX|@REASON] */
static int counter_open(struct counter *c, const char *spec)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	const char *eq = strchr(spec, '=');
	char *at;
	size_t vs;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(c->label)) {
		fprintf(stderr, "igbench: counter '%s': expected LABEL=PATH[@INDEX]\n", spec);
		return -1;
	}
	memcpy(c->label, spec, (size_t)(eq - spec));
	snprintf(c->path, sizeof(c->path), "%s", eq + 1);
	at = strrchr(c->path, '@');
	if (at) {
		char *endp;
		unsigned long v;
		int i;

		*at++ = '\0';
		v = strtoul(at, &endp, 10);
		if (*at && !*endp) {
			c->index = (__u32)v;
		} else {
			for (i = 0; i < IG_REASON_MAX; i++)
				if (!strcmp(at, reason_keys[i]))
					break;
			if (i == IG_REASON_MAX) {
				fprintf(stderr, "igbench: counter '%s': '%s' is neither an index nor an "
					"isagate reason key\n", spec, at);
				return -1;
			}
			c->index = (__u32)i;
		}
	}
	c->fd = bpf_obj_get(c->path);
	if (c->fd < 0) {
		fprintf(stderr, "igbench: %s: %s (is the map pinned there?)\n", c->path,
			strerror(errno));
		return -1;
	}
	if (bpf_obj_get_info_by_fd(c->fd, &info, &len)) {
		fprintf(stderr, "igbench: %s: map info: %s\n", c->path, strerror(errno));
		return -1;
	}
	if (info.value_size < 8) {
		fprintf(stderr, "igbench: %s: value of %u bytes has no 64-bit counter\n", c->path,
			info.value_size);
		return -1;
	}
	c->percpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH;
	c->ncpu = c->percpu ? libbpf_num_possible_cpus() : 1;
	if (c->ncpu < 1) {
		fprintf(stderr, "igbench: cannot count the possible CPUs\n");
		return -1;
	}
	c->value_size = info.value_size;
	vs = c->percpu ? (info.value_size + 7) / 8 * 8 : info.value_size;
	c->buf = calloc((size_t)c->ncpu, vs);
	if (!c->buf) {
		fprintf(stderr, "igbench: out of memory\n");
		return -1;
	}
	return 0;
}

static int counter_read(struct counter *c, unsigned long long *sum)
{
	size_t vs = c->percpu ? (c->value_size + 7) / 8 * 8 : c->value_size;
	int i;

	if (bpf_map_lookup_elem(c->fd, &c->index, c->buf)) {
		fprintf(stderr, "igbench: %s[%u]: %s\n", c->path, c->index, strerror(errno));
		return -1;
	}
	*sum = 0;
	for (i = 0; i < c->ncpu; i++) {
		unsigned long long v;

		memcpy(&v, (char *)c->buf + (size_t)i * vs, sizeof(v));
		*sum += v;
	}
	return 0;
}

static void counter_close(struct counter *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->buf = NULL;
	c->fd = -1;
}

/* ---- packet template --------------------------------------------------------- */

struct gen_opts {
	const char *obj;
	const char *dev;
	int mix;
	unsigned char dmac[6], smac[6];
	struct in_addr router;
	struct in6_addr prefix, remote;
	__u32 src[IGB_MAX_SRC];
	__u32 n_src;
	__u32 n_flows;
	double zipf;	/* the mix's Zipf exponent, 0: round robin */
	__u32 n_routes; /* --routes: destinations spread over N /112s, 0: not */
	int have_router, have_prefix, have_remote;
};

static int parse_mix(const char *s)
{
	if (!strcmp(s, "decap"))
		return IGB_MIX_DECAP;
	if (!strcmp(s, "encap"))
		return IGB_MIX_ENCAP;
	if (!strcmp(s, "nonmember"))
		return IGB_MIX_NONMEMBER;
	if (!strcmp(s, "native6"))
		return IGB_MIX_NATIVE6;
	die_usage("--mix must be decap, encap, nonmember or native6");
	return 0;
}

static void parse_mac(const char *s, unsigned char *m)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		die_usage("bad MAC address (want aa:bb:cc:dd:ee:ff)");
	for (i = 0; i < 6; i++) {
		if (b[i] > 255)
			die_usage("bad MAC address");
		m[i] = (unsigned char)b[i];
	}
}

/* A.B.C.D or A.B.C.D-E (last octet range), comma separated. */
static void parse_srcs(const char *s, struct gen_opts *o)
{
	char *copy = strdup(s), *tok, *save = NULL;

	if (!copy)
		die_usage("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		unsigned long last = 0;
		struct in_addr a;
		__u32 h, hi;

		if (dash) {
			*dash = '\0';
			last = strtoul(dash + 1, NULL, 10);
		}
		if (inet_pton(AF_INET, tok, &a) != 1)
			die_usage("bad --src address");
		h = ntohl(a.s_addr);
		hi = dash ? (h & ~0xffu) | (__u32)last : h;
		if (hi < h || (dash && last > 255))
			die_usage("bad --src range");
		for (; h <= hi; h++) {
			if (o->n_src >= IGB_MAX_SRC)
				die_usage("too many --src addresses (at most 1024)");
			o->src[o->n_src++] = htonl(h);
		}
	}
	free(copy);
}

static void parse_v6(const char *s, struct in6_addr *a)
{
	if (inet_pton(AF_INET6, s, a) != 1)
		die_usage("bad IPv6 address");
}

static void build_udp6(unsigned char *p, const struct in6_addr *src, const struct in6_addr *dst)
{
	struct ipv6hdr *ip6 = (struct ipv6hdr *)p;
	struct udphdr *udp = (struct udphdr *)(ip6 + 1);
	size_t i;

	memset(ip6, 0, sizeof(*ip6));
	ip6->version = 6;
	ip6->payload_len = htons(sizeof(*udp) + IGB_PAYLOAD);
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = 64;
	ip6->saddr = *src;
	ip6->daddr = *dst;
	udp->source = htons(49152);
	udp->dest = htons(3389);
	udp->len = htons(sizeof(*udp) + IGB_PAYLOAD);
	udp->check = 0;   /* not inspected by the router; never delivered to a socket */
	for (i = 0; i < IGB_PAYLOAD; i++)
		((unsigned char *)(udp + 1))[i] = (unsigned char)i;
}

/* Fill cfg (template + sources) from the options. */
static void build_cfg(const struct gen_opts *o, struct igb_gen_cfg *cfg)
{
	struct in6_addr isatap = o->prefix, remote = o->remote;
	unsigned char *p = cfg->tmpl;
	struct ethhdr *eth = (struct ethhdr *)p;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mix = (__u32)o->mix;
	cfg->n_src = o->n_src;
	cfg->n_flows = o->n_flows;
	cfg->zipf = o->zipf > 0;
	cfg->n_routes = o->n_routes;
	memcpy(cfg->src, o->src, sizeof(__u32) * o->n_src);

	/* <prefix>::0:5efe:<src>, the low 32 bits are rewritten per packet */
	isatap.s6_addr32[2] = htonl(0x00005efe);
	isatap.s6_addr32[3] = o->src[0];
	remote.s6_addr32[3] = htonl(1);

	memcpy(eth->h_dest, o->dmac, 6);
	memcpy(eth->h_source, o->smac, 6);
	if (o->mix == IGB_MIX_DECAP || o->mix == IGB_MIX_NONMEMBER) {
		struct iphdr *ip = (struct iphdr *)(eth + 1);

		eth->h_proto = htons(ETH_P_IP);
		memset(ip, 0, sizeof(*ip));
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(IGB_LEN4 - 14);
		ip->ttl = 64;
		ip->protocol = IPPROTO_IPV6;
		ip->saddr = o->src[0];
		ip->daddr = o->router.s_addr;
		build_udp6((unsigned char *)(ip + 1), &isatap, &remote);
		cfg->len = IGB_LEN4;
	} else if (o->mix == IGB_MIX_ENCAP) {
		eth->h_proto = htons(ETH_P_IPV6);
		build_udp6((unsigned char *)(eth + 1), &remote, &isatap);
		cfg->len = IGB_LEN6;
	} else {
		eth->h_proto = htons(ETH_P_IPV6);
		build_udp6((unsigned char *)(eth + 1), &isatap, &remote);
		cfg->len = IGB_LEN6;
	}
}

/* ---- loading ------------------------------------------------------------------- */

/* Open and load path; with resize set, its map of that name gets n entries. */
static struct bpf_object *open_load_sized(const char *path, const char *resize, __u32 n)
{
	/* IGB_PIN_ROOT: reuse maps pinned by name there (an isagate object
	 * measured with the running instance's members, routes, flows) */
	const char *root = getenv("IGB_PIN_ROOT");
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_map *m;
	char pin[512];
	int err, fd;

	if (!obj) {
		fprintf(stderr, "igbench: opening %s: %s (run 'make bench' to build it)\n", path,
			strerror(errno));
		return NULL;
	}
	bpf_object__for_each_map(m, obj) {
		bpf_map__set_pin_path(m, NULL);
		if (!root)
			continue;
		snprintf(pin, sizeof(pin), "%s/%s", root, bpf_map__name(m));
		fd = bpf_obj_get(pin);
		if (fd >= 0) {
			bpf_map__reuse_fd(m, fd);
			close(fd);
		}
	}
	m = resize ? bpf_object__find_map_by_name(obj, resize) : NULL;
	if (resize && (!m || bpf_map__set_max_entries(m, n))) {
		fprintf(stderr, "igbench: %s: cannot size map %s to %u entries\n", path, resize, n);
		bpf_object__close(obj);
		return NULL;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "igbench: loading %s: %s\n", path, strerror(-err));
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

static struct bpf_object *open_load(const char *path)
{
	return open_load_sized(path, NULL, 0);
}

/* Open and load the generator object with cfg in gen_cfg. */
static struct bpf_object *gen_load(const char *path, const struct igb_gen_cfg *cfg)
{
	struct bpf_object *obj = open_load(path);
	struct bpf_map *m;
	__u32 zero = 0;

	if (!obj)
		return NULL;
	m = bpf_object__find_map_by_name(obj, "gen_cfg");
	if (!m || bpf_map_update_elem(bpf_map__fd(m), &zero, cfg, BPF_ANY)) {
		fprintf(stderr, "igbench: %s: setting gen_cfg: %s\n", path,
			m ? strerror(errno) : "no such map");
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

/*
 * Fill the generator's gen_seq with IGB_SEQ_LEN flows drawn from a Zipf
 * distribution of exponent s over n ranks (rank k with probability
 * proportional to 1 / (k + 1)^s; flow k is rank k): inverse transform of a
 * fixed pseudo-random sequence, so every run sends the same mix.
 */
static int gen_seq_fill(struct bpf_object *obj, __u32 n, double s)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "gen_seq");
	size_t len = (size_t)IGB_SEQ_LEN * sizeof(__u32);
	double *cdf = NULL, sum = 0;
	__u64 x = 0x9E3779B97F4A7C15ull;
	__u32 *seq = MAP_FAILED, j, k;
	int rc = -1;

	if (!m) {
		fprintf(stderr, "igbench: no map gen_seq in the object\n");
		return -1;
	}
	cdf = malloc(sizeof(*cdf) * n);
	seq = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	if (!cdf || seq == MAP_FAILED) {
		fprintf(stderr, "igbench: gen_seq: %s\n", strerror(errno));
		goto cleanup;
	}
	for (k = 0; k < n; k++)
		cdf[k] = sum += pow((double)k + 1, -s);
	for (j = 0; j < IGB_SEQ_LEN; j++) {
		double u;
		__u32 lo = 0, hi = n - 1;

		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		u = (double)(x >> 11) / (double)(1ull << 53) * sum;
		while (lo < hi) { /* the first rank whose cdf exceeds u */
			__u32 mid = lo + (hi - lo) / 2;

			if (cdf[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		seq[j] = lo;
	}
	rc = 0;
cleanup:
	if (seq != MAP_FAILED)
		munmap(seq, len);
	free(cdf);
	return rc;
}

static int prog_fd_by_name(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	if (!p) {
		fprintf(stderr, "igbench: no program %s in the object\n", name);
		return -1;
	}
	return bpf_program__fd(p);
}

static unsigned int ifindex_of(const char *dev)
{
	unsigned int i = if_nametoindex(dev);

	if (!i)
		fprintf(stderr, "igbench: no interface %s in this network namespace\n", dev);
	return i;
}

/* ---- common generator options ------------------------------------------------ */

enum {
	O_OBJ = 256, O_DEV, O_MIX, O_DMAC, O_SMAC, O_ROUTER, O_PREFIX, O_REMOTE, O_SRC, O_FLOWS,
	O_SECS, O_WARMUP, O_COUNT, O_BATCH, O_REPEAT, O_TDEV, O_TOBJ, O_REPS, O_TX, O_PIN,
	O_ZIPF,
	O_ROUTES,
	O_ENTRIES,
};

#define GEN_LONGOPTS                                                                          \
	{ "obj", required_argument, NULL, O_OBJ }, { "dev", required_argument, NULL, O_DEV }, \
		{ "mix", required_argument, NULL, O_MIX },                                    \
		{ "dmac", required_argument, NULL, O_DMAC },                                  \
		{ "smac", required_argument, NULL, O_SMAC },                                  \
		{ "router", required_argument, NULL, O_ROUTER },                              \
		{ "prefix", required_argument, NULL, O_PREFIX },                              \
		{ "remote", required_argument, NULL, O_REMOTE },                              \
		{ "src", required_argument, NULL, O_SRC },                                    \
		{ "flows", required_argument, NULL, O_FLOWS },                                \
		{ "zipf", required_argument, NULL, O_ZIPF },                                  \
		{ "routes", required_argument, NULL, O_ROUTES },                              \
	{                                                                                     \
		"count", required_argument, NULL, O_COUNT                                     \
	}

/* Returns 1 when opt was a generator option. */
static int gen_opt(int opt, struct gen_opts *o, struct counter *ctr, int *n_ctr)
{
	switch (opt) {
	case O_OBJ: o->obj = optarg; return 1;
	case O_DEV: o->dev = optarg; return 1;
	case O_MIX: o->mix = parse_mix(optarg); return 1;
	case O_DMAC: parse_mac(optarg, o->dmac); return 1;
	case O_SMAC: parse_mac(optarg, o->smac); return 1;
	case O_ROUTER:
		if (inet_pton(AF_INET, optarg, &o->router) != 1)
			die_usage("bad --router");
		o->have_router = 1;
		return 1;
	case O_PREFIX: parse_v6(optarg, &o->prefix); o->have_prefix = 1; return 1;
	case O_REMOTE: parse_v6(optarg, &o->remote); o->have_remote = 1; return 1;
	case O_SRC: parse_srcs(optarg, o); return 1;
	case O_FLOWS: {
		unsigned long v = strtoul(optarg, NULL, 10);

		if (!v || v > 0xffffffffUL)
			die_usage("--flows must be 1..2^32-1");
		o->n_flows = (__u32)v;
		return 1;
	}
	case O_ZIPF:
		o->zipf = atof(optarg);
		if (!(o->zipf > 0 && o->zipf <= 4))
			die_usage("--zipf must be an exponent in (0, 4]");
		return 1;
	case O_ROUTES: {
		unsigned long v = strtoul(optarg, NULL, 10);

		if (!v || v > 65535)
			die_usage("--routes must be 1..65535");
		o->n_routes = (__u32)v;
		return 1;
	}
	case O_COUNT:
		if (*n_ctr >= MAX_COUNTERS)
			die_usage("at most 4 --count");
		if (counter_open(&ctr[*n_ctr], optarg))
			exit(1);
		(*n_ctr)++;
		return 1;
	}
	return 0;
}

static void gen_check(const struct gen_opts *o)
{
	if (!o->obj || !o->dev || !o->mix || !o->n_src || !o->have_prefix || !o->have_remote)
		die_usage("need --obj, --dev, --mix, --src, --prefix and --remote");
	if ((o->mix == IGB_MIX_DECAP || o->mix == IGB_MIX_NONMEMBER) && !o->have_router)
		die_usage("--mix decap/nonmember needs --router");
}

/*
 * The generator for o: its device's ifindex, its configuration and its
 * loaded object, and the fd of program prog in it.  0, or -1 after saying
 * why; what was made is in *cfg and *obj either way, for the caller's
 * cleanup.
 */
static int gen_prepare(const struct gen_opts *o, const char *prog, unsigned int *ifindex,
		       struct igb_gen_cfg **cfg, struct bpf_object **obj, int *fd)
{
	*ifindex = ifindex_of(o->dev);
	if (!*ifindex)
		return -1;
	*cfg = calloc(1, sizeof(**cfg));
	if (!*cfg)
		return -1;
	build_cfg(o, *cfg);
	*obj = gen_load(o->obj, *cfg);
	if (!*obj || (o->zipf > 0 && gen_seq_fill(*obj, o->n_flows, o->zipf)))
		return -1;
	*fd = prog_fd_by_name(*obj, prog);
	return *fd < 0 ? -1 : 0;
}

/* ---- live ------------------------------------------------------------------------ */

static int cmd_live(int argc, char **argv)
{
	static const struct option lo[] = {
		GEN_LONGOPTS,
		{ "secs", required_argument, NULL, O_SECS },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ NULL, 0, NULL, 0 },
	};
	struct gen_opts o = { .n_flows = 1 };
	struct counter ctr[MAX_COUNTERS];
	unsigned long long c0[MAX_COUNTERS], c1[MAX_COUNTERS], sent = 0;
	double secs = 3.0, warmup = 0.3, t0, t1, t;
	__u32 batch = 0, repeat = 1u << 18;
	struct igb_gen_cfg *cfg = NULL;
	struct bpf_object *obj = NULL;
	struct xdp_md md = {};
	unsigned int ifindex;
	int n_ctr = 0, opt, fd, i, err, rc = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (gen_opt(opt, &o, ctr, &n_ctr))
			continue;
		switch (opt) {
		case O_SECS: secs = atof(optarg); break;
		case O_WARMUP: warmup = atof(optarg); break;
		case O_BATCH: batch = (__u32)strtoul(optarg, NULL, 10); break;
		case O_REPEAT: repeat = (__u32)strtoul(optarg, NULL, 10); break;
		default: die_usage("bad option to live");
		}
	}
	gen_check(&o);
	if (secs <= 0 || repeat < 1)
		die_usage("--secs and --repeat must be positive");
	if (gen_prepare(&o, "xdp_gen", &ifindex, &cfg, &obj, &fd))
		goto cleanup;

	md.data_end = cfg->len;
	md.ingress_ifindex = ifindex;
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		.data_in = cfg->tmpl,
		.data_size_in = cfg->len,
		.ctx_in = &md,
		.ctx_size_in = sizeof(md),
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		.batch_size = batch,
	);

	/* warm up: page pool, caches, neighbour state */
	t = now_s();
	do {
		topts.repeat = repeat / 4 ? repeat / 4 : 1;
		err = bpf_prog_test_run_opts(fd, &topts);
		if (err) {
			fprintf(stderr, "igbench: live test run on %s: %s%s\n", o.dev, strerror(-err),
				err == -EINVAL ? " (kernel without BPF_F_TEST_XDP_LIVE_FRAMES, "
				"or the program is not XDP?)" : "");
			goto cleanup;
		}
	} while (now_s() - t < warmup);

	for (i = 0; i < n_ctr; i++)
		if (counter_read(&ctr[i], &c0[i]))
			goto cleanup;
	topts.repeat = repeat;
	t0 = now_s();
	do {
		err = bpf_prog_test_run_opts(fd, &topts);
		if (err) {
			fprintf(stderr, "igbench: live test run on %s: %s\n", o.dev, strerror(-err));
			goto cleanup;
		}
		sent += repeat;
		t1 = now_s();
	} while (t1 - t0 < secs);
	for (i = 0; i < n_ctr; i++)
		if (counter_read(&ctr[i], &c1[i]))
			goto cleanup;
	t1 = now_s();

	printf("{\"dev\":\"%s\",\"mix\":%d,\"flows\":%u,\"zipf\":%g,\"srcs\":%u,\"secs\":%.4f,"
	       "\"sent\":%llu,\"offered_pps\":%.0f",
	       o.dev, o.mix, o.n_flows, o.zipf, o.n_src, t1 - t0, sent, (double)sent / (t1 - t0));
	for (i = 0; i < n_ctr; i++)
		printf(",\"%s\":%llu,\"%s_pps\":%.0f", ctr[i].label, c1[i] - c0[i], ctr[i].label,
		       (double)(c1[i] - c0[i]) / (t1 - t0));
	printf("}\n");
	rc = 0;
cleanup:
	for (i = 0; i < n_ctr; i++)
		counter_close(&ctr[i]);
	bpf_object__close(obj);
	free(cfg);
	return rc;
}

/* ---- ns ---------------------------------------------------------------------------- */

/* A new fd for the XDP program attached to dev in native mode. */
static int prog_of_dev(const char *dev)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	unsigned int ifindex = ifindex_of(dev);
	__u32 id;
	int fd;

	if (!ifindex)
		return -1;
	if (bpf_xdp_query((int)ifindex, 0, &q)) {
		fprintf(stderr, "igbench: querying XDP on %s: %s\n", dev, strerror(errno));
		return -1;
	}
	id = q.drv_prog_id ? q.drv_prog_id : q.prog_id;
	if (!id) {
		fprintf(stderr, "igbench: no XDP program on %s\n", dev);
		return -1;
	}
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		fprintf(stderr, "igbench: program %u on %s: %s\n", id, dev, strerror(errno));
	return fd;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int cmd_ns(int argc, char **argv)
{
	static const struct option lo[] = {
		GEN_LONGOPTS,
		{ "target-dev", required_argument, NULL, O_TDEV },
		{ "target-obj", required_argument, NULL, O_TOBJ },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "reps", required_argument, NULL, O_REPS },
		{ NULL, 0, NULL, 0 },
	};
	struct gen_opts o = { .n_flows = 1 };
	struct counter ctr[MAX_COUNTERS];
	unsigned long long c0[MAX_COUNTERS], c1[MAX_COUNTERS];
	const char *tdev = NULL, *tobj = NULL;
	struct bpf_object *obj = NULL, *tgt = NULL;
	struct igb_gen_cfg *cfg = NULL;
	__u32 repeat = 1000000, reps = 5, r, ns[64], retval = 0;
	unsigned char out[IGB_TMPL_MAX + 64];
	struct xdp_md md = {};
	unsigned int ifindex;
	int n_ctr = 0, opt, wrap_fd, tfd = -1, map_fd, i, err, rc = 1;
	__u32 zero = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (gen_opt(opt, &o, ctr, &n_ctr))
			continue;
		switch (opt) {
		case O_TDEV: tdev = optarg; break;
		case O_TOBJ: tobj = optarg; break;
		case O_REPEAT: repeat = (__u32)strtoul(optarg, NULL, 10); break;
		case O_REPS: reps = (__u32)strtoul(optarg, NULL, 10); break;
		default: die_usage("bad option to ns");
		}
	}
	gen_check(&o);
	if (!tdev == !tobj)
		die_usage("ns needs exactly one of --target-dev DEV or --target-obj FILE");
	if (!reps || reps > 64 || !repeat)
		die_usage("--reps must be 1..64, --repeat positive");
	if (gen_prepare(&o, "xdp_wrap", &ifindex, &cfg, &obj, &wrap_fd))
		goto cleanup;
	if (tdev) {
		tfd = prog_of_dev(tdev);
	} else {
		struct bpf_program *p;

		tgt = open_load(tobj);
		if (!tgt)
			goto cleanup;
		p = bpf_object__next_program(tgt, NULL);
		tfd = p ? dup(bpf_program__fd(p)) : -1;
		if (tfd < 0)
			fprintf(stderr, "igbench: %s has no program\n", tobj);
	}
	if (tfd < 0)
		goto cleanup;
	map_fd = bpf_object__find_map_fd_by_name(obj, "target");
	if (map_fd < 0 || bpf_map_update_elem(map_fd, &zero, &tfd, BPF_ANY)) {
		fprintf(stderr, "igbench: putting the target in the tail-call map: %s\n",
			strerror(errno));
		goto cleanup;
	}

	md.data_end = cfg->len;
	md.ingress_ifindex = ifindex;
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		.data_in = cfg->tmpl,
		.data_size_in = cfg->len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.ctx_in = &md,
		.ctx_size_in = sizeof(md),
		.repeat = repeat,
	);
	for (i = 0; i < n_ctr; i++)
		if (counter_read(&ctr[i], &c0[i]))
			goto cleanup;
	for (r = 0; r < reps; r++) {
		topts.data_size_out = sizeof(out);
		err = bpf_prog_test_run_opts(wrap_fd, &topts);
		if (err) {
			fprintf(stderr, "igbench: test run: %s\n", strerror(-err));
			goto cleanup;
		}
		if (topts.retval == XDP_ABORTED) {
			fprintf(stderr, "igbench: the wrapper returned XDP_ABORTED: the target was "
				"not called (tail call refused?) or the frame could not be rebuilt\n");
			goto cleanup;
		}
		ns[r] = topts.duration;
		retval = topts.retval;
	}
	for (i = 0; i < n_ctr; i++)
		if (counter_read(&ctr[i], &c1[i]))
			goto cleanup;
	qsort(ns, reps, sizeof(ns[0]), cmp_u32);
	printf("{\"mix\":%d,\"flows\":%u,\"zipf\":%g,\"srcs\":%u,\"repeat\":%u,\"reps\":%u,"
	       "\"retval\":%u,\"ns_median\":%u,\"ns_min\":%u,\"ns_max\":%u",
	       o.mix, o.n_flows, o.zipf, o.n_src, repeat, reps, retval, ns[reps / 2], ns[0],
	       ns[reps - 1]);
	for (i = 0; i < n_ctr; i++)
		printf(",\"%s\":%llu", ctr[i].label, c1[i] - c0[i]);
	printf("}\n");
	rc = 0;
cleanup:
	for (i = 0; i < n_ctr; i++)
		counter_close(&ctr[i]);
	if (tfd >= 0)
		close(tfd);
	bpf_object__close(tgt);
	bpf_object__close(obj);
	free(cfg);
	return rc;
}

/* ---- attach ------------------------------------------------------------------------ */

static int cmd_attach(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "obj", required_argument, NULL, O_OBJ },
		{ "dev", required_argument, NULL, O_DEV },
		{ "tx", required_argument, NULL, O_TX },
		{ "dmac", required_argument, NULL, O_DMAC },
		{ "smac", required_argument, NULL, O_SMAC },
		{ "pin", required_argument, NULL, O_PIN },
		{ "entries", required_argument, NULL, O_ENTRIES },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *dev = NULL, *tx = NULL, *pins[4];
	char resize[64] = "";
	unsigned long n_entries = 0;
	struct igb_line_cfg lc = {};
	struct igb_fwd_cfg fc = {};
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_map *m;
	unsigned int ifindex, txi = 0;
	int n_pins = 0, opt, i, rc = 1;
	__u32 zero = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case O_OBJ: path = optarg; break;
		case O_DEV: dev = optarg; break;
		case O_TX: tx = optarg; break;
		case O_DMAC: parse_mac(optarg, fc.dmac); break;
		case O_SMAC: parse_mac(optarg, fc.smac); break;
		case O_PIN:
			if (n_pins >= 4 || !strchr(optarg, '='))
				die_usage("--pin MAP=PATH, at most 4");
			pins[n_pins++] = optarg;
			break;
		case O_ENTRIES: {
			const char *eq = strchr(optarg, '=');
			char *e;

			n_entries = eq ? strtoul(eq + 1, &e, 0) : 0;
			/* a power of two: the program masks with entries - 1 */
			if (!eq || eq == optarg || *e || !n_entries || n_entries > (1ul << 30) ||
			    (n_entries & (n_entries - 1)))
				die_usage("--entries MAP=N, N a power of two up to 2^30");
			snprintf(resize, sizeof(resize), "%.*s", (int)(eq - optarg), optarg);
			break;
		}
		default: die_usage("bad option to attach");
		}
	}
	if (!path || !dev)
		die_usage("attach needs --obj and --dev");
	ifindex = ifindex_of(dev);
	if (!ifindex || (tx && !(txi = ifindex_of(tx))))
		goto cleanup;
	obj = open_load_sized(path, resize[0] ? resize : NULL, (__u32)n_entries);
	if (!obj)
		goto cleanup;
	prog = bpf_object__next_program(obj, NULL);
	if (!prog) {
		fprintf(stderr, "igbench: %s has no program\n", path);
		goto cleanup;
	}

	/* the reference forwarders' settings */
	m = bpf_object__find_map_by_name(obj, "fwd_cfg");
	if (m && bpf_map_update_elem(bpf_map__fd(m), &zero, &fc, BPF_ANY))
		goto map_err;
	lc.mask = n_entries ? (__u32)(n_entries - 1) : 0;
	m = bpf_object__find_map_by_name(obj, "line_cfg");
	if (m && bpf_map_update_elem(bpf_map__fd(m), &zero, &lc, BPF_ANY))
		goto map_err;
	m = bpf_object__find_map_by_name(obj, "tx_port");
	if (m && (!txi || bpf_map_update_elem(bpf_map__fd(m), &zero, &txi, BPF_ANY)))
		goto map_err;
	m = bpf_object__find_map_by_name(obj, "tx_ports");
	if (m && (!txi || bpf_map_update_elem(bpf_map__fd(m), &txi, &txi, BPF_ANY)))
		goto map_err;

	for (i = 0; i < n_pins; i++) {
		char name[64];
		const char *eq = strchr(pins[i], '=');

		snprintf(name, sizeof(name), "%.*s", (int)(eq - pins[i]), pins[i]);
		m = bpf_object__find_map_by_name(obj, name);
		if (!m) {
			fprintf(stderr, "igbench: %s has no map %s\n", path, name);
			goto cleanup;
		}
		unlink(eq + 1);
		if (bpf_map__pin(m, eq + 1)) {
			fprintf(stderr, "igbench: pinning %s at %s: %s\n", name, eq + 1,
				strerror(errno));
			goto cleanup;
		}
	}
	/* netlink attach in native mode, replacing whatever netlink program is there;
	 * it stays until replaced or the device goes away with its namespace */
	if (bpf_xdp_attach((int)ifindex, bpf_program__fd(prog), XDP_FLAGS_DRV_MODE, NULL)) {
		fprintf(stderr, "igbench: attaching %s to %s (native XDP): %s\n",
			bpf_program__name(prog), dev, strerror(errno));
		goto cleanup;
	}
	rc = 0;
	goto cleanup;
map_err:
	fprintf(stderr, "igbench: %s: filling its maps: %s%s\n", path, strerror(errno),
		txi ? "" : " (does it need --tx DEV?)");
cleanup:
	bpf_object__close(obj);
	return rc;
}

/* ---- read ---------------------------------------------------------------------------- */

static int cmd_read(int argc, char **argv)
{
	struct counter c;
	unsigned long long v;
	char spec[PATH_MAX + 8];
	int rc;

	if (argc != 2)
		die_usage("read PATH[@INDEX|@REASON]");
	snprintf(spec, sizeof(spec), "c=%s", argv[1]);
	if (counter_open(&c, spec)) {
		counter_close(&c);
		return 1;
	}
	rc = counter_read(&c, &v) ? 1 : 0;
	if (!rc)
		printf("%llu\n", v);
	counter_close(&c);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die_usage("usage: igbench live|ns|attach|read ...");
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	if (!strcmp(argv[1], "live"))
		return cmd_live(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ns"))
		return cmd_ns(argc - 1, argv + 1);
	if (!strcmp(argv[1], "attach"))
		return cmd_attach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "read"))
		return cmd_read(argc - 1, argv + 1);
	die_usage("unknown command (live, ns, attach, read)");
	return 2;
}
