# Latchkey: `make demo` and `make test` are the contract (see README.md).
# Everything they need is installed here, idempotently, from crates.io, npm
# and Debian's packages only.

SHELL := /bin/bash
.DEFAULT_GOAL := help

WASM_BINDGEN_VERSION := 0.2.130
WASM_TARGET := wasm32-unknown-unknown
WASM_OUT := target/$(WASM_TARGET)/wasm-release/latchkey.wasm
PKG_DIST := pkg/dist
SERVER_BIN := target/debug/latchkey-server
PORT ?= 8787
DATA_DIR ?= .latchkey
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: help demo test tools wasm-target wasm-bindgen-cli node-deps incumbents chromium openssl-dev \
        pkg server lint fmt clean bench

help:
	@echo "make demo   build everything and serve the demo at http://localhost:$(PORT)"
	@echo "make test   run every test tier (lint, native, browser, end-to-end)"

# --- tools -------------------------------------------------------------------
tools: wasm-target wasm-bindgen-cli node-deps chromium openssl-dev

wasm-target:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

wasm-bindgen-cli:
	@wasm-bindgen --version 2>/dev/null | grep -q ' $(WASM_BINDGEN_VERSION)$$' || \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force

node-deps: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Stytch's own SDKs at pinned versions (bench/size compares against them;
# tests/e2e/stytch-sdk.test.mjs runs @stytch/vanilla-js against the server).
INCUMBENTS := bench/size/incumbents
incumbents: $(INCUMBENTS)/node_modules/.package-lock.json
$(INCUMBENTS)/node_modules/.package-lock.json: $(INCUMBENTS)/package.json $(INCUMBENTS)/package-lock.json
	cd $(INCUMBENTS) && npm ci --no-audit --no-fund
	@touch $@

chromium:
	@if [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/chromium ]; then \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver; \
	fi

# The server verifies WebAuthn with webauthn-rs-core, which links the system
# OpenSSL (openssl-sys finds it through pkg-config).
openssl-dev:
	@if ! dpkg -s libssl-dev pkg-config >/dev/null 2>&1; then \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y libssl-dev pkg-config; \
	fi

# --- builds ------------------------------------------------------------------
# The release package: cargo -> wasm-bindgen -> wasm-opt -Oz.
pkg: wasm-target wasm-bindgen-cli node-deps
	cargo build -p latchkey --lib --profile wasm-release --target $(WASM_TARGET) --features bundle
	rm -rf $(PKG_DIST)
	wasm-bindgen --target web --out-dir $(PKG_DIST) --out-name latchkey $(WASM_OUT)
	wasm-opt -Oz $(PKG_DIST)/latchkey_bg.wasm -o $(PKG_DIST)/latchkey_bg.wasm

server:
	cargo build -p latchkey-server

# --- the two commands --------------------------------------------------------
demo: tools pkg server
	@node scripts/demo-config.mjs $(SERVER_BIN) $(DATA_DIR)
	@echo "demo: http://localhost:$(PORT)"
	$(SERVER_BIN) --port $(PORT) --data-dir $(DATA_DIR) --serve /=www --serve /pkg=pkg \
	  --default-login-redirect-url http://localhost:$(PORT)/ --default-signup-redirect-url http://localhost:$(PORT)/

# No separate `server` build first: `cargo test --workspace` (in scripts/test.sh)
# resolves features with the dev-dependencies, so it compiles the server and
# many of its dependencies (bundled SQLite among them) differently from
# `cargo build -p latchkey-server`, and replaces target/debug/latchkey-server
# with its own build. Building the tests up front gives the tiers that binary
# once; if the tests do not compile, the plain server build still provides one
# and scripts/test.sh reports the failure.
test: tools pkg incumbents
	cargo test --workspace --no-run || cargo build -p latchkey-server
	bash scripts/test.sh

# --- benchmarks (they report, never fail on a number; not part of `make test`) --
# Results: bench/results/*.json; the reading of them: bench/README.md.
bench: tools pkg
	cargo build --release -p latchkey-server
	@start=$$(date +%s); \
	node bench/size/run.mjs --no-build && \
	node bench/startup/run.mjs && \
	node bench/tabs/run.mjs && \
	node bench/calls/run.mjs && \
	if [ -f bench/server/run.sh ]; then bash bench/server/run.sh; else echo "bench/server/run.sh: not present, skipped"; fi && \
	echo "make bench: $$(( $$(date +%s) - start )) s"

# --- housekeeping ------------------------------------------------------------
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf $(PKG_DIST) node_modules
