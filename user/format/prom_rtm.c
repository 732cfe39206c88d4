// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format/prom.h"
#include "format/prom_rtm.h"

/* ---- numbers as Go writes them ---- */

/* Decimal digits d[0..nd) of a positive number, read as 0.d[0]d[1]... times 10^dp. */
struct digits {
	char d[24];
	int nd, dp;
};

/* From "%.*e" output: "D.DDDDe+XX" or "De-XX". */
static void parse_e(const char *s, struct digits *out)
{
	const char *e = strchr(s, 'e');

	out->nd = 0;
	for (; s < e; s++)
		if (*s != '.')
			out->d[out->nd++] = *s;
	out->dp = atoi(e + 1) + 1;
}

static bool reads_back(const struct digits *g, double v)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "0.%.*se%d", g->nd, g->d, g->dp);
	return strtod(buf, NULL) == v;
}

/* The other candidate of the same length: one unit in the last place up or down. */
static void step(struct digits *g, int dir)
{
	int i;

	for (i = g->nd - 1; i >= 0; i--) {
		if (dir > 0 && g->d[i] != '9') {
			g->d[i]++;
			return;
		}
		if (dir < 0 && g->d[i] != '0') {
			g->d[i]--;
			if (i == 0 && g->d[0] == '0') {
				/* 1000 - 1: 999, one place further down, still nd digits */
				memset(g->d, '9', (size_t)g->nd);
				g->dp--;
			}
			return;
		}
		g->d[i] = dir > 0 ? '0' : '9';
	}
	/* 999 + 1: 1000, written 100 one place up */
	g->d[0] = '1';
	memset(g->d + 1, '0', (size_t)g->nd - 1);
	g->dp++;
}

/*
 * The shortest digits that read back as v, the closest to v among those (what Go's shortest
 * formatting finds): for each length, the correctly rounded candidate, then its neighbour on
 * the other side of v, which can be the only one that reads back next to a power of two.
 */
static void shortest(double v, struct digits *g)
{
	char buf[48];
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		parse_e(buf, g);
		if (reads_back(g, v))
			break;
		step(g, strtod(buf, NULL) > v ? -1 : 1);
		if (reads_back(g, v))
			break;
		parse_e(buf, g);	/* 17 digits always read back */
	}
	while (g->nd > 1 && g->d[g->nd - 1] == '0')
		g->nd--;
}

const char *prom_go_float(char *buf, size_t len, double v)
{
	struct digits g;
	int exp, n = 0, i;
	const char *sign = v < 0 ? "-" : "";

	if (isnan(v))
		return snprintf(buf, len, "NaN"), buf;
	if (isinf(v))
		return snprintf(buf, len, v > 0 ? "+Inf" : "-Inf"), buf;
	if (v == 0)
		return snprintf(buf, len, "0"), buf;
	shortest(fabs(v), &g);
	exp = g.dp - 1;
	/* Go's %g for the shortest digits: exponent form below 1e-4 and from 1e+06 on. */
	if (exp < -4 || exp >= 6) {
		n = snprintf(buf, len, "%s%c%s%.*se%c%02d", sign, g.d[0], g.nd > 1 ? "." : "",
			     g.nd - 1, g.d + 1, exp < 0 ? '-' : '+', abs(exp));
		return buf;
	}
	n = snprintf(buf, len, "%s", sign);
	if (g.dp <= 0) {
		n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0, "0.");
		for (i = 0; i < -g.dp; i++)
			n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0, "0");
		snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0, "%.*s", g.nd, g.d);
		return buf;
	}
	for (i = 0; i < g.dp; i++)
		n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0, "%c",
			      i < g.nd ? g.d[i] : '0');
	if (g.nd > g.dp)
		snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0, ".%.*s", g.nd - g.dp,
			 g.d + g.dp);
	return buf;
}

/* ---- histograms ---- */

/*
 * client_golang's reBucketExp: walking up the bounds, keep one only once it is at least base
 * times the last one kept (for negative ones: a base-th of it); -Inf is kept as it is. Returns
 * how many bounds out holds.
 */
static uint32_t keep_exp(const double *b, uint32_t nb, double base, double *out)
{
	uint32_t i, k = 0;
	double cur;

	if (b[0] == -INFINITY) {
		out[k++] = b[0];
		b++;
		nb--;
	}
	cur = b[0];
	for (i = 1; i < nb; i++) {
		if (cur >= 0 ? b[i] < cur * base : b[i] < cur / base)
			continue;
		out[k++] = cur;
		cur = b[i];
	}
	out[k++] = cur;
	return k;
}

int prom_rtm_rebucket(const struct rtm_hist *h, const char *unit, struct prom_rtm_hist *out)
{
	uint32_t nb = h->n + 1, k, i, j;
	double *b = out->bounds;

	if (h->n < 1 || (h->bounds[0] == -INFINITY && nb < 3))
		return -EINVAL;
	if (!strcmp(unit, "bytes")) {
		k = keep_exp(h->bounds, nb, 2, b);
	} else if (!strcmp(unit, "seconds")) {
		k = keep_exp(h->bounds, nb, 10, b);
		/* Nothing above one second is told apart. */
		for (i = 0; i < k; i++)
			if (b[i] > 1) {
				b[i] = INFINITY;
				k = i + 1;
				break;
			}
	} else {
		memcpy(b, h->bounds, nb * sizeof(*b));
		k = nb;
	}
	/* A Prometheus histogram has no -Inf bound: the first bucket takes what lies below. */
	if (b[0] == -INFINITY) {
		memmove(b, b + 1, (k - 1) * sizeof(*b));
		k--;
	}
	out->n = k - 1;
	memset(out->counts, 0, out->n * sizeof(*out->counts));
	/* Every kept bound is one of the runtime's: a runtime bucket ends where a kept one does. */
	for (i = j = 0; i < h->n; i++) {
		out->counts[j] += h->counts[i];
		if (j + 1 < out->n && h->bounds[i + 1] == b[j + 1])
			j++;
	}
	return 0;
}

/* Histograms whose sum another metric of the same reading holds exactly. */
static const struct {
	enum rtm_id hist, sum;
} exact_sums[] = {
	{ RTM_GC_HEAP_ALLOCS_BY_SIZE, RTM_GC_HEAP_ALLOCS_BYTES },
	{ RTM_GC_HEAP_FREES_BY_SIZE, RTM_GC_HEAP_FREES_BYTES },
};

double prom_rtm_hist_sum(const struct prom_rtm_hist *h, const struct rtm_values *v,
			 enum rtm_id id)
{
	double sum = 0;
	size_t k;
	uint32_t i;

	for (k = 0; k < sizeof(exact_sums) / sizeof(exact_sums[0]); k++)
		if (exact_sums[k].hist == id)
			return (double)v->v[exact_sums[k].sum].u;
	for (i = 0; i < h->n; i++)
		if (h->counts[i])
			sum += h->bounds[i] * (double)h->counts[i];
	return sum;
}

/* ---- the families ---- */

static const char *prom_type(const struct rtm_def *d)
{
	if (d->kind == RTM_KIND_HISTOGRAM)
		return "histogram";
	return d->cumulative ? "counter" : "gauge";
}

static void family_help(char *buf, size_t len, const struct rtm_def *d)
{
	char rel[32];
	int n = snprintf(buf, len, "%c%s; runtime/metrics %s.", toupper((unsigned char)d->help[0]),
			 d->help + 1, d->name);

	if (!d->backfill_minor || n < 0 || (size_t)n >= len)
		return;
	if (d->backfill_minor == d->min_minor - 1)
		snprintf(rel, sizeof(rel), "Go 1.%d", d->backfill_minor);
	else
		snprintf(rel, sizeof(rel), "Go 1.%d to 1.%d", d->backfill_minor, d->min_minor - 1);
	snprintf(buf + n, len - (size_t)n, " Series labelled %s: goscope's computation for %s, "
		 "whose runtime lacks the metric.", PROM_RTM_BACKFILLED, rel);
}

/* Bounds and counts of the largest histogram a reading holds, and then some. */
#define SCRATCH_LEN (RTM_TIME_COUNTS_MAX + RTM_SIZE_CLASSES_MAX + 4)

/* One process's histogram: the reduced buckets (cumulative), +Inf, _sum and _count. */
static void render_hist(struct prom *p, const char *name, const struct prom *labels,
			const struct rtm_values *v, enum rtm_id id, struct prom_rtm_hist *scratch)
{
	const struct rtm_value *x = &v->v[id];
	char bucket[176], extra[96], le[40];
	uint64_t total = 0;
	uint32_t i;

	if (x->h.n >= SCRATCH_LEN || prom_rtm_rebucket(&x->h, rtm_unit(rtm_defs[id].name), scratch))
		return;
	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	for (i = 0; i < scratch->n; i++) {
		total += scratch->counts[i];
		if (isinf(scratch->bounds[i + 1]))
			break;
		/* The runtime's bounds are exclusive upper ones; le is inclusive. */
		prom_go_float(le, sizeof(le), nextafter(scratch->bounds[i + 1], scratch->bounds[i]));
		snprintf(extra, sizeof(extra), "%s%sle=\"%s\"", x->backfilled ? PROM_RTM_BACKFILLED : "",
			 x->backfilled ? "," : "", le);
		prom_sample_u64(p, bucket, labels, extra, total);
	}
	for (i++; i < scratch->n; i++)
		total += scratch->counts[i];
	snprintf(extra, sizeof(extra), "%s%sle=\"+Inf\"", x->backfilled ? PROM_RTM_BACKFILLED : "",
		 x->backfilled ? "," : "");
	prom_sample_u64(p, bucket, labels, extra, total);
	snprintf(bucket, sizeof(bucket), "%s_sum", name);
	prom_sample_f64(p, bucket, labels, x->backfilled ? PROM_RTM_BACKFILLED : NULL,
			prom_rtm_hist_sum(scratch, v, id));
	snprintf(bucket, sizeof(bucket), "%s_count", name);
	prom_sample_u64(p, bucket, labels, x->backfilled ? PROM_RTM_BACKFILLED : NULL, total);
}

static void render_family(struct prom *p, enum rtm_id id, const char *name,
			  const struct rtm_values *const *vals, const struct prom *labels, size_t n,
			  struct prom_rtm_hist *scratch)
{
	const struct rtm_def *d = &rtm_defs[id];
	char help[512];
	size_t i;

	for (i = 0; i < n; i++)
		if (vals[i] && vals[i]->v[id].status == RTM_OK)
			break;
	if (i == n)
		return;
	family_help(help, sizeof(help), d);
	prom_family(p, name, prom_type(d), help);
	for (i = 0; i < n; i++) {
		const struct rtm_value *x = vals[i] ? &vals[i]->v[id] : NULL;
		const char *extra;

		if (!x || x->status != RTM_OK)
			continue;
		extra = x->backfilled ? PROM_RTM_BACKFILLED : NULL;
		if (d->kind == RTM_KIND_HISTOGRAM)
			render_hist(p, name, &labels[i], vals[i], id, scratch);
		else if (d->kind == RTM_KIND_UINT64)
			prom_sample_u64(p, name, &labels[i], extra, x->u);
		else
			prom_sample_f64(p, name, &labels[i], extra, x->f);
	}
}

/* Is setting already in an earlier process's list (and so already rendered)? */
static bool godebug_seen(const struct rtm_values *const *vals, size_t upto, const char *setting)
{
	size_t i;
	int k;

	for (i = 0; i < upto; i++) {
		if (!vals[i] || vals[i]->godebug.status != RTM_OK)
			continue;
		for (k = 0; k < vals[i]->godebug.n; k++)
			if (!strcmp(vals[i]->godebug.v[k].name, setting))
				return true;
	}
	return false;
}

/* The /godebug/non-default-behavior counters: one family per setting any process lists. */
static void render_godebug(struct prom *p, const struct rtm_values *const *vals,
			   const struct prom *labels, size_t n, bool (*skip)(const char *name))
{
	char metric[128], name[192], help[256];
	size_t i, j;
	int k, m;

	for (i = 0; i < n; i++) {
		if (!vals[i] || vals[i]->godebug.status != RTM_OK)
			continue;
		for (k = 0; k < vals[i]->godebug.n; k++) {
			const char *setting = vals[i]->godebug.v[k].name;

			if (godebug_seen(vals, i, setting))
				continue;
			rtm_godebug_metric(setting, metric, sizeof(metric));
			if (!rtm_prom_name(metric, true, name, sizeof(name)) || (skip && skip(name)))
				continue;
			snprintf(help, sizeof(help), "Times the non-default value of GODEBUG setting %s "
				 "changed what the program did (runtime/metrics %s).", setting, metric);
			prom_family(p, name, "counter", help);
			for (j = i; j < n; j++) {
				if (!vals[j] || vals[j]->godebug.status != RTM_OK)
					continue;
				for (m = 0; m < vals[j]->godebug.n; m++)
					if (!strcmp(vals[j]->godebug.v[m].name, setting))
						prom_sample_u64(p, name, &labels[j], NULL,
								vals[j]->godebug.v[m].events);
			}
		}
	}
}

void prom_render_rtm(struct prom *p, const struct rtm_values *const *vals,
		     const struct prom *labels, size_t n, bool histograms,
		     bool (*skip)(const char *name))
{
	struct prom_rtm_hist scratch = { 0 };
	char name[160];
	int id;

	/* Room for the largest histogram a reading can hold. */
	scratch.bounds = malloc(SCRATCH_LEN * sizeof(*scratch.bounds));
	scratch.counts = malloc(SCRATCH_LEN * sizeof(*scratch.counts));
	if (!scratch.bounds || !scratch.counts) {
		p->b.oom = true;
		goto out;
	}
	for (id = 0; id < RTM_NR; id++) {
		const struct rtm_def *d = &rtm_defs[id];

		if (d->kind == RTM_KIND_HISTOGRAM && !histograms)
			continue;
		if (!rtm_prom_name(d->name, d->cumulative && d->kind != RTM_KIND_HISTOGRAM, name,
				   sizeof(name)) || (skip && skip(name)))
			continue;
		render_family(p, (enum rtm_id)id, name, vals, labels, n, &scratch);
	}
	render_godebug(p, vals, labels, n, skip);
out:
	free(scratch.bounds);
	free(scratch.counts);
}
