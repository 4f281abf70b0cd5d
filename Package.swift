// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Colony",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "LMDB", targets: ["LMDB"]),
        .library(name: "ColonyStore", targets: ["ColonyStore"]),
        .library(name: "ColonyContext", targets: ["ColonyContext"]),
        .library(name: "ColonySwarm", targets: ["ColonySwarm"]),
        .library(name: "ColonyMCP", targets: ["ColonyMCP"]),
        .executable(name: "colony", targets: ["colony"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "CChecksum"),
        .target(name: "ColonyStore", dependencies: ["LMDB", "CChecksum"]),
        .target(name: "ColonyContext", dependencies: ["ColonyStore", "LMDB"]),
        .target(name: "ColonySwarm", dependencies: ["ColonyStore"]),
        .target(
            name: "ColonyMCP",
            dependencies: [
                "ColonyStore",
                "LMDB",
                "ColonyContext",
                "ColonySwarm",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ]
        ),
        .executableTarget(
            name: "colony",
            dependencies: [
                "ColonyStore",
                "ColonyContext",
                "ColonyMCP",
                "ColonySwarm",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "ColonyTestSupport", dependencies: ["ColonyStore"], path: "Tests/Support/ColonyTestSupport"),
        .executableTarget(
            name: "colony-crash-writer",
            dependencies: ["ColonyStore", "ColonyTestSupport", "LMDB"],
            path: "Tests/Support/CrashWriter"
        ),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"]),
        .testTarget(name: "ColonyStoreTests", dependencies: ["ColonyStore", "ColonyTestSupport", "LMDB"]),
        .testTarget(name: "ColonyContextTests", dependencies: ["ColonyContext", "LMDB"]),
        .testTarget(name: "ColonySwarmTests", dependencies: ["ColonySwarm"]),
        .testTarget(name: "ColonyMCPTests", dependencies: ["ColonyMCP", "ColonyContext", "ColonySwarm", "LMDB",
                                                   .product(name: "HTTPTypes", package: "swift-http-types")]),
        .testTarget(name: "ColonyCLITests", dependencies: ["ColonyStore", "ColonyContext", "ColonySwarm", "ColonyTestSupport", "LMDB"]),
    ]
)
