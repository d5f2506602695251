// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flowcache.c - folding the per-CPU flow cache into the flow table.
 *
 * Each packet of a cached flow is counted once: an occupant's log record
 * carries its final counts, its live slot its counts so far, and flow_seen
 * what was already folded from the live slot.  A record adds what the live
 * reads had not; a live read adds what grew since the last one.  A live
 * slot whose flow_seen entry still belongs to an earlier occupant whose
 * record is not folded yet is left for the next fold (the record comes
 * first).  A slot is read between two reads of its fill_id, skipped when
 * they differ or are 0 (the datapath is writing it): a seqlock with one
 * writer, the CPU that owns the slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common.h"
#include "flows.h"
#include "flowcache.h"

static const char *const fc_names[4] = { IG_MAP_FLOW_CACHE, IG_MAP_FLOW_LOG, IG_MAP_FLOW_LOG_POS,
					 IG_MAP_FLOW_SEEN };

void ig_fc_close(struct ig_fc *fc)
{
	for (int i = 0; i < 4; i++) {
		if (fc->mem[i] && fc->mem[i] != MAP_FAILED)
			munmap(fc->mem[i], fc->len[i]);
		if (fc->fd[i] >= 0)
			close(fc->fd[i]);
		fc->mem[i] = NULL;
		fc->fd[i] = -1;
	}
}

/* Map fc's map i (its fd open): 0, or -errno (printed). */
static int fc_map(struct ig_fc *fc, int i, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	long page = sysconf(_SC_PAGESIZE);

	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fc->fd[i], info, &len)) {
		ig_err("map %s: %s", fc_names[i], strerror(errno));
		return -EIO;
	}
	fc->len[i] = ((size_t)info->value_size * info->max_entries + (size_t)page - 1) &
		     ~((size_t)page - 1);
	fc->mem[i] = mmap(NULL, fc->len[i], PROT_READ | PROT_WRITE, MAP_SHARED, fc->fd[i], 0);
	if (fc->mem[i] == MAP_FAILED) {
		fc->mem[i] = NULL;
		ig_err("mapping %s: %s", fc_names[i], strerror(errno));
		return -EIO;
	}
	return 0;
}

/* Map the four maps (fc->fd[] open) and check their shape: as ig_fc_open. */
static int fc_setup(struct ig_fc *fc)
{
	struct bpf_map_info info[4];
	int rc = 0;

	for (int i = 0; i < 4 && !rc; i++)
		rc = fc_map(fc, i, &info[i]);
	if (rc)
		return rc;
	if (info[0].max_entries <= 1)
		return 0; /* --flow-cache 0 */
	fc->ncpu = info[2].max_entries;
	fc->slots = fc->ncpu ? info[0].max_entries / fc->ncpu * IG_FC_WAYS : 0;
	if (!fc->ncpu || info[0].max_entries % fc->ncpu || fc->slots > IG_FC_SLOTS_MAX ||
	    info[1].max_entries != fc->ncpu * IG_FC_LOG_RECS ||
	    info[3].max_entries != fc->ncpu * fc->slots) {
		ig_err("the flow cache has an unexpected shape: re-attach");
		return -EIO;
	}
	return 1;
}

static void fc_init(struct ig_fc *fc)
{
	memset(fc, 0, sizeof(*fc));
	for (int i = 0; i < 4; i++)
		fc->fd[i] = -1;
}

int ig_fc_open(struct ig_fc *fc, const char *pin_dir)
{
	char path[PATH_MAX];
	int rc = 0;

	fc_init(fc);
	for (int i = 0; i < 4 && !rc; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", pin_dir, fc_names[i]) >=
		    (int)sizeof(path))
			rc = -ENAMETOOLONG;
		else if ((fc->fd[i] = bpf_obj_get(path)) < 0)
			rc = errno == ENOENT ? 0 : -errno; /* ENOENT: an older router */
		if (fc->fd[i] < 0 && rc)
			ig_err("%s: %s", path, strerror(-rc));
		if (fc->fd[i] < 0)
			goto cleanup;
	}
	rc = fc_setup(fc);
	if (rc > 0)
		return rc;
cleanup:
	ig_fc_close(fc);
	return rc;
}

int ig_fc_from_fds(struct ig_fc *fc, const int fd[4])
{
	int rc = 0;

	fc_init(fc);
	for (int i = 0; i < 4 && !rc; i++)
		if ((fc->fd[i] = fcntl(fd[i], F_DUPFD_CLOEXEC, 0)) < 0)
			rc = -errno;
	if (!rc)
		rc = fc_setup(fc);
	if (rc <= 0)
		ig_fc_close(fc);
	return rc;
}

/* The coarse clock's unit t (modulo 2^32) as CLOCK_MONOTONIC ns, near now. */
static uint64_t t_to_ns(uint32_t t, uint64_t now_ns)
{
	uint64_t now_t = now_ns >> IG_FC_TIME_SHIFT;
	uint32_t age = (uint32_t)now_t - t;

	if (age > 0x80000000u) /* a hair ahead of this clock */
		age = 0;
	return (now_t - age) << IG_FC_TIME_SHIFT;
}

/* Add dp packets and db bytes of slot s to its flow's entry. */
static void fold_one(int flows_fd, const struct ig_fc_slot *s, uint32_t dp, uint32_t db,
		     uint64_t now_ns, struct ig_fc_stats *st, struct ig_fc_log_pos *pos)
{
	struct ig_flow_key k;
	struct ig_flow v;
	struct ig_flow_dir *d;
	uint64_t first = t_to_ns(s->first_t, now_ns), last = t_to_ns(s->last_t, now_ns);

	memset(&k, 0, sizeof(k));
	memcpy(&k, s, offsetof(struct ig_flow_key, proto));
	k.proto = s->proto;
	if (bpf_map_lookup_elem(flows_fd, &k, &v)) {
		memset(&v, 0, sizeof(v));
		v.first_ns = first;
		st->inserts++;
		pos->inserts++;
	}
	d = s->dir == IG_FC_FROM_MEMBER ? &v.from_member : &v.to_member;
	d->packets += dp;
	d->bytes += db;
	d->tcp_flags |= s->tcp_flags;
	if (s->proto == 58) /* the key says which ICMPv6 message (include/isagate.h) */
		d->icmp_type = IG_FLOW_IS_ECHO(s->remote_port)
				       ? ((s->remote_port == IG_FLOW_ICMP_ECHO_PORT) ==
							  (s->dir == IG_FC_FROM_MEMBER)
						  ? 128
						  : 129)
				       : (uint8_t)(s->remote_port >> 8);
	if (first < v.first_ns)
		v.first_ns = first;
	if (last >= v.last_ns) {
		v.last_ns = last;
		v.last_verdict = s->reason;
	}
	if (bpf_map_update_elem(flows_fd, &k, &v, BPF_ANY)) {
		st->update_fail++;
		st->lost_packets += dp;
		return;
	}
	st->packets += dp;
	st->bytes += db;
	pos->collected_packets += dp;
	pos->collected_bytes += db;
}

/* The same occupancy: fill_id (without the done bit) and first time. */
static int seen_is(const struct ig_fc_seen *e, uint32_t fill_id, uint32_t first_t)
{
	return (e->fill_id & ~IG_FC_SEEN_DONE) == fill_id && e->first_t == first_t;
}

/* Fold CPU cpu's log records; returns the number folded. */
static uint64_t fold_log(struct ig_fc *fc, unsigned int cpu, int flows_fd, uint64_t now,
			 struct ig_fc_stats *st)
{
	struct ig_fc_log_pos *pos = (struct ig_fc_log_pos *)fc->mem[2] + cpu;
	const struct ig_fc_slot *log =
		(const struct ig_fc_slot *)fc->mem[1] + (size_t)cpu * IG_FC_LOG_RECS;
	struct ig_fc_seen *seen = (struct ig_fc_seen *)fc->mem[3] + (size_t)cpu * fc->slots;
	uint64_t head = __atomic_load_n(&pos->head, __ATOMIC_ACQUIRE), tail = pos->tail, n = 0;

	for (; tail < head; tail++, n++) {
		struct ig_fc_slot r = log[tail & (IG_FC_LOG_RECS - 1)];
		uint32_t si = r.fill_id & 0xffff, dp = r.packets, db = r.bytes;
		struct ig_fc_seen *e = si < fc->slots ? &seen[si] : NULL;

		if (e && seen_is(e, r.fill_id, r.first_t)) {
			dp -= e->packets;
			db -= e->bytes;
		}
		/* final: a live read of this occupant still in its slot (the
		 * datapath between logging and refilling) adds nothing */
		if (e && (!e->fill_id || (e->fill_id & IG_FC_SEEN_DONE) ||
			  seen_is(e, r.fill_id, r.first_t)))
			*e = (struct ig_fc_seen){ r.fill_id | IG_FC_SEEN_DONE, r.packets, r.bytes,
						  r.first_t };
		if (dp)
			fold_one(flows_fd, &r, dp, db, now, st, pos);
	}
	__atomic_store_n(&pos->tail, tail, __ATOMIC_RELEASE);
	return n;
}

/* Fold what grew in CPU cpu's live slots. */
static void fold_live(struct ig_fc *fc, unsigned int cpu, int flows_fd, uint64_t now,
		      struct ig_fc_stats *st)
{
	struct ig_fc_slot *slots = (struct ig_fc_slot *)fc->mem[0] + (size_t)cpu * fc->slots;
	struct ig_fc_seen *seen = (struct ig_fc_seen *)fc->mem[3] + (size_t)cpu * fc->slots;
	struct ig_fc_log_pos *pos = (struct ig_fc_log_pos *)fc->mem[2] + cpu;

	for (unsigned int si = 0; si < fc->slots; si++) {
		volatile struct ig_fc_slot *s = &slots[si];
		struct ig_fc_seen *e = &seen[si];
		struct ig_fc_slot c;
		uint32_t id = __atomic_load_n(&s->fill_id, __ATOMIC_ACQUIRE), dp, db;

		if (!id)
			continue;
		memcpy(&c, (const void *)s, sizeof(c));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->fill_id, __ATOMIC_RELAXED) != id)
			continue;
		if (seen_is(e, id, c.first_t)) {
			if (e->fill_id & IG_FC_SEEN_DONE)
				continue;
			dp = c.packets - e->packets;
			db = c.bytes - e->bytes;
		} else if (e->fill_id && !(e->fill_id & IG_FC_SEEN_DONE)) {
			continue; /* the previous occupant's record comes first */
		} else {
			dp = c.packets;
			db = c.bytes;
		}
		if (!dp)
			continue;
		*e = (struct ig_fc_seen){ id, c.packets, c.bytes, c.first_t };
		fold_one(flows_fd, &c, dp, db, now, st, pos);
		st->live++;
	}
}

/* Fold every CPU's log records; returns the number folded. */
static uint64_t fold_logs(struct ig_fc *fc, int flows_fd, uint64_t now, struct ig_fc_stats *st)
{
	uint64_t n = 0;

	for (unsigned int cpu = 0; cpu < fc->ncpu; cpu++)
		n += fold_log(fc, cpu, flows_fd, now, st);
	st->records += n;
	return n;
}

int ig_fc_fold(struct ig_fc *fc, int flows_fd, struct ig_fc_stats *st)
{
	uint64_t now = ig_mono_now_ns();

	fold_logs(fc, flows_fd, now, st);
	for (unsigned int cpu = 0; cpu < fc->ncpu; cpu++)
		fold_live(fc, cpu, flows_fd, now, st);
	return 0;
}

void ig_fc_totals(const struct ig_fc *fc, struct ig_fc_totals *t)
{
	const struct ig_fc_log_pos *pos = fc->mem[2];

	memset(t, 0, sizeof(*t));
	for (unsigned int c = 0; c < fc->ncpu; c++) {
		uint64_t head = __atomic_load_n(&pos[c].head, __ATOMIC_ACQUIRE);

		t->records += head;
		t->pending += head - pos[c].tail;
		t->fills += pos[c].fills;
		t->evictions += pos[c].evictions;
		t->refreshes += pos[c].refreshes;
		t->spilled_packets += pos[c].spilled_packets;
		t->spilled_bytes += pos[c].spilled_bytes;
		t->collected_packets += pos[c].collected_packets;
		t->collected_bytes += pos[c].collected_bytes;
		t->inserts += pos[c].inserts;
	}
}

int ig_fc_lock(const char *pin_dir)
{
	char path[PATH_MAX], name[NAME_MAX];
	size_t i, j = 0;
	int fd;

	/* one lock file per pin directory: its path with '/' as '-' */
	for (i = 0; pin_dir[i] && j + 6 < sizeof(name); i++)
		if (pin_dir[i] != '/' || j)
			name[j++] = pin_dir[i] == '/' ? '-' : pin_dir[i];
	name[j] = 0;
	if (mkdir(IG_FC_LOCK_DIR, 0755) && errno != EEXIST) {
		ig_err("%s: %s (the flow cache's fold lock lives there)", IG_FC_LOCK_DIR,
		       strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/%s.lock", IG_FC_LOCK_DIR, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ig_err("%s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX)) {
		ig_err("locking %s: %s", path, strerror(errno));
		close(fd);
		return -EIO;
	}
	return fd;
}

uint64_t ig_fc_drain(struct ig_fc *fc, int flows_fd, struct ig_fc_stats *st)
{
	uint64_t start = ig_mono_now_ns(), now = start, n = 0, k;

	do {
		k = fold_logs(fc, flows_fd, now, st);
		n += k;
		now = ig_mono_now_ns();
	} while (k >= IG_FC_BUSY_RECS && now - start < IG_FC_DRAIN_NS);
	return n;
}

/*
 * Fold fc (mapped from pin_dir) into pin_dir's flows_folded under the fold
 * lock: the logs and the live slots, or with logs_only the logs alone
 * (ig_fc_drain).  Returns the number of log records folded, or -errno
 * (printed).
 */
static int64_t fold_locked(struct ig_fc *fc, const char *pin_dir, bool logs_only)
{
	struct ig_fc_stats st = { 0 };
	int64_t rc;
	int lock = -1, flows_fd;

	flows_fd = ig_map_open(pin_dir, IG_MAP_FLOWS_FOLDED);
	if (flows_fd < 0)
		return flows_fd;
	lock = ig_fc_lock(pin_dir);
	if (lock < 0) {
		rc = lock;
		goto cleanup;
	}
	if (logs_only)
		ig_fc_drain(fc, flows_fd, &st);
	else
		ig_fc_fold(fc, flows_fd, &st);
	rc = (int64_t)st.records;
	if (st.update_fail)
		ig_err("warning: %llu packets of the flow cache could not be written to "
		       "flows_folded (%llu writes failed): it may be full, raise --flows",
		       (unsigned long long)st.lost_packets, (unsigned long long)st.update_fail);
cleanup:
	if (lock >= 0)
		close(lock);
	close(flows_fd);
	return rc;
}

int ig_fc_fold_pinned(const char *pin_dir)
{
	struct ig_fc fc;
	int rc;

	rc = ig_fc_open(&fc, pin_dir);
	if (rc <= 0)
		return rc;
	rc = (int)fold_locked(&fc, pin_dir, false);
	ig_fc_close(&fc);
	return rc < 0 ? rc : 1;
}

int ig_fc_totals_pinned(const char *pin_dir, struct ig_fc_totals *t, unsigned int *slots)
{
	struct ig_fc fc;
	int rc = ig_fc_open(&fc, pin_dir);

	if (rc <= 0)
		return rc;
	ig_fc_totals(&fc, t);
	if (slots)
		*slots = fc.slots;
	ig_fc_close(&fc);
	return 1;
}

/* Is some CPU's log at least a quarter full? */
static bool needs_fold(const struct ig_fc *fc)
{
	const struct ig_fc_log_pos *pos = fc->mem[2];

	for (unsigned int c = 0; c < fc->ncpu; c++)
		if (__atomic_load_n(&pos[c].head, __ATOMIC_ACQUIRE) - pos[c].tail >=
		    IG_FC_LOG_RECS / 4)
			return true;
	return false;
}

void ig_fc_watch_tick(struct ig_fc_watch *w, const char *pin_dir)
{
	uint64_t now = ig_mono_now_ns();
	int64_t n;
	bool full = now >= w->next_fold_ns;

	if (full) {
		ig_fc_watch_end(w);
		w->open = ig_fc_open(&w->fc, pin_dir);
		w->next_fold_ns = now + IG_FC_FOLD_NS;
	} else if (w->open <= 0 || !(w->busy || needs_fold(&w->fc))) {
		return;
	}
	if (w->open <= 0)
		return;
	/* the maps it has open: no new look-up */
	n = fold_locked(&w->fc, pin_dir, !full);
	w->busy = n >= IG_FC_BUSY_RECS;
}

int ig_fc_watch_ms(const struct ig_fc_watch *w)
{
	if (w->open <= 0)
		return (int)(IG_FC_FOLD_NS / 1000000);
	return w->busy ? IG_FC_BUSY_MS : IG_FC_CHECK_MS;
}

void ig_fc_watch_end(struct ig_fc_watch *w)
{
	if (w->open > 0)
		ig_fc_close(&w->fc);
	w->open = 0;
	w->busy = false;
}
