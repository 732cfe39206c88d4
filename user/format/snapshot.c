// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "format/snapshot.h"
#include "goruntime/metrics.h"
#include "goruntime/rtmetrics.h"

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

/* A histogram as {"buckets": [...], "counts": [...]}, the infinite bounds as strings. */
static void put_hist(struct json *j, const char *key, const struct rtm_hist *h)
{
	uint32_t i;

	json_obj_open(j, key);
	json_arr_open(j, "buckets");
	for (i = 0; i <= h->n; i++) {
		if (isinf(h->bounds[i]))
			json_str(j, NULL, h->bounds[i] < 0 ? "-Inf" : "+Inf");
		else
			json_f64(j, NULL, h->bounds[i]);
	}
	json_arr_close(j);
	json_arr_open(j, "counts");
	for (i = 0; i < h->n; i++)
		json_u64(j, NULL, h->counts[i]);
	json_arr_close(j);
	json_obj_close(j);
}

void snapshot_put_rtm_value(struct json *j, const char *key, const struct rtm_def *d,
			    const struct rtm_value *v)
{
	switch (d->kind) {
	case RTM_KIND_UINT64:
		json_u64(j, key, v->u);
		break;
	case RTM_KIND_FLOAT64:
		json_f64(j, key, v->f);
		break;
	case RTM_KIND_HISTOGRAM:
		put_hist(j, key, &v->h);
		break;
	}
}

void snapshot_put_runtime_metrics(struct json *j, const struct watched *w)
{
	const struct rtm_values *r = w->cur.rtm;
	int i;

	if (!r) {
		json_null(j, "runtime_metrics");
		return;
	}
	json_obj_open(j, "runtime_metrics");
	for (i = 0; i < RTM_NR; i++)
		if (r->v[i].status == RTM_OK)
			snapshot_put_rtm_value(j, rtm_defs[i].name, &rtm_defs[i], &r->v[i]);
	snapshot_put_godebug(j, r);
	json_obj_close(j);
	snapshot_put_rtm_status(j, r);
}

void snapshot_put_rtm_status(struct json *j, const struct rtm_values *r)
{
	int i;

	json_arr_open(j, "runtime_metrics_backfilled");
	for (i = 0; i < RTM_NR; i++)
		if (r->v[i].status == RTM_OK && r->v[i].backfilled)
			json_str(j, NULL, rtm_defs[i].name);
	json_arr_close(j);
	json_obj_open(j, "runtime_metrics_unreadable");
	for (i = 0; i < RTM_NR; i++)
		if (r->v[i].status == RTM_UNREADABLE)
			json_str(j, rtm_defs[i].name, r->v[i].why);
	if (r->godebug.status == RTM_UNREADABLE)
		json_str(j, "/godebug/non-default-behavior/*:events", r->godebug.why);
	json_obj_close(j);
}

void snapshot_put_godebug(struct json *j, const struct rtm_values *r)
{
	char name[128];
	int i;

	if (r->godebug.status != RTM_OK)
		return;
	for (i = 0; i < r->godebug.n; i++)
		json_u64(j, rtm_godebug_metric(r->godebug.v[i].name, name, sizeof(name)),
			 r->godebug.v[i].events);
}

void snapshot_put_memstats(struct json *j, const struct watched *w)
{
	const struct rtm_memstats *m = w->cur.rtm ? &w->cur.rtm->ms : NULL;
	int i;

	if (!m || !m->ok) {
		json_null(j, "memstats");
		return;
	}
	json_obj_open(j, "memstats");
#define U(f) json_u64(j, #f, m->f)
	U(Alloc); U(TotalAlloc); U(Sys); U(Lookups); U(Mallocs); U(Frees);
	U(HeapAlloc); U(HeapSys); U(HeapIdle); U(HeapInuse); U(HeapReleased); U(HeapObjects);
	U(StackInuse); U(StackSys); U(MSpanInuse); U(MSpanSys); U(MCacheInuse); U(MCacheSys);
	U(BuckHashSys); U(GCSys); U(OtherSys); U(NextGC); U(LastGC); U(PauseTotalNs);
#undef U
	json_arr_open(j, "PauseNs");
	for (i = 0; i < RTM_PAUSE_RING; i++)
		json_u64(j, NULL, m->PauseNs[i]);
	json_arr_close(j);
	json_arr_open(j, "PauseEnd");
	for (i = 0; i < RTM_PAUSE_RING; i++)
		json_u64(j, NULL, m->PauseEnd[i]);
	json_arr_close(j);
	json_u64(j, "NumGC", m->NumGC);
	json_u64(j, "NumForcedGC", m->NumForcedGC);
	json_f64(j, "GCCPUFraction", m->GCCPUFraction);
	json_bool(j, "EnableGC", m->EnableGC);
	json_bool(j, "DebugGC", m->DebugGC);
	json_arr_open(j, "BySize");
	for (i = 0; i < RTM_BY_SIZE; i++) {
		json_obj_open(j, NULL);
		json_u64(j, "Size", m->BySize[i].Size);
		json_u64(j, "Mallocs", m->BySize[i].Mallocs);
		json_u64(j, "Frees", m->BySize[i].Frees);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
}
