# docker-preflight: the two commands of the README, and what they need.
#   make run    build a release binary and run `docker-preflight check` (HEAL=1: `wait --heal --yes`)
#   make test   build and run every test, starting the private engines the tests need
#   make bench  measure speed and memory against curl, the docker CLI and poll loops
#   make install PREFIX=/usr/local
#   make fuzz FUZZ_SECONDS=N   build the libFuzzer target (fuzz/) and run it for N seconds at nice 19

SWIFT        ?= swift
PREFIX       ?= /usr/local
BINARY_NAME  := docker-preflight
# Only the executable: TestSupport imports Testing, which release builds of library targets cannot find.
RELEASE_FLAGS := -c release --static-swift-stdlib --product $(BINARY_NAME)
# System packages the build and the tests use (Debian names).
# One per line, so that additions merge cleanly.
APT_PACKAGES := \
  pkg-config \
  libjansson-dev \
  libssl-dev \
  curl \
  docker.io \
  busybox-static \
  openssl \
  openssh-client \
  openssh-server \
  util-linux \
  podman \
  python3 \
  python3-pip \
  neovim \

# What `make fuzz` needs on top: autotools to build jansson from Debian's source package, dpkg-dev to unpack it.
FUZZ_APT_PACKAGES := \
  autoconf \
  automake \
  libtool \
  dpkg-dev \

FUZZ_SECONDS ?= 60

# Python packages the protocol and client tests use.
PIP_PACKAGES := \
  jsonschema \
  pygls \
  lsprotocol \
  python-lsp-jsonrpc \

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)

# Installs those of the Debian packages $(1) that are missing.
install_missing = missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

.PHONY: run test bench install deps build release clean fuzz fuzz-deps

## Installs the missing system and Python packages (once; a stamp records it).
deps: .build/deps.stamp
.build/deps.stamp: Makefile
	@$(call install_missing,$(APT_PACKAGES))
	@if [ -n "$(PIP_PACKAGES)" ]; then \
	  python3 -m pip install -q $(PIP_PACKAGES) 2>/dev/null \
	    || python3 -m pip install -q --break-system-packages $(PIP_PACKAGES); \
	fi
	@mkdir -p .build && touch $@

build: deps
	$(SWIFT) build

release: deps
	# Only the product: TestSupport imports Testing, which a release build of every target cannot find.
	$(SWIFT) build $(RELEASE_FLAGS) --product $(BINARY_NAME)

run: release
ifeq ($(HEAL),1)
	$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/$(BINARY_NAME) wait --heal --yes
else
	$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/$(BINARY_NAME) check
endif

# Every message the server sends in the tests is captured here and validated against protocol/schema afterwards.
CAPTURE_DIR := .build/protocol-capture

test: deps
	$(SWIFT) build --build-tests
	rm -rf $(CAPTURE_DIR)
	PREFLIGHT_PROTOCOL_CAPTURE=$(CURDIR)/$(CAPTURE_DIR) $(SWIFT) test --skip-build
	python3 protocol/tools/validate_capture.py $(CAPTURE_DIR)

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/$(BINARY_NAME) $(DESTDIR)$(PREFIX)/bin/

## The fuzzer is built by swiftc outside SwiftPM (fuzz/build.sh), so `swift build` and `swift test` never see it.
fuzz: deps fuzz-deps
	fuzz/build.sh
	fuzz/run.sh $(FUZZ_SECONDS)

fuzz-deps: .build/fuzz-deps.stamp
.build/fuzz-deps.stamp: Makefile
	@$(call install_missing,$(FUZZ_APT_PACKAGES))
	@mkdir -p .build && touch $@

clean:
	rm -rf .build fuzz/.work
