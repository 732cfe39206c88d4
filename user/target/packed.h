/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packed executables (UPX and the like): the file on disk is a decompressor and the compressed
 * program, which unpacks itself into anonymous memory when it starts. Such a file holds no
 * .go.buildinfo and no .gopclntab a reader can use, yet the process runs a Go runtime. goscope
 * recognizes it and refuses it by name, never as "not a Go program": its code is not backed by
 * a file, and a uprobe can only be placed in a file.
 */
#ifndef GS_PACKED_H
#define GS_PACKED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/log.h"

struct target_info;

/* A Go program found unpacked in a process's memory. */
struct packed_go {
	char packer[32];	/* "UPX", or "an executable packer" when the file does not say */
	char version[48];	/* from the unpacked image's .go.buildinfo: "go1.24.4" */
	uint64_t image;		/* where its ELF header is in the process */
	bool pie, cgo;		/* ET_DYN; needs a shared library (as gobin__is_cgo) */
};

/*
 * The packer that made the file at path: "UPX" (its "UPX!" marker near the start), "an
 * executable packer" for an ELF file without section headers (no linker writes one), NULL for a
 * file that does not look packed.
 */
const char *packed_file_packer(const char *path);

/*
 * Whether the executable of pid (exe_path, /proc/PID/exe) is packed and pid's memory holds the
 * Go program it unpacked. Returns 1 and fills *pg; 0 when the file is not packed or memory holds
 * no Go image (only small image-like mappings are read: anonymous, starting with an ELF header,
 * with code in an executable anonymous mapping; never the Go heap); -errno when pid's memory
 * cannot be read (-EPERM, -EACCES: ptrace access; -ESRCH: gone).
 */
int packed_go_find(pid_t pid, const char *exe_path, struct packed_go *pg);

/*
 * For a process whose executable gobin found no Go program in: when it is a packed Go program,
 * fill info (a Go program, its version, refused) and err (GS_EXIT_PACKED: what it is and what
 * works instead), or, when it is packed and its memory cannot be read, err (GS_EXIT_PERMISSION).
 * Returns true when err was filled; false leaves both alone. comm and exe name the process in
 * the message.
 */
bool packed_refuse(pid_t pid, const char *exe_path, const char *comm, const char *exe,
		   struct target_info *info, struct gs_err *err);

#endif
