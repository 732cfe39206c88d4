// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container/identity.h"
#include "container/select.h"
#include "util/log.h"

int selection_add(struct selection *s, enum sel_kind kind, const char *arg, struct gs_err *err)
{
	const char *opt = kind == SEL_POD ? "--pod" : "--container";
	struct selector *v, *x;
	const char *slash = kind == SEL_POD ? strchr(arg, '/') : NULL;

	if (!*arg || strlen(arg) >= sizeof(x->arg))
		return gs_fail(err, GS_EXIT_USAGE, "%s needs a %s", opt,
			       kind == SEL_POD ? "pod name, or NAMESPACE/NAME" :
			       "container name or ID prefix");
	if (slash && (slash == arg || !slash[1] || strchr(slash + 1, '/') ||
		      (size_t)(slash - arg) >= sizeof(x->ns)))
		return gs_fail(err, GS_EXIT_USAGE, "%s %s: expected NAMESPACE/NAME", opt, arg);
	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	s->v = v;
	x = &v[s->n++];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	snprintf(x->arg, sizeof(x->arg), "%s", arg);
	if (slash) {
		snprintf(x->ns, sizeof(x->ns), "%.*s", (int)(slash - arg), arg);
		snprintf(x->name, sizeof(x->name), "%s", slash + 1);
	} else {
		snprintf(x->name, sizeof(x->name), "%s", arg);
	}
	return 0;
}

void selection_free(struct selection *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int selector_match(const struct selector *sel, const struct identity *id)
{
	if (!identity_known(id))
		return 0;
	if (sel->kind == SEL_POD)
		return id->pod[0] && !strcmp(id->pod, sel->name) &&
		       (!sel->ns[0] || !strcmp(id->namespace, sel->ns)) ? 2 : 0;
	if (!strcmp(id->name, sel->name) || !strcmp(id->id, sel->name))
		return 2;
	return !strncmp(id->id, sel->name, strlen(sel->name)) ? 1 : 0;
}

bool selection_match(const struct selection *s, const struct identity *id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (selector_match(&s->v[i], id) > (s->v[i].exact ? 1 : 0))
			return true;
	return false;
}
