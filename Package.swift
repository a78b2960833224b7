// swift-tools-version: 6.2
import PackageDescription

/// Start-up is most of a one-shot `check`, which competes with `curl`. Release executables on Linux are linked without
/// PIE: the dynamic loader then has no relative relocations to apply (57,000 here, dirtying 1.4 MB of data pages at
/// every start), which halves the page faults of a start. The docker CLI's static builds are not PIE either.
/// (`make release` also links OpenSSL, jansson, libyaml and libstdc++ statically: see the Makefile's `static-libs`.)
///
/// A start's resident memory is mostly the binary's own pages, so two more flags keep it from touching pages it does
/// not need. `--no-export-dynamic` undoes the toolchain's `-export-dynamic` (static-stdlib-args.lnk): 16,000 exported
/// Swift symbols made .dynsym, .dynstr and .gnu.hash (640 KiB) resident, as the dynamic loader looks up every libc
/// symbol there first; nothing loads code that needs them. The section ordering file (gold's; `make startup-order`
/// writes it, bench/startup_order.py says how) puts the functions a start runs next to each other, given
/// `make release`'s function sections: one run of ~1 MiB instead of pages all over 14 MB of code.
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
