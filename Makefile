# sockscope — the two commands:
#   make run    install what is missing, build, run the loopback demo
#   make test   install what is missing, build, run every test
SWIFT ?= swift
BIN_DIR = $(shell $(SWIFT) build --show-bin-path 2>/dev/null)

.PHONY: run test build release setup bench man completions clean

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
test: build
	SOCKSCOPE_BIN=$(BIN_DIR)/sockscope timeout -k 10 1200 $(SWIFT) test

bench: release
	BENCH=1 bash scripts/setup.sh
	bash bench/throughput.sh
	bash bench/clients.sh
	bash bench/probe.sh
	bash bench/udp.sh
	bash bench/tap.sh
	bash bench/startup.sh

man:
	$(SWIFT) package --allow-writing-to-package-directory generate-manual
	cp .build/plugins/GenerateManual/outputs/sockscope/sockscope.1 man/sockscope.1

completions: build
	$(BIN_DIR)/sockscope --generate-completion-script bash > completions/sockscope.bash
	$(BIN_DIR)/sockscope --generate-completion-script zsh > completions/_sockscope
	$(BIN_DIR)/sockscope --generate-completion-script fish > completions/sockscope.fish

clean:
	rm -rf .build
