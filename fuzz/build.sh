#!/usr/bin/env bash
# Builds the libFuzzer target fuzz/.work/bin/jsonrpc-fuzzer.
#
# jansson is built from Debian's source package of the very version the package builds against (so that the
# headers Swift sees match), with -fsanitize=fuzzer-no-link,address so that its parser is covered too. The source
# is fetched with apt-get source through a private apt state under fuzz/.work/apt: the system's apt configuration
# is only read (its deb lines turned into deb-src), never changed. Nothing third-party is committed.
#
# The Swift sources of JSON and JSONRPC are compiled straight into the fuzzer with swiftc (not SwiftPM), against
# the sanitized jansson through fuzz/CJansson/module.modulemap, so that `swift build` never sees any of this.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${FUZZ_WORK:-$ROOT/fuzz/.work}
SWIFTC=${SWIFTC:-swiftc}
CLANG=${CLANG:-$(dirname "$(readlink -f "$(command -v "$SWIFTC")")")/clang}
NICE=${FUZZ_NICE:-nice -n 19}
mkdir -p "$WORK"

# --- jansson, from Debian's source package ---------------------------------------------------------------------
JANSSON_VERSION=$(dpkg-query -W -f='${Version}' libjansson-dev)
JANSSON_PREFIX=$WORK/jansson-$JANSSON_VERSION
if [ ! -f "$JANSSON_PREFIX/lib/libjansson.a" ]; then
  APT=$WORK/apt
  mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/sources.list.d" "$WORK/src"
  : > "$APT/sources.list"
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list > "$APT/sources.list"
  fi
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    sed 's/^Types:.*/Types: deb-src/' "$file" > "$APT/sources.list.d/$(basename "$file")"
  done
  for file in /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    sed -n 's/^deb \(.*\)/deb-src \1/p' "$file" > "$APT/sources.list.d/$(basename "$file")"
  done
  APT_OPTIONS=(
    -o "Dir::Etc::SourceList=$APT/sources.list" -o "Dir::Etc::SourceParts=$APT/sources.list.d"
    -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o "APT::Sandbox::User=root"
  )
  echo "fuzz: fetching jansson $JANSSON_VERSION (Debian source package)"
  apt-get -qq "${APT_OPTIONS[@]}" update
  (cd "$WORK/src" && rm -rf "jansson-${JANSSON_VERSION%-*}" && apt-get -qq "${APT_OPTIONS[@]}" source "jansson=$JANSSON_VERSION")
  SOURCE=$WORK/src/jansson-${JANSSON_VERSION%-*}
  echo "fuzz: building jansson with -fsanitize=fuzzer-no-link,address"
  (cd "$SOURCE" && autoreconf -fi >/dev/null 2>&1)
  rm -rf "$WORK/jansson-build" && mkdir -p "$WORK/jansson-build"
  (
    cd "$WORK/jansson-build"
    CC=$CLANG CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address" \
      "$SOURCE/configure" --quiet --disable-shared --enable-static --prefix="$JANSSON_PREFIX" >/dev/null
    $NICE make -s -j2 install >/dev/null
  )
fi

# --- Swift: Logging (swift-log, as SwiftPM resolved it), JSON, JSONRPC, the target ----------------------------
OUT=$WORK/swift
mkdir -p "$OUT/modules" "$WORK/bin"
LOGGING_SOURCES=$ROOT/.build/checkouts/swift-log/Sources/Logging
[ -d "$LOGGING_SOURCES" ] || swift package resolve >/dev/null
COMMON=(-swift-version 6 -O -g -parse-as-library -I "$OUT/modules" -I "$ROOT/fuzz/CJansson"
  -Xcc -I"$JANSSON_PREFIX/include" -module-cache-path "$OUT/module-cache")

library() { # name, sanitizers, sources...
  local name=$1 sanitize=$2
  shift 2
  echo "fuzz: compiling $name"
  $NICE "$SWIFTC" "${COMMON[@]}" -sanitize="$sanitize" -module-name "$name" -emit-module \
    -emit-module-path "$OUT/modules/$name.swiftmodule" -emit-library -static -o "$OUT/lib$name.a" "$@"
}

# Logging is not what we fuzz: address checks, no coverage.
library Logging address -package-name swift_log -enable-upcoming-feature ExistentialAny $(find "$LOGGING_SOURCES" -name '*.swift' | sort)
library JSON fuzzer,address "$ROOT"/Sources/JSON/*.swift
library JSONRPC fuzzer,address "$ROOT"/Sources/JSONRPC/*.swift
echo "fuzz: linking jsonrpc-fuzzer"
# lld: gold warns about every sanitizer symbol it cannot export.
$NICE "$SWIFTC" "${COMMON[@]}" -use-ld=lld -sanitize=fuzzer,address "$ROOT/fuzz/JSONRPCFuzzer.swift" \
  "$OUT/libJSONRPC.a" "$OUT/libJSON.a" "$OUT/libLogging.a" "$JANSSON_PREFIX/lib/libjansson.a" \
  -o "$WORK/bin/jsonrpc-fuzzer"
echo "fuzz: built $WORK/bin/jsonrpc-fuzzer"
