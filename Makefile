# docker-preflight: the two commands of the README, and what they need.
#   make run    build a release binary and run `docker-preflight check` (HEAL=1: `wait --heal --yes`)
#   make test   build and run every test, starting the private engines the tests need
#   make bench  measure speed and memory against curl, the docker CLI and poll loops
#   make install PREFIX=/usr/local

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

# Python packages the protocol and client tests use.
PIP_PACKAGES := \
  jsonschema \
  pygls \
  lsprotocol \
  python-lsp-jsonrpc \

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)

.PHONY: run test bench install deps build release clean

## Installs the missing system and Python packages (once; a stamp records it).
deps: .build/deps.stamp
.build/deps.stamp: Makefile
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
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

clean:
	rm -rf .build
