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
    ]
)
