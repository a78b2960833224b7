// swift-tools-version: 6.2
import PackageDescription

/// Start-up is most of a one-shot `check`, which competes with `curl`. Release executables on Linux are static, the C
/// library included (`make release`: `-static-executable`), and not PIE, as the docker CLI's static builds are: no
/// dynamic loader maps libc, libm and libgcc_s, looks up ~480 imported symbols and applies relocations at every start
/// (a `check` spent 1.3 ms less CPU, 4.4 ms to 3.1, and faulted 130 pages fewer). glibc's name services work
/// without loading modules for what the program asks: `files` and `dns` are built into a static glibc, and a module
/// that /etc/nsswitch.conf names besides (`systemd`, `sss`) is loaded from the host, which must then have the glibc
/// the binary was built with; `make install` builds on the host that runs it. The program asks only for its user's
/// home directory when HOME is unset, and for a tcp:// host's address. (`make release` also links OpenSSL, jansson,
/// libyaml and libstdc++ statically: see the Makefile's `static-libs`.)
///
/// A start's resident memory is mostly the binary's own pages, so two more flags keep it from touching pages it does
/// not need. `--no-export-dynamic` undoes the toolchain's `-export-dynamic` (static-stdlib-args.lnk) in a release
/// linked against the shared C library (without the Makefile's flags): 16,000 Swift symbols in .dynsym, 640 KiB
/// resident. The section ordering file (gold's; `make startup-order` writes it, bench/startup_order.py says how) puts
/// the functions a start runs next to each other, given `make release`'s function sections: one run of ~1 MiB instead
/// of pages all over 14 MB of code.
let startupLinking: [LinkerSetting] = [
  .unsafeFlags(
    [
      "-Xclang-linker", "-no-pie", "-use-ld=gold", "-Xlinker", "--no-export-dynamic",
      "-Xlinker", "--section-ordering-file=\(Context.packageDirectory)/link/startup-order.txt",
    ],
    .when(platforms: [.linux], configuration: .release))
]

let package = Package(
  name: "DockerPreflight",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "docker-preflight", targets: ["docker-preflight"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
    .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2", traits: []),
  ],
  targets: [
    .systemLibrary(
      name: "CJansson",
      pkgConfig: "jansson",
      providers: [.apt(["libjansson-dev"]), .brew(["jansson"])]
    ),
    .systemLibrary(
      name: "COpenSSL",
      pkgConfig: "openssl",
      providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
    ),
    .systemLibrary(
      name: "CYAML",
      pkgConfig: "yaml-0.1",
      providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
    ),
    .target(name: "JSON", dependencies: ["CJansson"]),
    .target(name: "JSONRPC", dependencies: ["JSON", .product(name: "Logging", package: "swift-log")]),
    // Reading devcontainer.json (and the Compose files it names) as the Dev Containers tools do; knows nothing of
    // engines.
    .target(name: "DevContainer", dependencies: ["JSON", "CYAML"]),
    .target(
      name: "EngineKit",
      dependencies: [
        "JSON", "COpenSSL",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Subprocess", package: "swift-subprocess"),
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    .target(
      name: "Preflight",
      dependencies: [
        "EngineKit", "JSON", "DevContainer",
        .product(name: "Subprocess", package: "swift-subprocess"),
        .product(name: "SystemPackage", package: "swift-system"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .target(name: "PreflightServer", dependencies: ["JSONRPC", "JSON", "Preflight", "EngineKit"]),
    .target(
      name: "PreflightCLI",
      dependencies: [
        "PreflightServer", "Preflight", "EngineKit", "JSONRPC", "JSON",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(name: "docker-preflight", dependencies: ["PreflightCLI"], linkerSettings: startupLinking),
    // `make bench`'s floor for the one-shot check: the SwiftNIO client alone, asking `/version` (bench/nio-floor).
    .executableTarget(
      name: "nio-floor",
      dependencies: [
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
      ],
      path: "bench/nio-floor",
      linkerSettings: startupLinking
    ),
    .target(
      name: "TestSupport",
      dependencies: [
        "JSON", "JSONRPC", "EngineKit",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Subprocess", package: "swift-subprocess"),
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    .testTarget(name: "JSONTests", dependencies: ["JSON"]),
    .testTarget(name: "DevContainerConfigurationTests", dependencies: ["DevContainer", "JSON", "TestSupport"]),
    .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC", "JSON", "TestSupport"]),
    .testTarget(
      name: "EngineKitTests",
      dependencies: [
        "EngineKit", "TestSupport", "COpenSSL",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
      ]
    ),
    .testTarget(name: "PreflightTests", dependencies: ["Preflight", "TestSupport"]),
    .testTarget(name: "PreflightServerTests", dependencies: ["PreflightServer", "JSONRPC", "JSON", "TestSupport"]),
    .testTarget(name: "PreflightCLITests", dependencies: ["PreflightCLI", "Preflight", "TestSupport"]),
    .testTarget(
      name: "IntegrationTests",
      dependencies: ["TestSupport", "JSON", "EngineKit", "Preflight", "docker-preflight"]
    ),
  ]
)
