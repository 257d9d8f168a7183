# vmemtrim: one non-recursive Makefile for the whole tree.
#
#   make             build everything under build/
#   make demo        install what is missing, build, run the demo
#   make check       install what is missing, build, run every test
#   make check TESTS="mkvmcore kernel"   only tests whose path has a pattern
#   make kernel-fixture [VARIANTS="2g hvo"]   capture real-kernel vmcores
#   make lint        clang-format --dry-run and cppcheck
#   make install     PREFIX=/usr/local DESTDIR=
#   make clean

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
VMEMTRIM_CACHE ?= $(HOME)/.cache/vmemtrim
export BUILD VMEMTRIM_CACHE

BASE_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-D_FILE_OFFSET_BITS=64 -Iinclude -MMD -MP
CRASH_CFLAGS := -std=gnu11 -Wall -Wextra -fPIC -shared -nostartfiles \
	-DX86_64 -I/usr/include/crash

# Programs and man pages of the product, installed by `make install`.
PROGRAMS :=
MAN1 := $(wildcard docs/*.1)
MAN8 := $(wildcard docs/*.8)

# --- test bed ---------------------------------------------------------------

MKVMCORE_SRC := $(wildcard tests/mkvmcore/*.c)
MKVMCORE_OBJ := $(MKVMCORE_SRC:%.c=$(BUILD)/obj/%.o)
MKVMCORE := $(BUILD)/mkvmcore

CRASH_TASKS := $(BUILD)/tests/crash-tasks.so

all: $(MKVMCORE) $(PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(MKVMCORE_OBJ): CPPFLAGS += -Itests/mkvmcore

$(MKVMCORE): $(MKVMCORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lm

$(CRASH_TASKS): tests/kernel/crash-tasks.c
	@mkdir -p $(@D)
	$(CC) $(CRASH_CFLAGS) -o $@ $<

# Programs only the tests use.
test-programs: all $(CRASH_TASKS)

# --- entry points -------------------------------------------------------------

deps:
	scripts/deps.sh

check:
	scripts/deps.sh
	$(MAKE) test-programs
	tests/run-all.sh $(TESTS)

demo:
	scripts/deps.sh
	$(MAKE) all
	scripts/demo.sh

kernel-fixture:
	@scripts/deps.sh
	@$(MAKE) -s test-programs >&2
	@tests/kernel/fixture.sh $(VARIANTS)

C_SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

lint:
	clang-format --dry-run --Werror $(C_SOURCES)
	cppcheck -q --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --std=c11 -D__GNUC__ -D_GNU_SOURCE -Iinclude \
		-Itests/mkvmcore --suppress=missingIncludeSystem \
		$(filter %.c,$(C_SOURCES))

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man8
	$(if $(PROGRAMS),install -m 755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin)
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1)
	$(if $(MAN8),install -m 644 $(MAN8) $(DESTDIR)$(PREFIX)/share/man/man8)

clean:
	rm -rf $(BUILD)

.PHONY: all test-programs deps check demo kernel-fixture lint install clean

-include $(MKVMCORE_OBJ:.o=.d)
