// swift-tools-version: 6.1
// libFuzzer targets. Build and run with Fuzz/run.sh (needs -sanitize=fuzzer, so it is
// its own package and never part of the main build).
import PackageDescription

let fuzzerFlags: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-parse-as-library"])]

let package = Package(
    name: "ColonyFuzz",
    dependencies: [.package(name: "Colony", path: "..")],
    targets: [
        .executableTarget(name: "FuzzEventRecord", dependencies: [.product(name: "ColonyStore", package: "Colony")],
                          swiftSettings: fuzzerFlags, linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]),
        .executableTarget(name: "FuzzJSONValidator", dependencies: [.product(name: "ColonyStore", package: "Colony")],
                          swiftSettings: fuzzerFlags, linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]),
        // The next three compile a module's sources in (a symbolic link in the target's
        // directory) to reach its internal parser, validators and decoders; ColonyMCP's HTTP
        // transport is left out so Hummingbird and NIO are not built under the fuzzer.
        // FuzzContextView also links in ColonyStore's JSONText.swift, and the two MCP targets its
        // LatencyHistogram.swift: `package` declarations that ColonyContext and ColonyMCP use and
        // another package cannot see.
        .executableTarget(name: "FuzzMCPMessage",
                          dependencies: [.product(name: "ColonyStore", package: "Colony"), .product(name: "ColonyContext", package: "Colony"),
                                         .product(name: "ColonySwarm", package: "Colony")],
                          exclude: ["ColonyMCP/Transports/HTTPTransport.swift", "ColonyMCP/Transports/EventLoopResponder.swift",
                                    "ColonyMCP/Transports/HTTP1ConnectionHeader.swift"],
                          swiftSettings: fuzzerFlags, linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]),
        .executableTarget(name: "FuzzToolArguments",
                          dependencies: [.product(name: "ColonyStore", package: "Colony"), .product(name: "ColonyContext", package: "Colony"),
                                         .product(name: "ColonySwarm", package: "Colony")],
                          exclude: ["ColonyMCP/Transports/HTTPTransport.swift", "ColonyMCP/Transports/EventLoopResponder.swift",
                                    "ColonyMCP/Transports/HTTP1ConnectionHeader.swift"],
                          swiftSettings: fuzzerFlags, linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]),
        .executableTarget(name: "FuzzNDJSONLine", dependencies: [.product(name: "ColonyStore", package: "Colony")],
                          swiftSettings: fuzzerFlags, linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]),
        .executableTarget(name: "FuzzContextView", dependencies: [.product(name: "ColonyStore", package: "Colony")],
                          swiftSettings: fuzzerFlags, linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]),
    ]
)
