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
	n = rt_sample__top_wait_reasons(s, idx, SAMPLER_MAX_WAIT_REASONS);
	for (i = 0; i < n; i++)
		json_u64(j, watched__wait_reason(w, (unsigned int)idx[i], buf, sizeof(buf)),
			 s->wait_reason[idx[i]]);
	json_obj_close(j);
	json_bool(j, "walk_partial", s->gwalk_partial);
	json_obj_close(j);
}
