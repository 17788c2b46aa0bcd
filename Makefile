# SPDX-License-Identifier: ISC
# mailcert - build, test, benchmark and install.
#
#   make              build/mailcert-milter and build/mailcert
#   make check        every test (unit tests also under ASan+UBSan); ends
#                     with one line "N passed, N failed"
#   make deps         install the Debian packages needed to build and test
#   make demo         a private Postfix on loopback with the milter, sample
#                     order and CA mails, the ledger shown
#   make fuzz         libFuzzer target for the parser (needs clang)
#   make bench        the milter against a do-nothing milter, hostile mail,
#                     a large ledger; see README
#   make install      PREFIX=/usr/local DESTDIR=
#   make deb          the Debian package, into build/deb/

PREFIX	?= /usr/local
SYSCONFDIR ?= /etc
BINDIR	= $(PREFIX)/bin
SBINDIR	= $(PREFIX)/sbin
MANDIR	= $(PREFIX)/share/man
DATADIR	= $(PREFIX)/share/mailcert
UNITDIR	?= /lib/systemd/system

CC	?= cc
VERSION	= 0.3.0
PKGS	= gmime-3.0 openssl libpcre2-8 sqlite3 libpq libarchive inih jansson libcurl libmicrohttpd libcrypt
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN	= -Wall -Wextra -Werror -Wno-unused-parameter
INCS	= -Ilib -Istore -Iparser -Icert -Iprofile -Iintake -Iinstaller -Iapprover -Iweb -Ibuild/gen
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(CPPFLAGS) $(CFLAGS) $(WARN) $(INCS) $(PKG_CFLAGS) -DSYSCONFDIR='"$(SYSCONFDIR)"' \
	-DMAILCERT_VERSION='"$(VERSION)"'
LIBS	= $(PKG_LIBS) -lpthread
SAN	= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

B	= build
GEN_SRCS = $(B)/gen/profiles_builtin.c
CORE_SRCS = $(wildcard lib/*.c store/*.c parser/*.c cert/*.c profile/*.c intake/*.c \
	installer/*.c approver/*.c web/*.c)
MILTER_SRCS = $(wildcard milter/*.c)
CLI_SRCS = $(wildcard cli/*.c)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
TOOL_SRCS = $(wildcard tests/tools/*.c)
PROFILES = $(sort $(wildcard profiles/*.conf))

CORE_OBJS = $(CORE_SRCS:%.c=$(B)/obj/%.o) $(GEN_SRCS:$(B)/%.c=$(B)/obj/%.o)
MILTER_OBJS = $(MILTER_SRCS:%.c=$(B)/obj/%.o)
CLI_OBJS = $(CLI_SRCS:%.c=$(B)/obj/%.o)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
TOOL_BINS = $(TOOL_SRCS:tests/tools/%.c=$(B)/tests/tools/%)

ASAN_CORE_OBJS = $(CORE_OBJS:$(B)/obj/%=$(B)/asan/%)
ASAN_UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(B)/asan/tests/%)

PROGS	= $(B)/mailcert-milter $(B)/mailcert

all: $(PROGS)

# Build tools and generated sources -------------------------------------

$(B)/embed: tools/embed.c
	@mkdir -p $(@D)
	$(CC) -O1 -Wall -Wextra -Werror -o $@ $<

$(B)/gen/profiles_builtin.c: $(B)/embed $(PROFILES)
	@mkdir -p $(@D)
	$(B)/embed $(PROFILES) > $@.tmp && mv $@.tmp $@

# Objects ----------------------------------------------------------------

$(B)/obj/%.o: %.c $(wildcard */*.h) | $(GEN_SRCS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/asan/%.o: %.c $(wildcard */*.h) | $(GEN_SRCS)
	@mkdir -p $(@D)
	@echo "  CC asan $<"
	@$(CC) $(ALL_CFLAGS) -O1 $(SAN) -c -o $@ $<

$(B)/asan/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	@echo "  CC asan $<"
	@$(CC) $(ALL_CFLAGS) -O1 $(SAN) -c -o $@ $<

$(B)/libmailcert.a: $(CORE_OBJS)
	rm -f $@
	ar rcs $@ $^

$(B)/asan/libmailcert.a: $(ASAN_CORE_OBJS)
	rm -f $@
	ar rcs $@ $^

# Programs ---------------------------------------------------------------

$(B)/mailcert-milter: $(MILTER_OBJS) $(B)/libmailcert.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(MILTER_OBJS) $(B)/libmailcert.a $(LIBS) -lmilter

$(B)/mailcert: $(CLI_OBJS) $(B)/libmailcert.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(B)/libmailcert.a $(LIBS)

# A stand-in DKIM verifier for test beds: built for the tests, never installed.
TEST_VERIFIER = $(B)/mailcert-test-verifier

$(TEST_VERIFIER): contrib/test-verifier/mailcert-test-verifier.c
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $< -lmilter -lpthread

# Tests ------------------------------------------------------------------

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libmailcert.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libmailcert.a $(LIBS)

$(B)/asan/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/asan/libmailcert.a
	@mkdir -p $(@D)
	@echo "  LD asan $@"
	@$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Itests/unit -o $@ $< $(B)/asan/libmailcert.a $(LIBS)

FUZZ_REPLAY = $(if $(wildcard tests/fuzz/fuzz_parser.c),$(B)/fuzz-replay)

$(B)/tests/tools/%: tests/tools/%.c $(B)/libmailcert.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libmailcert.a $(LIBS)

tests: $(PROGS) $(UNIT_BINS) $(ASAN_UNIT_BINS) $(TOOL_BINS) $(FUZZ_REPLAY) $(TEST_VERIFIER)

check: deps-quiet
	@$(MAKE) --no-print-directory tests
	@tests/run-tests

deps-quiet:
	@tools/install-deps

# Fuzzing: libFuzzer with clang; check replays the corpus with a plain driver.

$(B)/fuzz-replay: tests/fuzz/fuzz_parser.c tests/fuzz/replay_main.c $(B)/asan/libmailcert.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -o $@ $^ $(LIBS)

fuzz: $(GEN_SRCS)
	@mkdir -p $(B)/fuzz
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined $(INCS) $(PKG_CFLAGS) \
	    -o $(B)/fuzz/fuzz_parser tests/fuzz/fuzz_parser.c $(CORE_SRCS) $(GEN_SRCS) $(LIBS)
	@mkdir -p $(B)/fuzz/corpus
	$(B)/fuzz/fuzz_parser -max_total_time=$${FUZZ_SECONDS:-60} -max_len=65536 \
	    $(B)/fuzz/corpus tests/fuzz/corpus tests/fixtures

# Benchmarks -------------------------------------------------------------

bench: $(PROGS)
	$(MAKE) -C bench
	bench/run-bench
	bench/run-stress
	STRESS_SIZE=10485760 STRESS_MESSAGES=8 STRESS_FLOOD=no bench/run-stress
	bench/run-scale
	BENCH_LEDGER=postgresql BENCH_MAIL="unwatched approval cert" BENCH_E2E=no bench/run-bench
	BENCH_LEDGER=postgresql SCALE_SIZES="1000 1000000" bench/run-scale

demo: deps-quiet
	@$(MAKE) --no-print-directory all
	contrib/postfix/demo

deps:
	tools/install-deps

# Installation -----------------------------------------------------------

# Man pages get the version, units the installed paths (they name
# /usr/local/bin and /usr/local/sbin as shipped).
SUBST	= sed -e 's|@VERSION@|$(VERSION)|g' -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
	    -e 's|/usr/local/bin/|$(BINDIR)/|g'

install: $(PROGS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/profiles \
	    $(DESTDIR)$(SYSCONFDIR)/mailcert $(DESTDIR)$(UNITDIR)
	install -m 0755 $(B)/mailcert-milter $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(B)/mailcert $(DESTDIR)$(BINDIR)/
	for m in man/mailcert.1:man1 man/mailcert.conf.5:man5 man/mailcert-milter.8:man8; do \
	    $(SUBST) $${m%%:*} >$(DESTDIR)$(MANDIR)/$${m##*:}/$$(basename $${m%%:*}) || exit 1; \
	    chmod 0644 $(DESTDIR)$(MANDIR)/$${m##*:}/$$(basename $${m%%:*}); done
	install -m 0644 $(PROFILES) $(DESTDIR)$(DATADIR)/profiles/
	install -m 0644 contrib/postfix/mailcert.conf.example $(DESTDIR)$(DATADIR)/
	install -m 0644 contrib/postfix/header_checks.mailcert $(DESTDIR)$(DATADIR)/
	# The configuration holds no secret (passwords are files of their own):
	# 0644, so that the roles re-read it after dropping privileges.
	test -f $(DESTDIR)$(SYSCONFDIR)/mailcert/mailcert.conf || \
	    install -m 0644 contrib/postfix/mailcert.conf.example $(DESTDIR)$(SYSCONFDIR)/mailcert/mailcert.conf
	for u in contrib/postfix/*.service; do \
	    $(SUBST) $$u >$(DESTDIR)$(UNITDIR)/$$(basename $$u) && chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u) \
	    || exit 1; done

# The Debian package (debian/), as dpkg-buildpackage builds it, into build/deb/.
deb:
	dpkg-buildpackage -us -uc -b
	mkdir -p $(B)/deb
	mv ../mailcert_$(VERSION)-*_*.deb ../mailcert_$(VERSION)-*_*.buildinfo \
	    ../mailcert_$(VERSION)-*_*.changes $(B)/deb/ 2>/dev/null || true

clean:
	rm -rf $(B)

.PHONY: all tests check deps-quiet fuzz bench demo deps install deb clean
.SECONDARY:
