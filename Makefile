# docker-preflight: the two commands of the README, and what they need.
#   make run    build a release binary and run `docker-preflight check` (HEAL=1: `wait --heal --yes`)
#   make test   build and run every test, starting the private engines the tests need
#   make bench  measure speed and memory against curl, the docker CLI and poll loops
#   make install PREFIX=/usr/local   (stripped; debug information in $(PREFIX)/bin/.debug)
#   make fuzz FUZZ_SECONDS=N   build the libFuzzer target (fuzz/) and run it for N seconds at nice 19
#   make startup-order   profile the release binary's starts and rewrite the linker's link/startup-order.txt

SWIFT        ?= swift
OBJCOPY      ?= objcopy
PREFIX       ?= /usr/local
DEBUG_DIR    ?= $(PREFIX)/bin/.debug
BINARY_NAME  := docker-preflight
# Only the executable: TestSupport imports Testing, which release builds of library targets cannot find.
# Every function in a section of its own (Swift, and C such as NIO's llhttp), dependencies included: the linker can
# then drop what nothing calls and put the start path together (link/startup-order.txt, see Package.swift).
# Generic type metadata by accessor calls, not by mangled name: a mangled name is demangled at its first use and each
# of its generic requirements looked up at run time, a scan of all ~5,500 conformance records; a one-shot `check` made
# 21 of those scans (6.5 M of its 16.5 M instructions). A static executable, the C library included (Package.swift
# says why).
RELEASE_FLAGS := -c release --static-swift-stdlib -Xswiftc -static-executable --product $(BINARY_NAME) \
  -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
  -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors
# System packages the build and the tests use (Debian names); binutils: gold links the release binary, objcopy
# strips what `make install` installs.
# One per line, so that additions merge cleanly.
APT_PACKAGES := \
  pkg-config \
  libjansson-dev \
  libyaml-dev \
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
  gcc \
  libc6-dev \
  binutils \
  time \

# What `make fuzz` needs on top: autotools to build jansson from Debian's source package, dpkg-dev to unpack it.
FUZZ_APT_PACKAGES := \
  autoconf \
  automake \
  libtool \
  dpkg-dev \

FUZZ_SECONDS ?= 60

# Python packages the protocol, client and Dev Containers tests and the benchmark use (devcontainer-rs: the
# `devcontainer` CLI).
PIP_PACKAGES := \
  jsonschema \
  pygls \
  lsprotocol \
  python-lsp-jsonrpc \
  devcontainer-rs \

# Static archives linked into release binaries (see static-libs).
STATIC_LIBS := $(CURDIR)/.build/static-libs

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)

# Installs those of the Debian packages $(1) that are missing.
install_missing = missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

.PHONY: run test bench install deps build release clean static-libs fuzz fuzz-deps startup-order

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

## Static archives for release builds: links to the archives of OpenSSL, jansson, libyaml and libstdc++, and copies
## of their pkg-config files pointing there, so that -lssl, -lcrypto, -ljansson, -lyaml and -lstdc++ find the archives
## first (a library missing its archive stays dynamic). No libraries to load and bind: start-up is most of a one-shot
## `check`.
static-libs: deps
	@mkdir -p $(STATIC_LIBS)/pkgconfig
	@stdcxx="$$($${CC:-cc} -print-file-name=libstdc++.a)"; if [ -f "$$stdcxx" ]; then ln -sf "$$stdcxx" $(STATIC_LIBS)/; fi
	@cp "$$(pkg-config --path openssl)" $(STATIC_LIBS)/pkgconfig/
	@for package in libssl:ssl libcrypto:crypto jansson:jansson yaml-0.1:yaml; do \
	  name=$${package%%:*}; archive="$$(pkg-config --variable=libdir $$name)/lib$${package##*:}.a"; \
	  if [ -f "$$archive" ]; then \
	    ln -sf "$$archive" $(STATIC_LIBS)/; \
	    sed "s|^libdir=.*|libdir=$(STATIC_LIBS)|" "$$(pkg-config --path $$name)" > $(STATIC_LIBS)/pkgconfig/$$name.pc; \
	  fi; \
	done

release: static-libs
	# Only the product: TestSupport imports Testing, which a release build of every target cannot find.
	PKG_CONFIG_PATH=$(STATIC_LIBS)/pkgconfig $(SWIFT) build $(RELEASE_FLAGS)

## An unhealthy engine is a result, not a failed job: check's status 1 is explained and make succeeds; a usage or
## configuration error (2) still fails. Scripts that branch on health call the binary itself.
run: release
ifeq ($(HEAL),1)
	$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/$(BINARY_NAME) wait --heal --yes
else
	@status=0; $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/$(BINARY_NAME) check || status=$$?; \
	if [ $$status -eq 1 ]; then echo "make run: the engine is not healthy (check exited 1); HEAL=1 make run starts it"; \
	else exit $$status; fi
endif

## BENCH_ARGS passes options to bench/run.py, e.g. BENCH_ARGS='--only check,serve --pairs 40'. valgrind counts the
## check row's instructions (callgrind), the measure that does not move with the machine's load.
## The SwiftNIO floor (bench/nio-floor) is built as the binary is: release, static Swift runtime, no PIE.
bench: release
	@$(call install_missing,valgrind)
	$(SWIFT) build $(subst --product $(BINARY_NAME),--product nio-floor,$(RELEASE_FLAGS))
	python3 bench/run.py --binary $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/$(BINARY_NAME) \
	  --nio-floor $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/nio-floor $(BENCH_ARGS)

## The functions a start runs, in the order the linker should lay them out (bench/startup_order.py; needs root for its
## private dockerd, and valgrind). Relinks afterwards so that the binary follows the new order.
startup-order: release
	@$(call install_missing,valgrind)
	python3 bench/startup_order.py --binary $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/$(BINARY_NAME)
	rm -f $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/$(BINARY_NAME)
	$(MAKE) release

# Every message the server sends in the tests is captured here and validated against protocol/schema afterwards.
CAPTURE_DIR := .build/protocol-capture

test: deps
	$(SWIFT) build --build-tests
	rm -rf $(CAPTURE_DIR)
	PREFLIGHT_PROTOCOL_CAPTURE=$(CURDIR)/$(CAPTURE_DIR) $(SWIFT) test --skip-build
	python3 protocol/tools/validate_capture.py $(CAPTURE_DIR)

# The binary, stripped (57 MB with symbols, 26 MB without); its symbols and debug information in
# DEBUG_DIR/docker-preflight.debug, named by the binary's .gnu_debuglink: gdb and perf look in bin/.debug without
# being told (for another DEBUG_DIR: gdb's `set debug-file-directory`). Completions for bash, zsh and fish, generated
# by the binary itself; and the docker-path shim, a link named `docker` in a directory of its own (not on PATH: it
# must never shadow the real docker CLI by accident). The stripped binary is written beside the old one and renamed
# over it: a running shim keeps its file.
install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DEBUG_DIR) $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d \
	  $(DESTDIR)$(PREFIX)/libexec/$(BINARY_NAME)
	$(OBJCOPY) --only-keep-debug $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/$(BINARY_NAME) \
	  $(DESTDIR)$(DEBUG_DIR)/$(BINARY_NAME).debug
	chmod 0644 $(DESTDIR)$(DEBUG_DIR)/$(BINARY_NAME).debug
	$(OBJCOPY) --strip-all --add-gnu-debuglink=$(DESTDIR)$(DEBUG_DIR)/$(BINARY_NAME).debug \
	  $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/$(BINARY_NAME) $(DESTDIR)$(PREFIX)/bin/$(BINARY_NAME).new
	chmod 0755 $(DESTDIR)$(PREFIX)/bin/$(BINARY_NAME).new
	mv -f $(DESTDIR)$(PREFIX)/bin/$(BINARY_NAME).new $(DESTDIR)$(PREFIX)/bin/$(BINARY_NAME)
	$(DESTDIR)$(PREFIX)/bin/$(BINARY_NAME) --generate-completion-script bash \
	  > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$(BINARY_NAME)
	$(DESTDIR)$(PREFIX)/bin/$(BINARY_NAME) --generate-completion-script zsh \
	  > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$(BINARY_NAME)
	$(DESTDIR)$(PREFIX)/bin/$(BINARY_NAME) --generate-completion-script fish \
	  > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$(BINARY_NAME).fish
	ln -sf ../../bin/$(BINARY_NAME) $(DESTDIR)$(PREFIX)/libexec/$(BINARY_NAME)/docker
	# Written by objcopy, the binary sits in the page cache in large folios, and a start maps whole folios around
	# every page it touches (a `check` peaked at 20.6 MiB instead of 10.4). Dropped from the cache, it comes back in
	# as the first runs fault it in.
	sync $(DESTDIR)$(PREFIX)/bin/$(BINARY_NAME)
	dd if=$(DESTDIR)$(PREFIX)/bin/$(BINARY_NAME) iflag=nocache count=0 status=none

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
