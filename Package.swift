// swift-tools-version: 6.2
//
// sockscope: a network diagnostics utility for Linux.
//
// Layout:
//   CShim          — the few libc calls Swift's Glibc module hides (epoll, strerrorname_np, …)
//   CPcap          — libpcap, loaded with dlopen on first use (header from Debian `libpcap-dev`)
//   COpenSSL       — OpenSSL 3, loaded with dlopen on first use (headers from Debian `libssl-dev`)
//   SockscopeCore  — sockets, addresses, event loop, relay, resolution, kernel socket table, demo
//   sockscope      — the command line: one file per subcommand, output formatting
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "sockscope",
    products: [
        .executable(name: "sockscope", targets: ["sockscope"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        .target(name: "CShim"),
        // libpcap's header at build time (libpcap-dev); the library itself is loaded
        // with dlopen when a capture starts, so nothing else pays for it.
        .target(name: "CPcap", linkerSettings: [.linkedLibrary("dl")]),
        // OpenSSL's headers at build time (libssl-dev); libssl.so.3 is loaded with dlopen
        // when a TLS session starts.
        .target(name: "COpenSSL", linkerSettings: [.linkedLibrary("dl")]),
        .target(
            name: "SockscopeCore",
            dependencies: [
                "CShim",
                "CPcap",
                "COpenSSL",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "sockscope",
            dependencies: [
                "SockscopeCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSwift
        ),
        // Fuzz targets: replays a corpus normally; with -DFUZZING and -sanitize=fuzzer
        // (make fuzz) it is a libFuzzer binary.
        .executableTarget(
            name: "sockscope-fuzz",
            dependencies: ["SockscopeCore"],
            swiftSettings: strictSwift
        ),
        // Helpers shared by the test targets (threads outside the cooperative pool).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strictSwift),
        .testTarget(
            name: "SockscopeCoreTests",
            dependencies: ["SockscopeCore", "CShim", "TestSupport", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CommandLineTests",
            dependencies: ["sockscope", "SockscopeCore", "TestSupport"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                .product(name: "SystemPackage", package: "swift-system")
            ],
            swiftSettings: strictSwift
        ),
    ]
)
