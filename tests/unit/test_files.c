// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_files.c - the files isagate writes as root into directories other
 * users may write (the Prometheus textfile directory, the flow state):
 * symbolic and hard links planted at the temporary names of the old
 * "<path>.tmp.<pid>" scheme and at the target itself must never make root
 * write through them or chmod what they point to; the results have their
 * modes (textfile 0644, flow state 0600 whatever was there before); a
 * failed write leaves the old file and no temporary behind; a directory
 * others may write without the sticky bit is warned about, once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "common.h"
#include "flows.h"
#include "metrics.h"
#include "syncstate.h"

#define VICTIM_TEXT "the attacker's victim: must stay as it is\n"
#define PID_WINDOW 64           /* names of the pids around ours: a child's, a timer's */

static char tmpdir[] = "/tmp/test_files.XXXXXX";

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* A fresh directory below tmpdir with this mode (chmod: no umask). */
static const char *make_dir(const char *name, mode_t mode)
{
	static char path[4][512];
	static int slot;
	char *p = path[slot++ % 4];

	path_in(p, sizeof(path[0]), tmpdir, name);
	if (mkdir(p, 0700) || chmod(p, mode))
		fprintf(stderr, "mkdir %s: %s\n", p, strerror(errno));
	return p;
}

static int write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f))
		return -1;
	return chmod(path, mode);
}

/* The whole file into buf (NUL-terminated); its length or -1. */
static long read_all(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The victim: a private file elsewhere, 0600, with known content. */
static const char *make_victim(const char *name)
{
	static char path[2][512];
	static int slot;
	char *p = path[slot++ % 2];

	path_in(p, sizeof(path[0]), make_dir(name, 0700), "secret");
	if (write_text(p, VICTIM_TEXT, 0600))
		fprintf(stderr, "victim %s: %s\n", p, strerror(errno));
	return p;
}

static void check_victim(const char *victim, const char *what)
{
	char buf[4096];
	struct stat st;

	CHECK(read_all(victim, buf, sizeof(buf)) >= 0 && !strcmp(buf, VICTIM_TEXT),
	      "%s: the victim's content changed: '%.60s'", what, buf);
	CHECK(!stat(victim, &st) && (st.st_mode & 07777) == 0600,
	      "%s: the victim's mode changed to %04o", what, (unsigned int)(st.st_mode & 07777));
	CHECK(!stat(victim, &st) && st.st_nlink <= 2,
	      "%s: the victim has %lu links", what, (unsigned long)st.st_nlink);
}

/*
 * What a user who may write dir plants before root's next write of
 * dir/name: a symlink to the victim at every name "<name>.tmp.<pid>" near
 * our pid, a hard link to it at our own pid's name (same file system), and
 * the target itself as a symlink to the victim.
 */
static void plant(const char *dir, const char *name, const char *victim)
{
	char p[1024];
	int pid = (int)getpid(), i;

	for (i = pid - PID_WINDOW; i <= pid + PID_WINDOW; i++) {
		if (i <= 0 || i == pid)
			continue;
		snprintf(p, sizeof(p), "%s/%s.tmp.%d", dir, name, i);
		if (symlink(victim, p))
			fprintf(stderr, "symlink %s: %s\n", p, strerror(errno));
	}
	snprintf(p, sizeof(p), "%s/%s.tmp.%d", dir, name, pid);
	if (link(victim, p) && symlink(victim, p))
		fprintf(stderr, "link %s: %s\n", p, strerror(errno));
	path_in(p, sizeof(p), dir, name);
	if (symlink(victim, p))
		fprintf(stderr, "symlink %s: %s\n", p, strerror(errno));
}

/* Entries in dir that are neither planted ("<name>.tmp.<n>") nor name itself. */
static int strays(const char *dir, const char *name)
{
	size_t nl = strlen(name);
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, name))
			continue;
		if (!strncmp(e->d_name, name, nl) && !strncmp(e->d_name + nl, ".tmp.", 5)) {
			struct stat st;
			char p[1024];

			/* a planted name, unless something replaced it with a file of ours */
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			if (!lstat(p, &st) && (S_ISLNK(st.st_mode) || st.st_nlink > 1))
				continue;
		}
		fprintf(stderr, "  stray entry %s/%s\n", dir, e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static void check_result(const char *dir, const char *name, mode_t mode, const char *start)
{
	char p[1024], buf[65536];
	struct stat st;

	path_in(p, sizeof(p), dir, name);
	CHECK(!lstat(p, &st) && S_ISREG(st.st_mode) && st.st_nlink == 1,
	      "%s is a regular file of its own (mode %o, %lu links)", name,
	      (unsigned int)st.st_mode, (unsigned long)st.st_nlink);
	CHECK((st.st_mode & 07777) == mode, "%s: mode %04o, want %04o", name,
	      (unsigned int)(st.st_mode & 07777), (unsigned int)mode);
	CHECK(read_all(p, buf, sizeof(buf)) > 0 && !strncmp(buf, start, strlen(start)),
	      "%s: content starts '%.40s'", name, buf);
	CHECK(strays(dir, name) == 0, "no temporary left in %s", dir);
}

static void prometheus_planted_links(void)
{
	const char *victim = make_victim("prom-victim");
	const char *dir = make_dir("textfile", 01777);
	struct ig_metrics m = { .flows = -1, .members = 3 };
	char p[1024];

	plant(dir, "isagate.prom", victim);
	path_in(p, sizeof(p), dir, "isagate.prom");
	CHECK(ig_metrics_write_prometheus(&m, p) == 0, "written");
	check_victim(victim, "prometheus");
	check_result(dir, "isagate.prom", 0644, "# HELP isagate_packets_total");
	/* and again, over the file it wrote */
	CHECK(ig_metrics_write_prometheus(&m, p) == 0, "rewritten");
	check_result(dir, "isagate.prom", 0644, "# HELP isagate_packets_total");
}

static void flow_state_planted_links(void)
{
	const char *victim = make_victim("state-victim");
	const char *dir = make_dir("state", 01777);
	struct ig_flow_tracker t, back;
	struct ig_flow_seen s = { .first_ns = 7, .packets = { 1, 2 } };
	char p[1024];
	struct stat st;

	ig_tracker_init(&t, 60000000000ull);
	t.seen = &s;
	t.n = 1;
	plant(dir, "flows.state", victim);
	path_in(p, sizeof(p), dir, "flows.state");
	CHECK(ig_tracker_save(&t, p) == 0, "saved");
	check_victim(victim, "flow state");
	check_result(dir, "flows.state", 0600, "isagate-flows-state-1\n");
	CHECK(!stat(p, &st) && st.st_size == 22 + (off_t)sizeof(s), "size %lld",
	      (long long)st.st_size);
	ig_tracker_init(&back, 1);
	CHECK(ig_tracker_load(&back, p) == 0 && back.n == 1 && back.seen[0].first_ns == 7,
	      "read back (%zu)", back.n);
	ig_tracker_free(&back);

	/* a state file an older version left world-readable becomes 0600 */
	CHECK(!chmod(p, 0644), "chmod");
	CHECK(ig_tracker_save(&t, p) == 0, "saved again");
	check_result(dir, "flows.state", 0600, "isagate-flows-state-1\n");
}

/* A relative path (no directory part) is written in the working directory. */
static void relative_path(void)
{
	const char *dir = make_dir("cwd", 0755);
	struct ig_metrics m = { .flows = -1 };
	char old[1024];

	CHECK(getcwd(old, sizeof(old)) != NULL && !chdir(dir), "chdir");
	CHECK(ig_metrics_write_prometheus(&m, "rel.prom") == 0, "written");
	CHECK(!chdir(old), "chdir back");
	check_result(dir, "rel.prom", 0644, "# HELP");
}

/* Writes that fail leave the old file as it was and nothing else. */
static void failed_write_leaves_nothing(void)
{
	const char *dir = make_dir("full", 0755);
	struct rlimit old, tiny = { .rlim_cur = 64, .rlim_max = RLIM_INFINITY };
	struct ig_metrics m = { .flows = -1 };
	struct ig_flow_seen s[64] = { { .first_ns = 1 } };
	struct ig_flow_tracker t;
	char p[1024], q[1024], buf[256];
	int i, saved, null, rc[2] = { 1, 1 };

	for (i = 0; i < 64; i++)
		s[i].key.proto = (uint8_t)i;
	ig_tracker_init(&t, 1);
	t.seen = s;
	t.n = 64;
	path_in(p, sizeof(p), dir, "isagate.prom");
	path_in(q, sizeof(q), dir, "flows.state");
	CHECK(!write_text(p, "old metrics\n", 0644) && !write_text(q, "old state\n", 0600),
	      "old files");

	/* The file system refuses the bytes (as a full disk would).  The
	 * limit applies to every file this process writes: stderr, when it
	 * is a file, goes to /dev/null meanwhile. */
	signal(SIGXFSZ, SIG_IGN);
	CHECK(!getrlimit(RLIMIT_FSIZE, &old), "getrlimit");
	tiny.rlim_max = old.rlim_max;
	fflush(stderr);
	saved = dup(2);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(saved >= 0 && null >= 0 && dup2(null, 2) == 2, "stderr to /dev/null");
	if (!setrlimit(RLIMIT_FSIZE, &tiny)) {
		rc[0] = ig_metrics_write_prometheus(&m, p);
		rc[1] = ig_tracker_save(&t, q);
		setrlimit(RLIMIT_FSIZE, &old);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(null);
	signal(SIGXFSZ, SIG_DFL);
	CHECK(rc[0] == -EFBIG, "metrics write fails: %d", rc[0]);
	CHECK(rc[1] == -EFBIG, "state save fails: %d", rc[1]);
	CHECK(read_all(p, buf, sizeof(buf)) > 0 && !strcmp(buf, "old metrics\n"),
	      "old metrics kept: '%s'", buf);
	CHECK(read_all(q, buf, sizeof(buf)) > 0 && !strcmp(buf, "old state\n"),
	      "old state kept: '%s'", buf);

	/* the target is a directory: the rename fails */
	path_in(p, sizeof(p), dir, "adir");
	CHECK(!mkdir(p, 0755), "mkdir");
	CHECK(ig_metrics_write_prometheus(&m, p) < 0, "a directory in the way fails");

	/* only the three files are there */
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		int n = 0;

		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				if (strcmp(e->d_name, "isagate.prom") &&
				    strcmp(e->d_name, "flows.state") && strcmp(e->d_name, "adir"))
					fprintf(stderr, "  left behind: %s\n", e->d_name);
				n++;
			}
		if (d)
			closedir(d);
		CHECK(n == 3, "%d entries, want 3 (no temporary left)", n);
	}
	/* a directory that does not exist */
	path_in(p, sizeof(p), dir, "missing/isagate.prom");
	CHECK(ig_metrics_write_prometheus(&m, p) == -ENOENT, "missing directory: -ENOENT");
}

/* Run fn with stderr in a file; what it printed into buf. */
static void capture_stderr(void (*fn)(const char *), const char *arg, char *buf, size_t len)
{
	char p[1024];
	int fd, saved;

	path_in(p, sizeof(p), tmpdir, "stderr.txt");
	fflush(stderr);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	saved = dup(2);
	if (fd < 0 || saved < 0) {
		buf[0] = '\0';
		return;
	}
	dup2(fd, 2);
	close(fd);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if (read_all(p, buf, len) < 0)
		buf[0] = '\0';
}

static void write_twice(const char *path)
{
	struct ig_metrics m = { .flows = -1 };

	ig_metrics_write_prometheus(&m, path);
	ig_metrics_write_prometheus(&m, path);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void warns_about_open_directory(void)
{
	const char *sticky = make_dir("sticky", 01777);
	const char *open_dir = make_dir("open", 0777);
	const char *group = make_dir("group", 0775);
	char p[1024], out[4096];

	path_in(p, sizeof(p), sticky, "isagate.prom");
	capture_stderr(write_twice, p, out, sizeof(out));
	CHECK(!strstr(out, "warning"), "sticky directory: no warning: '%s'", out);

	path_in(p, sizeof(p), open_dir, "isagate.prom");
	capture_stderr(write_twice, p, out, sizeof(out));
	CHECK(count(out, "warning") == 1 && strstr(out, open_dir) && strstr(out, "chmod"),
	      "writable by others: one warning naming the directory and the chmod: '%s'", out);

	/* once per process: the next directory is not warned about again */
	path_in(p, sizeof(p), group, "isagate.prom");
	capture_stderr(write_twice, p, out, sizeof(out));
	CHECK(!strstr(out, "warning"), "warned once only: '%s'", out);
	check_result(group, "isagate.prom", 0644, "# HELP");
}

/* The neighbour-request counters: read summed over CPUs (none pinned: a
 * quiet -ENOENT) and written to the textfile only when read. */
static void read_neigh_quietly(const char *dir)
{
	struct ig_neigh_req_stats ns;

	CHECK(ig_neigh_req_read(dir, &ns) == -ENOENT && !ns.requests, "no map: -ENOENT");
}

static void neigh_requests(void)
{
	struct ig_metrics m = { .flows = -1, .have_neigh = true,
				.neigh = { .requests = 7, .suppressed = 5, .lost = 2 } };
	const char *dir = make_dir("neigh", 0755);
	char p[1024], out[8192], pin[64] = "", mp[128];
	int ncpu = libbpf_num_possible_cpus(), fd, i;
	struct ig_neigh_req_stats ns, *pc;
	__u32 zero = 0;

	capture_stderr(read_neigh_quietly, tmpdir, out, sizeof(out));
	CHECK(!out[0], "a missing map says nothing: '%s'", out);

	path_in(p, sizeof(p), dir, "isagate.prom");
	CHECK(ig_metrics_write_prometheus(&m, p) == 0, "written");
	CHECK(read_all(p, out, sizeof(out)) > 0 &&
	      strstr(out, "# TYPE isagate_neigh_requests_total counter\n") &&
	      strstr(out, "isagate_neigh_requests_total{result=\"sent\"} 7\n") &&
	      strstr(out, "isagate_neigh_requests_total{result=\"suppressed\"} 5\n") &&
	      strstr(out, "isagate_neigh_requests_total{result=\"lost\"} 2\n"),
	      "the three neigh request lines");
	m.have_neigh = false;
	CHECK(ig_metrics_write_prometheus(&m, p) == 0 && read_all(p, out, sizeof(out)) > 0 &&
	      !strstr(out, "neigh_requests"), "no map, no neigh lines");

	/* a pinned per-CPU map: summed over the CPUs */
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_neigh_st", sizeof(__u32),
			    sizeof(struct ig_neigh_req_stats), 1, NULL);
	pc = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*pc)) : NULL;
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/ig-test-files-XXXXXX");
	if (fd < 0 || !pc || !mkdtemp(pin)) {
		printf("# skip the pinned part: no BPF maps or bpffs (not root?)\n");
		if (fd >= 0)
			close(fd);
		free(pc);
		return;
	}
	for (i = 0; i < ncpu; i++)
		pc[i] = (struct ig_neigh_req_stats){ .requests = 1, .suppressed = 2, .lost = 3 };
	snprintf(mp, sizeof(mp), "%s/%s", pin, IG_MAP_NEIGH_REQ_STATS);
	CHECK(bpf_map_update_elem(fd, &zero, pc, BPF_ANY) == 0 && bpf_obj_pin(fd, mp) == 0,
	      "pinned");
	CHECK(ig_neigh_req_read(pin, &ns) == 0 && ns.requests == (__u64)ncpu &&
	      ns.suppressed == 2ull * ncpu && ns.lost == 3ull * ncpu,
	      "summed over %d CPUs: %llu %llu %llu", ncpu, (unsigned long long)ns.requests,
	      (unsigned long long)ns.suppressed, (unsigned long long)ns.lost);
	unlink(mp);
	rmdir(pin);
	close(fd);
	free(pc);
}

/* The members syncs' outcome: recorded in a pinned sync_state map (each
 * result by its exit code; 4 and unknown codes not), read back, and written
 * to the textfile; a detached router's textfile holds isagate_attached 0
 * alone. */
static void sync_state_and_detached(void)
{
	struct ig_metrics m = { .flows = -1, .attached = true, .links_up = 2 };
	const char *dir = make_dir("sync", 0755);
	char p[1024], out[16384], pin[64] = "", mp[128];
	struct ig_sync_state st;
	int fd;

	path_in(p, sizeof(p), dir, "isagate.prom");
	m.detached = true;
	CHECK(ig_metrics_write_prometheus(&m, p) == 0 && read_all(p, out, sizeof(out)) > 0,
	      "detached: written");
	CHECK(strstr(out, "\nisagate_attached 0\n") && !strstr(out, "isagate_packets_total") &&
	      !strstr(out, "isagate_members"), "detached: isagate_attached 0 alone: '%.200s'", out);
	m.detached = false;
	CHECK(ig_metrics_write_prometheus(&m, p) == 0 && read_all(p, out, sizeof(out)) > 0 &&
	      strstr(out, "\nisagate_attached 1\n") &&
	      strstr(out, "isagate_xdp_links{state=\"running\"} 2\n") &&
	      !strstr(out, "isagate_members_sync"), "attached, no sync_state: no sync lines");

	CHECK(ig_sync_state_record(tmpdir, 0, IG_SYNC_SRC_FILE, 100, NULL) == -ENOENT,
	      "no map: -ENOENT");
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_sync_state", sizeof(__u32),
			    sizeof(struct ig_sync_state), 1, NULL);
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/ig-test-files-XXXXXX");
	if (fd < 0 || !mkdtemp(pin)) {
		printf("# skip the pinned part: no BPF maps or bpffs (not root?)\n");
		if (fd >= 0)
			close(fd);
		return;
	}
	snprintf(mp, sizeof(mp), "%s/%s", pin, IG_MAP_SYNC_STATE);
	CHECK(bpf_obj_pin(fd, mp) == 0, "pinned");
	CHECK(ig_sync_state_record(pin, IG_EXIT_OK, IG_SYNC_SRC_FILE, 1000, "/etc/isagate/members.txt") == 0 &&
	      ig_sync_state_record(pin, IG_EXIT_USAGE, IG_SYNC_SRC_FILE, 1100, "/bad") == 0 &&
	      ig_sync_state_record(pin, IG_EXIT_DIRECTORY, IG_SYNC_SRC_DIRECTORY, 1200, NULL) == 0 &&
	      ig_sync_state_record(pin, IG_EXIT_DIRECTORY, IG_SYNC_SRC_DIRECTORY, 1300, NULL) == 0 &&
	      ig_sync_state_record(pin, IG_EXIT_PARTIAL, IG_SYNC_SRC_DIRECTORY, 1400, "/etc/isagate/extra.txt") == 0 &&
	      ig_sync_state_record(pin, IG_EXIT_LOCKED, IG_SYNC_SRC_DIRECTORY, 1500, NULL) == 0,
	      "six syncs recorded");
	CHECK(ig_sync_state_record(pin, IG_EXIT_NOT_ATTACHED, IG_SYNC_SRC_FILE, 1600, "/x") == 0 &&
	      ig_sync_state_record(pin, 77, IG_SYNC_SRC_FILE, 1700, "/y") == 0,
	      "exit 4 and unknown codes: nothing to record, no error");
	CHECK(ig_sync_state_read(pin, &st) == 0, "read back");
	CHECK(st.last_success == 1400 && st.last_run == 1500 && st.last_exit == IG_EXIT_LOCKED &&
	      st.last_source == IG_SYNC_SRC_DIRECTORY && st.seq == 6,
	      "last success %llu, run %llu, exit %u, source %u, seq %llu",
	      (unsigned long long)st.last_success, (unsigned long long)st.last_run,
	      st.last_exit, st.last_source, (unsigned long long)st.seq);
	CHECK(!strcmp(st.file, "/etc/isagate/extra.txt"),
	      "file of the last applied sync '%s', expected /etc/isagate/extra.txt", st.file);
	CHECK(st.runs[IG_SYNC_OK] == 1 && st.runs[IG_SYNC_INPUT] == 1 &&
	      st.runs[IG_SYNC_DIRECTORY] == 2 && st.runs[IG_SYNC_PARTIAL] == 1 &&
	      st.runs[IG_SYNC_LOCKED] == 1 && st.runs[IG_SYNC_SYSTEM] == 0 &&
	      st.runs[IG_SYNC_REFUSED] == 0, "runs by result");

	m.sync = st;
	m.have_sync = true;
	CHECK(ig_metrics_write_prometheus(&m, p) == 0 && read_all(p, out, sizeof(out)) > 0,
	      "with the sync state: written");
	CHECK(strstr(out, "\nisagate_members_sync_last_success_timestamp_seconds 1400\n") &&
	      strstr(out, "\nisagate_members_sync_last_run_timestamp_seconds 1500\n") &&
	      strstr(out, "\nisagate_members_sync_last_exit_code 8\n") &&
	      strstr(out, "\nisagate_members_sync_runs_total 6\n") &&
	      strstr(out, "\nisagate_members_sync_warnings_total 1\n") &&
	      strstr(out, "isagate_members_sync_failures_total{reason=\"directory\"} 2\n") &&
	      strstr(out, "isagate_members_sync_failures_total{reason=\"input\"} 1\n") &&
	      strstr(out, "isagate_members_sync_failures_total{reason=\"locked\"} 1\n") &&
	      strstr(out, "isagate_members_sync_failures_total{reason=\"refused\"} 0\n") &&
	      strstr(out, "isagate_members_sync_failures_total{reason=\"system\"} 0\n") &&
	      !strstr(out, "failures_total{reason=\"ok\"}") &&
	      !strstr(out, "failures_total{reason=\"partial\"}"),
	      "the sync lines");
	unlink(mp);
	rmdir(pin);
	close(fd);
}

int main(void)
{
	char cmd[64];

	umask(022);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(prometheus_planted_links);
	RUN(sync_state_and_detached);
	RUN(flow_state_planted_links);
	RUN(relative_path);
	RUN(failed_write_leaves_nothing);
	RUN(warns_about_open_directory);
	RUN(neigh_requests);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return h_summary();
}
