// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "format/snapshot.h"
#include "goruntime/metrics.h"

void snapshot_put_metrics(struct json *j, const struct watched *w)
{
	char num[64];
	size_t m;

	json_obj_open(j, "metrics");
	for (m = 0; m < metric_count; m++) {
		const struct metric_def *d = &metric_defs[m];

		if (w->minor < d->min_minor)
			continue;
		if (d->type == MT_F64) {
			json_f64(j, d->name, metric_value(d, &w->cur));
			continue;
		}
		metric_format_exact(num, sizeof(num), d, &w->cur);
		json_number(j, d->name, num);
	}
	json_obj_close(j);
}

/* Wait reasons of a sample, most frequent first (then by reason number). */
static int cmp_reason(const void *a, const void *b, void *arg)
{
	const uint32_t *count = arg;
	uint32_t x = count[*(const int *)a], y = count[*(const int *)b];

	return x < y ? 1 : x > y ? -1 : *(const int *)a - *(const int *)b;
}

int snapshot_top_wait_reasons(const struct rt_sample *s, int *idx, int max)
{
	int all[SAMPLER_MAX_WAIT_REASONS], n = 0, i;

	for (i = 0; i < SAMPLER_MAX_WAIT_REASONS; i++)
		if (s->wait_reason[i])
			all[n++] = i;
	qsort_r(all, (size_t)n, sizeof(all[0]), cmp_reason, (void *)s->wait_reason);
	if (n > max)
		n = max;
	memcpy(idx, all, (size_t)n * sizeof(all[0]));
	return n;
}

void snapshot_put_goroutines(struct json *j, const struct watched *w)
{
	const struct rt_sample *s = &w->cur;
	int idx[SAMPLER_MAX_WAIT_REASONS], n, i;
	char buf[32];

	json_obj_open(j, "goroutines");
	json_obj_open(j, "by_state");
	for (i = 0; i < GSTATE_NR; i++)
		json_u64(j, gstate_name(i), s->gstate[i]);
	json_obj_close(j);
	json_u64(j, "system", s->gstate_sys);
	json_obj_open(j, "wait_reasons");
	n = snapshot_top_wait_reasons(s, idx, SAMPLER_MAX_WAIT_REASONS);
	for (i = 0; i < n; i++)
		json_u64(j, watched__wait_reason(w, (unsigned int)idx[i], buf, sizeof(buf)),
			 s->wait_reason[idx[i]]);
	json_obj_close(j);
	json_bool(j, "walk_partial", s->gwalk_partial);
	json_obj_close(j);
}
