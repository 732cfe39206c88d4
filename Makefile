# goscope: eBPF agent for running Go programs.
#
#   make            build $(O)/goscope
#   make run        install dependencies, build, start the demo Go workload and attach to it
#   make test       install test dependencies and the Go matrix, build, run every test (twice:
#                   release build, then sanitized with ASan + UBSan)
#   make perf       the same dependencies, build, then the performance suite (bench/perf.py)
#   make image      $(O)/goscope-image.tar: an OCI image archive holding the binary and the Debian
#                   libraries it loads (no base image, no registry): podman load -i, ctr image import
#   make deb        $(O)/deb/goscope_VERSION_amd64.deb: the Debian package (debian/), built by
#                   dpkg-buildpackage (needs debhelper: scripts/install-deps.sh --test)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Quiet by default; V=1 shows every command. Output goes to $(O), never into the source tree.

O ?= build
PREFIX ?= /usr/local
DESTDIR ?=

CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
PYTHON ?= /usr/bin/python3

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(O)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(O)/bpf/%.skel.h,$(BPF_SRCS))

USER_DIRS := user user/container user/engine user/target user/gobin user/goruntime user/format user/util
USER_SRCS := $(foreach d,$(USER_DIRS),$(wildcard $(d)/*.c))
USER_OBJS := $(patsubst %.c,$(O)/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(O)/user/main.o,$(USER_OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRCS)) $(O)/tests/gobin_dump \
	     $(O)/tests/json_writers

HEADERS := $(wildcard include/*.h) $(foreach d,$(USER_DIRS),$(wildcard $(d)/*.h))

CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Wno-unused-parameter -Werror -std=gnu11 -D_GNU_SOURCE $(SANITIZE)
LDFLAGS += $(SANITIZE)
CPPFLAGS += -Iinclude -Iuser -I$(O)/bpf -DGOSCOPE_VERSION='"$(VERSION)"'
LDLIBS += -lbpf -lelf -ldw -ljson-c -lz -lm -lcapstone -lncursesw -ltinfo -lmicrohttpd -lgnutls \
	  -lyaml -lcrypt -lcurl

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Ivmlinux -Iinclude

.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS) $(SKELS)
.PHONY: all clean deps test-deps targets unit bench perf test asan run install uninstall image \
	deb

all: $(O)/goscope

$(O)/bpf/%.bpf.o: bpf/%.bpf.c include/goscope.h vmlinux/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/bpf/%.skel.h: $(O)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(O)/%.o: %.c $(HEADERS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(O)/goscope: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@


# The image: one layer (the binary at /usr/bin/goscope with the Debian libraries it loads, Debian's
# CA bundle for OTLP over https, and ncurses-base's terminfo files so that `goscope top` works in
# `kubectl exec -it`), written by scripts/mkimage.py. Reproducible: every
# time stamp in it is the last commit's.
IMAGE_NAME ?= goscope:latest
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

$(O)/goscope-image.tar: $(O)/goscope scripts/mkimage.py
	$(call msg,IMAGE,$@)
	$(Q)$(PYTHON) scripts/mkimage.py --binary $< --name $(IMAGE_NAME) \
		--revision "$(shell git rev-parse HEAD 2>/dev/null)" --epoch $(SOURCE_DATE_EPOCH) \
		--terminfo /lib/terminfo --ca-certificates /etc/ssl/certs/ca-certificates.crt -o $@

image: $(O)/goscope-image.tar

# The Debian package, built by scripts/mkdeb.sh in a copy of the checkout under $(O)/deb (the
# .deb, .buildinfo and .changes go there too); its version is scripts/deb-version.sh's
# translation of VERSION. Rebuilt when a file that goes into it changes.
DEB_VERSION := $(shell scripts/deb-version.sh 2>/dev/null)
DEB := $(O)/deb/goscope_$(DEB_VERSION)_amd64.deb
DEB_INPUTS := $(BPF_SRCS) $(USER_SRCS) $(HEADERS) vmlinux/vmlinux.h docs/goscope.1 Makefile \
	      $(wildcard debian/* debian/source/*) scripts/mkdeb.sh scripts/deb-version.sh

$(DEB): $(DEB_INPUTS)
	$(call msg,DEB,$@)
	$(Q)test -n "$(DEB_VERSION)" || { scripts/deb-version.sh; exit 1; }
	$(Q)mkdir -p $(O)
	$(Q)scripts/mkdeb.sh $(O)/deb "$(VERSION)" $(if $(Q),>$(O)/deb.log 2>&1 || \
		{ tail -n 40 $(O)/deb.log >&2; echo "make deb failed: see $(O)/deb.log" >&2; exit 1; })
	$(Q)test -e $@

deb: $(DEB)

$(O)/tests/%: tests/unit/%.c tests/unit/check.h $(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

unit: $(UNIT_BINS)

$(O)/bench/%: bench/%.c $(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

bench: all $(O)/bench/sampler_bench

# The performance suite: about 25 minutes, as root; the report goes to $(O)/bench/perf.md.
perf: test-deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/build-targets.sh $(O)
	$(Q)$(PYTHON) bench/perf.py --build $(O)

deps:
	$(Q)scripts/install-deps.sh

test-deps:
	$(Q)scripts/install-deps.sh --test

# The Go workloads for the tests and the demo, built with every installed toolchain (cached).
targets:
	$(Q)tests/build-targets.sh $(O)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/build-targets.sh $(O) demo
	$(Q)scripts/run-demo.sh $(O)

# The same code built with AddressSanitizer and UndefinedBehaviorSanitizer into $(O)-asan; make test
# runs the whole suite against it too. A sanitizer report makes goscope exit 66 and fails the test
# during which it was written (tests/run-suites.py, tests/conftest.py).
ASAN_O := $(O)-asan
SANITIZERS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

asan:
	$(Q)$(MAKE) --no-print-directory O=$(ASAN_O) SANITIZE="$(SANITIZERS)" all unit bench
	$(Q)ln -sfn $(abspath $(O))/targets $(ASAN_O)/targets
	$(Q)ln -sfn $(abspath $(O))/tools $(ASAN_O)/tools

# The suite against the release build, then against the sanitized one; the last line sums both.
test: test-deps
	$(Q)$(MAKE) --no-print-directory all unit bench asan image deb
	$(Q)tests/build-targets.sh $(O)
	$(Q)$(PYTHON) tests/run-suites.py $(O) $(ASAN_O)

install: $(O)/goscope
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX)/bin/goscope)
	$(Q)install -D -m 0755 $(O)/goscope $(DESTDIR)$(PREFIX)/bin/goscope
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX)/share/man/man1/goscope.1)
	$(Q)install -D -m 0644 docs/goscope.1 $(DESTDIR)$(PREFIX)/share/man/man1/goscope.1

uninstall:
	$(Q)rm -f $(DESTDIR)$(PREFIX)/bin/goscope
	$(Q)rm -f $(DESTDIR)$(PREFIX)/share/man/man1/goscope.1

clean:
	$(call msg,CLEAN,$(O))
	$(Q)rm -rf $(O) $(ASAN_O)
