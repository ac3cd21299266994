// swift-tools-version:6.0
import PackageDescription
import Foundation

/// The CPU that release builds target. `native` (the default) gets AVX-512/FMA on the build machine but the
/// binary then runs only on CPUs like it; for a mixed cluster build every machine with the same older CPU
/// name, e.g. `SNN_TARGET_CPU=haswell` (AVX2+FMA) or `skylake-avx512`, so all run the same kernel code.
/// Without any `-target-cpu` Swift emits SSE2 and calls `fmaf` per lane (SWIFT-NOTES §4).
let targetCPU = ProcessInfo.processInfo.environment["SNN_TARGET_CPU"] ?? "native"

/// Every Swift target of ours gets vector code for `targetCPU` in release builds.
let vector: [SwiftSetting] = [.unsafeFlags(["-target-cpu", targetCPU], .when(configuration: .release))]
/// The kernels additionally drop bounds and overflow checks in release (inner loops only vectorise without
/// them, SWIFT-NOTES pitfall 9). Nothing that parses untrusted input lives in SNNCore.
let kernels: [SwiftSetting] = vector + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "snn-cluster",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "snn-coord", targets: ["snn-coord"]),
        .executable(name: "snn-worker", targets: ["snn-worker"]),
        .executable(name: "snn-bench", targets: ["snn-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // Keras 3 `.keras` files are zip archives.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // 1. C shims: module maps only.
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSystemZlib", path: "Sources/CSystemZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        // HDF5 (Keras weights, NIR graphs): Debian's serial build, headers under /usr/include/hdf5/serial.
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        // Header only: the WORK values checksum's inner loop, kept out of the SLP vectorizer (its header says why).
        .systemLibrary(name: "CValuesChecksum", path: "Sources/CValuesChecksum"),

        // 2-5. The engine.
        .target(name: "SNNEnergy", exclude: ["README.md"], resources: [.copy("Profiles")], swiftSettings: vector),
        .target(name: "SNNCore", dependencies: ["CBLAS"], swiftSettings: kernels),
        .target(name: "SNNModel", dependencies: ["SNNCore", "SNNEnergy", "CSystemZlib", "CSodium"], swiftSettings: vector),
        .target(name: "SNNMethods", dependencies: ["SNNModel"], swiftSettings: vector),
        // Interchange formats (HDF5 wrapper; NIR graphs): reads and writes networks of SNNModel.
        .target(name: "SNNInterchange", dependencies: ["SNNModel", "SNNMethods", "CHDF5", .product(name: "ZIPFoundation", package: "ZIPFoundation")], swiftSettings: vector),

        // 6. The cluster. SNNClusterLogic: the pure state machines, plans and run schedule (events in, directives
        // out). Its dependency list is the compiler's guard that it stays pure: no ZeroMQ, LZ4, SQLite or logging;
        // `scripts/check-pure-logic` (run by `scripts/test`) also refuses Foundation and libc imports in it, and
        // MemberImportVisibility (SE-0444) hides the members Foundation adds to String, Array… unless a file imports it.
        .target(name: "SNNClusterLogic", dependencies: ["SNNMethods", "SNNCore"],
                swiftSettings: vector + [.enableUpcomingFeature("MemberImportVisibility")]),
        // SNNCluster: the shells around it (wire, codecs, transport, metrics, checkpoints); re-exports SNNClusterLogic.
        .target(name: "SNNCluster", dependencies: [
            "SNNClusterLogic", "SNNMethods", "SNNEnergy", "CZeroMQ", "CLZ4", "CSQLite", "CValuesChecksum",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: vector),

        // Run reports: chart geometry (SVG), the HTML report and live page, the Prometheus exposition and its server.
        .target(name: "SNNReport", dependencies: ["SNNCluster"], swiftSettings: vector),

        // Command-line option groups the executables share (same names, checks and defaults everywhere).
        .target(name: "SNNCommandLine", dependencies: [
            "SNNModel", "SNNEnergy", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: vector),

        // 7. Executables.
        .executableTarget(name: "snn-coord", dependencies: [
            "SNNCluster", "SNNInterchange", "SNNReport", "SNNCommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: vector),
        .executableTarget(name: "snn-worker", dependencies: [
            "SNNCluster", "SNNCommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: vector),
        .executableTarget(name: "snn-bench", dependencies: [
            "SNNCluster", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: vector),

        .testTarget(name: "SNNCoreTests", dependencies: ["SNNCore"], swiftSettings: vector),
        .testTarget(name: "SNNEnergyTests", dependencies: ["SNNEnergy", "SNNModel"], swiftSettings: vector),
        .testTarget(name: "SNNModelTests", dependencies: ["SNNModel"], swiftSettings: vector),
        .testTarget(name: "SNNMethodsTests", dependencies: ["SNNMethods"], swiftSettings: vector),
        .testTarget(name: "SNNInterchangeTests", dependencies: ["SNNInterchange", "SNNMethods", .product(name: "ZIPFoundation", package: "ZIPFoundation")], exclude: ["Fixtures"], swiftSettings: vector),
        .testTarget(name: "SNNClusterLogicTests", dependencies: ["SNNClusterLogic"], swiftSettings: vector),
        .testTarget(name: "SNNClusterTests", dependencies: ["SNNCluster"], swiftSettings: vector),
        .testTarget(name: "SNNReportTests", dependencies: ["SNNReport"], swiftSettings: vector),
        // Starts the snn-coord and snn-worker binaries as processes: `scripts/test` builds them first.
        .testTarget(name: "EndToEndTests", dependencies: ["SNNCluster"], swiftSettings: vector),
    ]
)
