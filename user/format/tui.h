/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The terminal dashboard of `goscope top`: an overview of every watched Go process and a detail
 * view of one. It draws only from struct watched (the model and the newest sample) and never
 * touches the probes or the sampler.
 */
#ifndef GS_OUT_TUI_H
#define GS_OUT_TUI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/log.h"

struct engine;

struct tui_opts {
	uint64_t interval_ns;		/* refresh period, shown in the header */
	bool ascii;			/* no Unicode block characters */
	bool color;			/* colors (attributes such as bold are always used) */
	pid_t detail_pid;		/* start in this process's detail view (0: overview) */
};

struct tui;

/* Take over the terminal. Fails (GS_EXIT_USAGE) when stdin/stdout is not a usable terminal. */
struct tui *tui__new(const struct tui_opts *o, struct gs_err *err);

/*
 * Give the terminal back exactly as it was (normal screen, cursor visible), then print on stderr
 * the warnings the status line showed (lost data must not vanish with the screen). NULL is fine.
 */
void tui__free(struct tui *t);

/* Handle every pending key press; returns false when the user asked to quit. */
bool tui__input(struct tui *t, struct engine *w);

/* Redraw once per refresh period (unless paused), and at once after a key press. */
void tui__draw(struct tui *t, struct engine *w);

/* A status message (log output while the screen is ours); the newest shows in the footer. */
void tui__message(struct tui *t, int level, const char *msg);

#endif
