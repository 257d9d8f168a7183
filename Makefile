# vmemtrim: one non-recursive Makefile for the whole tree.
#
#   make             build everything under build/
#   make demo        install what is missing, build, run the demo
#   make check       install what is missing, build, run every test
#   make check TESTS="mkvmcore kernel"   only tests whose path has a pattern
#   make check-faults [FAULT_POINTS=50]   the I/O fault tests, more points
#   make kernel-fixture [VARIANTS="2g hvo"]   capture real-kernel vmcores
#   make lint        clang-format --dry-run and cppcheck
#   make install     PREFIX=/usr/local DESTDIR= CRASH_EXTDIR=
#   make static      build/vmemtrim-static, for a capture initramfs (docs/kdump.md)
#   make bench       vmemtrim beside makedumpfile on saved vmcores
#   make bench-kdump the same on /proc/vmcore in a real capture kernel (QEMU)
#   make clean

BUILD ?= build
PREFIX ?= /usr/local
# crash looks for `extend NAME` in /usr/lib/crash/extensions (and
# $CRASH_EXTENSIONS); PREFIX=/usr lands there.
CRASH_EXTDIR ?= $(PREFIX)/lib/crash/extensions
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
VMEMTRIM_CACHE ?= $(HOME)/.cache/vmemtrim
export BUILD VMEMTRIM_CACHE

VERSION := 0.1.0
BASE_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-D_FILE_OFFSET_BITS=64 -Iinclude -MMD -MP \
	-DVMEMTRIM_VERSION='"$(VERSION)"'
CRASH_CFLAGS := -std=gnu11 -Wall -Wextra -fPIC -shared -nostartfiles \
	-DX86_64 -I/usr/include/crash

LIBS := -lz -llzo2 -lsnappy -lzstd
# -x VMLINUX: elfutils (libdw-dev), for the per-CPU lists (filter/pcp-dwarf.c)
DW_LIBS := -ldw -lelf
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
FUZZ_SECONDS ?= 60

# --- reader: the core library (the programs are in tools/) ----------------

READER_SRC := $(wildcard reader/*.c)
READER_OBJ := $(READER_SRC:%.c=$(BUILD)/obj/%.o)
READER_PIC_OBJ := $(READER_SRC:%.c=$(BUILD)/pic/%.o)
READER_SAN_OBJ := $(READER_SRC:%.c=$(BUILD)/san/%.o)
LIBVMEMTRIM := $(BUILD)/libvmemtrim.a
LIBVMEMTRIM_PIC := $(BUILD)/libvmemtrim-pic.a
LIBVMEMTRIM_SAN := $(BUILD)/libvmemtrim-san.a
INSPECT := $(BUILD)/vmemtrim-inspect

# --- filter: classification, vmemmap exclusion, the dump writer -----------

FILTER_SRC := $(wildcard filter/*.c filter/*/*.c)
FILTER_OBJ := $(FILTER_SRC:%.c=$(BUILD)/obj/%.o)
FILTER_SAN_OBJ := $(FILTER_SRC:%.c=$(BUILD)/san/%.o)
LIBFILTER := $(BUILD)/libvmemtrim-filter.a
LIBFILTER_SAN := $(BUILD)/libvmemtrim-filter-san.a
VMEMTRIM := $(BUILD)/vmemtrim

# Programs and man pages of the product, installed by `make install`.
PROGRAMS := $(INSPECT) $(VMEMTRIM)
MAN1 := $(wildcard docs/*.1)
MAN8 := $(wildcard docs/*.8)
DOCS := docs/kdump.md docs/vmemtrim-crash.md

# --- test bed ---------------------------------------------------------------

MKVMCORE_SRC := $(wildcard tests/mkvmcore/*.c)
MKVMCORE_OBJ := $(MKVMCORE_SRC:%.c=$(BUILD)/obj/%.o)
MKVMCORE := $(BUILD)/mkvmcore

CRASH_TASKS := $(BUILD)/tests/crash-tasks.so
EXTENSION := $(BUILD)/vmemtrim.so

all: $(MKVMCORE) $(PROGRAMS) $(EXTENSION)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -fPIC -c -o $@ $<

# The same sources with ASan+UBSan, for the unit tests.
$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(LIBVMEMTRIM): $(READER_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(LIBVMEMTRIM_PIC): $(READER_PIC_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(LIBVMEMTRIM_SAN): $(READER_SAN_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(INSPECT): $(BUILD)/obj/tools/vmemtrim-inspect.o $(LIBVMEMTRIM)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

$(LIBFILTER): $(FILTER_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(LIBFILTER_SAN): $(FILTER_SAN_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(FILTER_OBJ) $(FILTER_SAN_OBJ) $(BUILD)/obj/tools/vmemtrim.o: CPPFLAGS += -Ifilter -Ireader

$(VMEMTRIM): $(BUILD)/obj/tools/vmemtrim.o $(LIBFILTER) $(LIBVMEMTRIM)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) $(DW_LIBS) -lpthread

# vmemtrim and vmemtrim-inspect with ASan+UBSan, for the sanitizer tests.
$(BUILD)/vmemtrim-san: $(BUILD)/san/tools/vmemtrim.o $(LIBFILTER_SAN) \
		$(LIBVMEMTRIM_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LIBS) $(DW_LIBS) -lpthread

$(BUILD)/vmemtrim-inspect-san: $(BUILD)/san/tools/vmemtrim-inspect.o \
		$(LIBVMEMTRIM_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LIBS)

$(BUILD)/san/tools/vmemtrim.o: CPPFLAGS += -Ifilter -Ireader

# --- make static: vmemtrim for a kdump capture initramfs ----------------------
#
# One self-contained binary (no loader, no libraries to copy): the static
# archives of zlib1g-dev, liblzo2-dev, libzstd-dev and libsnappy-dev, which
# is C++ and so also needs libstdc++ and libm; libdw-dev's libdw.a and
# libelf.a (for -x) need libbz2-dev's and liblzma-dev's archives too.

VMEMTRIM_STATIC := $(BUILD)/vmemtrim-static
DW_STATIC_LIBS := -ldw -lelf -lbz2 -llzma -lzstd -lz

$(VMEMTRIM_STATIC): $(BUILD)/obj/tools/vmemtrim.o $(LIBFILTER) $(LIBVMEMTRIM)
	$(CC) $(CFLAGS) -static -o $@ $^ $(LIBS) $(DW_STATIC_LIBS) -lstdc++ -lm -lpthread

static: $(VMEMTRIM_STATIC)

# --- unit tests (cmocka, ASan+UBSan) and test tools -------------------------
#
# tests/<dir>/test_*.c: one cmocka binary each, run by tests/run-all.sh.
# tests/<dir>/support-*.c: code shared by that directory's unit tests.
# tests/<dir>/tool-*.c: programs the test scripts call (plain build).

UNIT_SRC := $(wildcard tests/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/%.c=$(BUILD)/tests/%)
UNIT_SUPPORT_SRC := $(wildcard tests/*/support-*.c)
UNIT_SUPPORT := $(UNIT_SUPPORT_SRC:%.c=$(BUILD)/san/%.o)
TOOL_SRC := $(wildcard tests/*/tool-*.c)
TOOL_BIN := $(TOOL_SRC:tests/%.c=$(BUILD)/tests/%)

$(UNIT_SRC:%.c=$(BUILD)/san/%.o) $(UNIT_SUPPORT) \
$(TOOL_SRC:%.c=$(BUILD)/obj/%.o): CPPFLAGS += -Ireader -Ifilter

# A unit test links the support objects of its own directory ($(*D)).
$(BUILD)/tests/%: $(BUILD)/san/tests/%.o $(UNIT_SUPPORT) $(LIBFILTER_SAN) \
		$(LIBVMEMTRIM_SAN)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $< \
		$(filter $(BUILD)/san/tests/$(*D)/%,$(UNIT_SUPPORT)) \
		$(LIBFILTER_SAN) $(LIBVMEMTRIM_SAN) $(LIBS) $(DW_LIBS) -lcmocka -lpthread

$(TOOL_BIN): $(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(LIBFILTER) $(LIBVMEMTRIM)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) $(DW_LIBS) -lpthread

# The LD_PRELOAD fault injector of tests/faults/test-faults.sh.
FAULTSHIM := $(BUILD)/tests/faults/libfaultshim.so

$(FAULTSHIM): tests/faults/shim.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $(CFLAGS) \
		-fPIC -shared -o $@ $< -ldl -lpthread

test-programs: $(FAULTSHIM) $(BUILD)/vmemtrim-san $(BUILD)/vmemtrim-inspect-san

# --- fuzzing (clang libFuzzer) --------------------------------------------------
#
# fuzz/fuzz_*.c: one harness each. `make fuzz` builds them and runs each for
# FUZZ_SECONDS on a corpus seeded from fuzz/seeds/NAME/ and fuzz/seed-NAME.sh.

FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-D_FILE_OFFSET_BITS=64 -Iinclude -Ireader -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(FUZZ_BIN): $(BUILD)/fuzz/%: fuzz/%.c $(READER_SRC) $(FILTER_SRC) \
		$(wildcard reader/*.h filter/*.h filter/*/*.h include/vmemtrim/*.h)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -Ifilter -o $@ $< $(READER_SRC) $(FILTER_SRC) \
		$(LIBS) $(DW_LIBS) -lpthread

fuzz-programs: $(FUZZ_BIN)

fuzz: fuzz-programs $(MKVMCORE)
	fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

$(MKVMCORE_OBJ): CPPFLAGS += -Itests/mkvmcore

$(MKVMCORE): $(MKVMCORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lm

$(EXTENSION): $(wildcard extension/*.c) $(LIBVMEMTRIM_PIC)
	$(CC) $(CRASH_CFLAGS) -Iinclude -DVMEMTRIM_VERSION='"$(VERSION)"' \
		-o $@ $(filter %.c,$^) $(LIBVMEMTRIM_PIC) $(LIBS)

$(CRASH_TASKS): tests/kernel/crash-tasks.c
	@mkdir -p $(@D)
	$(CC) $(CRASH_CFLAGS) -o $@ $<

# Programs only the tests use.
test-programs: all $(CRASH_TASKS) $(UNIT_BIN) $(TOOL_BIN) $(FUZZ_BIN)

# --- benchmark (make bench): vmemtrim beside makedumpfile ---------------------

BENCH_LIMIT := $(BUILD)/bench/limit

$(BENCH_LIMIT): bench/limit.c $(LIBVMEMTRIM)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(LIBVMEMTRIM) $(LIBS) -lpthread

bench:
	scripts/deps.sh
	$(MAKE) all $(BENCH_LIMIT)
	bench/run.sh

# make bench-kdump: static programs for the capture initramfs (docs/kdump.md).
BENCH_LIMIT_VMCORE := $(BUILD)/bench/limit-vmcore
MAXRSS := $(BUILD)/tests/kdump/maxrss

$(BENCH_LIMIT_VMCORE): bench/limit-vmcore.c $(LIBVMEMTRIM)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -static -o $@ $< $(LIBVMEMTRIM) $(LIBS) \
		-lstdc++ -lm -lpthread

# The same command tests/kdump/test-capture-kernel.sh builds it with.
$(MAXRSS): tests/kdump/maxrss.c
	@mkdir -p $(@D)
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -o $@ $<

bench-kdump:
	scripts/deps.sh
	$(MAKE) all $(VMEMTRIM_STATIC) $(BENCH_LIMIT_VMCORE) $(MAXRSS)
	bench/kdump.sh

# --- entry points -------------------------------------------------------------

deps:
	scripts/deps.sh

check:
	scripts/deps.sh
	$(MAKE) test-programs
	tests/run-all.sh $(TESTS)

# The I/O fault tests at 50 fault points each (make check runs them at 8).
check-faults:
	scripts/deps.sh
	$(MAKE) test-programs
	FAULT_POINTS=$${FAULT_POINTS:-50} tests/run-all.sh tests/faults/

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
		-Ireader -Ifilter -Itests/mkvmcore --suppress=missingIncludeSystem \
		$(filter %.c,$(C_SOURCES))

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man8
	$(if $(PROGRAMS),install -m 755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin)
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1)
	$(if $(MAN8),install -m 644 $(MAN8) $(DESTDIR)$(PREFIX)/share/man/man8)
	install -d $(DESTDIR)$(CRASH_EXTDIR)
	install -m 644 $(EXTENSION) $(DESTDIR)$(CRASH_EXTDIR)
	install -d $(DESTDIR)$(PREFIX)/share/doc/vmemtrim
	install -m 644 $(DOCS) $(DESTDIR)$(PREFIX)/share/doc/vmemtrim

clean:
	rm -rf $(BUILD)

.PHONY: all test-programs deps check demo kernel-fixture lint install clean \
	check-faults \
	static \
	fuzz fuzz-programs bench bench-kdump

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
