# sockscope — the two commands:
#   make run    install what is missing, build, run the loopback demo
#   make test   install what is missing, build, run every test
SWIFT ?= swift
BIN_DIR = $(shell $(SWIFT) build --show-bin-path 2>/dev/null)
# The manual's date: fixed, so that regenerating it gives the same file.
MAN_DATE = 2026-11-21

.PHONY: run test build release lean setup bench man completions readme docs generate install uninstall fuzz clean
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = decoder tracker parsers frames filters tls proxy text
PREFIX ?= /usr/local
DESTDIR ?=
STATIC_BIN = .build/static/release/sockscope

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

run: build
	$(BIN_DIR)/sockscope demo

# End-to-end tests spawn the binary built above (SOCKSCOPE_BIN). Every test bounds its
# own waits; the whole run is bounded too, so a hang fails fast instead of stalling CI.
# At most TEST_WIDTH tests run at once: unbounded, all ~260 start together on two
# cores and their 10 s waits for a spawned server expire under the load alone.
# First: the code must be formatted (.swift-format; `swift format -i -r Sources Tests`
# fixes it), no function in Sources may pass 60 lines (scripts/check-function-length.py),
# and the committed man page, completions and Sources/sockscope/Generated must be what
# the commands generate.
TEST_WIDTH ?= 8

test: build
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift
	python3 scripts/check-function-length.py 60 Sources
	python3 scripts/generate-requests.py --check
	bash scripts/check-generated.sh $(BIN_DIR) $(MAN_DATE)
	bash scripts/check-install.sh
	SOCKSCOPE_BIN=$(BIN_DIR)/sockscope SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) \
		bash scripts/run-tests.sh $(SWIFT) 1200

bench: release
	BENCH=1 bash scripts/setup.sh
	bash bench/throughput.sh
	bash bench/clients.sh
	bash bench/probe.sh
	bash bench/udp.sh
	bash bench/tap.sh
	bash bench/startup.sh
	bash bench/tls.sh
	bash bench/tls-handshakes.sh
	bash bench/forward.sh
	bash bench/read.sh
	bash bench/endings.sh

man: build
	bash scripts/generate-man.sh $(BIN_DIR) $(MAN_DATE) > man/sockscope.1

# docs/json.md, from the JSON schema.
docs:
	python3 scripts/generate-json-doc.py

# The generated parts of README.md and docs/*.md: the exit-code table (from
# `sockscope --help`) and each guide's options (from its command's --help).
readme: build
	for file in README.md docs/*.md; do bash scripts/update-readme.sh $(BIN_DIR) $$file > $$file.new && mv $$file.new $$file; done

# The commands' Request and some option groups' Values: plain-data mirrors of the option
# declarations, generated from them (make test checks they are current).
generate:
	python3 scripts/generate-requests.py

completions: build
	$(BIN_DIR)/sockscope --generate-completion-script bash > completions/sockscope.bash
	$(BIN_DIR)/sockscope --generate-completion-script zsh > completions/_sockscope
	$(BIN_DIR)/sockscope --generate-completion-script fish > completions/sockscope.fish

# A lean release binary: the Swift runtime, libstdc++ and libgcc linked in, no $ORIGIN
# rpath, PIE kept — it needs only glibc (ldd: linux-vdso, libm, libc, ld-linux), and
# libpcap is loaded with dlopen when a capture starts. The runtime's link arguments ask
# for -lstdc++, so a directory holding only libstdc++.a, searched first, makes that
# static.
LEAN_LIBS = .build/lean-libs
lean:
	@archive=$$(clang -print-file-name=libstdc++.a); [ -f "$$archive" ] || \
		{ echo "make lean: no libstdc++.a for a static link (install libstdc++-12-dev)" >&2; exit 1; }; \
		mkdir -p $(LEAN_LIBS) && ln -sf "$$archive" $(LEAN_LIBS)/libstdc++.a
	$(SWIFT) build -c release --static-swift-stdlib --build-path .build/static --disable-local-rpath \
		-Xlinker -L$(CURDIR)/$(LEAN_LIBS) -Xswiftc -Xclang-linker -Xswiftc -static-libgcc

install: setup lean
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(STATIC_BIN) $(DESTDIR)$(PREFIX)/bin/sockscope
	install -m 644 man/sockscope.1 $(DESTDIR)$(PREFIX)/share/man/man1/sockscope.1
	install -m 644 completions/sockscope.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sockscope
	install -m 644 completions/_sockscope $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sockscope
	install -m 644 completions/sockscope.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sockscope.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/sockscope $(DESTDIR)$(PREFIX)/share/man/man1/sockscope.1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/sockscope $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sockscope \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sockscope.fish

# libFuzzer on every target for FUZZ_SECONDS each, starting from the corpus in
# Tests/Fuzz/TARGET; then the formatters' random captures. A crash leaves its input in .build/fuzz-crashes/: add it to the
# corpus so that `make test` replays it from then on.
fuzz: setup
	$(SWIFT) build -c release --product sockscope-fuzz --build-path .build/fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
	mkdir -p .build/fuzz-crashes
	set -e; for target in $(FUZZ_TARGETS); do \
		work=$$(mktemp -d); cp Tests/Fuzz/$$target/* $$work/; \
		SOCKSCOPE_FUZZ_TARGET=$$target .build/fuzz/release/sockscope-fuzz -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=.build/fuzz-crashes/$$target- $$work 2>&1 | tail -2; \
		rm -rf $$work; \
	done
	# The tap's formatters live in the executable, which libFuzzer cannot link: they get
	# seeded random captures instead, about 100 a second for FUZZ_SECONDS (after a trap,
	# .build/fuzz-crashes/formatters-last holds the capture: add it to Tests/Fuzz/formatters).
	SOCKSCOPE_FUZZ_ROUNDS=$$(($(FUZZ_SECONDS) * 100)) SOCKSCOPE_FUZZ_SEED=$$(date +%s) $(SWIFT) test --filter FormatterFuzzTests 2>&1 | tail -3

clean:
	rm -rf .build
