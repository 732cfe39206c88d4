/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* --container NAME|ID-prefix and --pod [NAMESPACE/]NAME: which containers a command watches. */
#ifndef GS_CONTAINER_SELECT_H
#define GS_CONTAINER_SELECT_H

#include <stdbool.h>
#include <stddef.h>

struct gs_err;
struct identity;

enum sel_kind {
	SEL_CONTAINER,
	SEL_POD,
};

struct selector {
	enum sel_kind kind;
	char arg[300];			/* as given, for messages */
	char ns[254];			/* --pod NAMESPACE/…; "" matches any namespace */
	char name[254];			/* the container name or ID prefix, or the pod name */
	bool exact;			/* match names and whole IDs only (set when resolved) */
};

struct selection {
	struct selector *v;
	size_t n;
};

/* Add one selector from the command line; fails with GS_EXIT_USAGE for an empty one. */
int selection_add(struct selection *s, enum sel_kind kind, const char *arg, struct gs_err *err);
void selection_free(struct selection *s);

/*
 * How well one selector names a container: 0 not at all; for --container, 2 for its name or
 * full ID, 1 for a prefix of its ID (used only when no container has that exact name or ID);
 * for --pod, 2 when it is in the pod.
 */
int selector_match(const struct selector *sel, const struct identity *id);

/* Does the container match any selector (only exactly where the selector is exact)? */
bool selection_match(const struct selection *s, const struct identity *id);

#endif
