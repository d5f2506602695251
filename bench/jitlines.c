// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * jitlines - a development aid for `bench/run.sh --perf`: maps offsets
 * inside a loaded BPF program's JIT image (from `perf script`, as
 * "COUNT NAME+0xOFF" lines on stdin) to the source lines the program's BTF
 * line info names, and prints the samples per source line, most first.
 * Debian's perf and bpftool cannot disassemble BPF programs; this needs only
 * the line info the kernel keeps.
 *
 *   jitlines PROG_ID < offsets.txt
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

struct agg {
	unsigned int li;    /* line info index */
	unsigned long n;    /* samples */
};

static int by_count(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), nli, i;
	struct bpf_line_info *li = NULL;
	__u64 *jli = NULL, *ksyms = NULL;
	struct agg *agg = NULL;
	struct btf *btf = NULL;
	unsigned long total = 0, n, off;
	char line[512];
	int fd = -1, rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: jitlines PROG_ID < 'COUNT NAME+0xOFF' lines\n");
		return 2;
	}
	fd = bpf_prog_get_fd_by_id(atoi(argv[1]));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "jitlines: program %s: %s\n", argv[1], strerror(errno));
		goto cleanup;
	}
	nli = info.nr_line_info;
	if (!nli || info.nr_jited_line_info != nli || !info.btf_id) {
		fprintf(stderr, "jitlines: program %s has no (JIT) line info\n", argv[1]);
		goto cleanup;
	}
	li = calloc(nli, sizeof(*li));
	jli = calloc(nli, sizeof(*jli));
	ksyms = calloc(info.nr_jited_ksyms ? info.nr_jited_ksyms : 1, sizeof(*ksyms));
	agg = calloc(nli, sizeof(*agg));
	if (!li || !jli || !ksyms || !agg)
		goto cleanup;
	{
		__u32 nks = info.nr_jited_ksyms;

		memset(&info, 0, sizeof(info));
		info.nr_line_info = nli;
		info.line_info_rec_size = sizeof(*li);
		info.line_info = (unsigned long)li;
		info.nr_jited_line_info = nli;
		info.jited_line_info_rec_size = sizeof(*jli);
		info.jited_line_info = (unsigned long)jli;
		info.nr_jited_ksyms = nks;
		info.jited_ksyms = (unsigned long)ksyms;
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			fprintf(stderr, "jitlines: line info: %s\n", strerror(errno));
			goto cleanup;
		}
	}
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf) {
		fprintf(stderr, "jitlines: BTF %u: %s\n", info.btf_id, strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < nli; i++)
		agg[i].li = i;
	/* offsets are relative to the main program's symbol (ksyms[0]) */
	while (fgets(line, sizeof(line), stdin)) {
		const char *p = strstr(line, "+0x");
		__u64 addr;
		int best = -1;

		if (!p || sscanf(line, "%lu", &n) != 1)
			continue;
		off = strtoul(p + 3, NULL, 16);
		addr = ksyms[0] + off;
		for (i = 0; i < nli; i++)
			if (jli[i] <= addr && (best < 0 || jli[i] >= jli[best]))
				best = (int)i;
		total += n;
		if (best >= 0)
			agg[best].n += n;
	}
	qsort(agg, nli, sizeof(*agg), by_count);
	printf("%7s %6s  %s\n", "samples", "%", "source line (file:line)");
	for (i = 0; i < nli && agg[i].n; i++) {
		const struct bpf_line_info *l = &li[agg[i].li];
		const char *file = btf__name_by_offset(btf, l->file_name_off);
		const char *src = btf__name_by_offset(btf, l->line_off);
		const char *base = file ? strrchr(file, '/') : NULL;

		printf("%7lu %5.1f%%  %s:%u  %s\n", agg[i].n, 100.0 * agg[i].n / (total ? total : 1),
		       base ? base + 1 : file ? file : "?", BPF_LINE_INFO_LINE_NUM(l->line_col),
		       src ? src : "");
	}
	rc = 0;
cleanup:
	btf__free(btf);
	free(li);
	free(jli);
	free(ksyms);
	free(agg);
	if (fd >= 0)
		close(fd);
	return rc;
}
