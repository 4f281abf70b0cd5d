// swift-tools-version: 6.1
//
// Colony's benchmarks, kept in their own package so the root package (and the
// CI test run) never builds package-benchmark and its dependencies.
//
//   cd Benchmarks && swift package --disable-sandbox benchmark
//
// It also holds colony-load, the load generator and scenario harness (Benchmarks/load/,
// Benchmarks/mcp/).
//
// See docs/PERFORMANCE.md for what each benchmark measures and the figures.
import PackageDescription

import class Foundation.ProcessInfo

// Allocation counts come from package-benchmark's malloc interposer. It adds a
// little to every malloc, so latency can be measured without it by setting
// COLONY_BENCH_NO_MALLOC_COUNTS=1 (the malloc metrics then read zero).
let countMallocs = ProcessInfo.processInfo.environment["COLONY_BENCH_NO_MALLOC_COUNTS"] == nil

let package = Package(
    name: "ColonyBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Colony", path: ".."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1",
                 traits: countMallocs ? ["MallocInterposer"] : []),
    ],
    targets: [
        .executableTarget(
            name: "ColonyBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LMDB", package: "Colony"),
                .product(name: "ColonyStore", package: "Colony"),
                .product(name: "ColonyContext", package: "Colony"),
            ],
            path: "Benchmarks/ColonyBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The load generator: MCP over stdio and HTTP, open and closed loop, and the six load
        // scenarios (Benchmarks/load/run.sh). It does not use package-benchmark, so it builds on
        // its own quickly:
        //   swift build -c release --product colony-load --scratch-path .build-load
        .executableTarget(
            name: "colony-load",
            dependencies: [
                "MCPLoadShim",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ColonyStore", package: "Colony"),
                .product(name: "ColonyContext", package: "Colony"),
            ],
            path: "LoadGenerator"
        ),
        .target(name: "MCPLoadShim", path: "MCPLoadShim"),
        // The swarm's figures in docs/PERFORMANCE.md (assignment decision latency, assignments/s
        // into a real store, vote cost at 10 and 10,000 voters). No package-benchmark, so:
        //   swift build -c release --product colony-swarm-bench --scratch-path .build-swarm-bench
        .executableTarget(
            name: "colony-swarm-bench",
            dependencies: [
                .product(name: "ColonyStore", package: "Colony"),
                .product(name: "ColonySwarm", package: "Colony"),
            ],
            path: "SwarmBench"
        ),
        // Fixed workloads for the instruction-count regression gate (scripts/regression-gate.sh):
        //   swift build -c release --product colony-gate --scratch-path .build-gate
        .executableTarget(
            name: "colony-gate",
            dependencies: [
                .product(name: "ColonyStore", package: "Colony"),
                .product(name: "ColonyContext", package: "Colony"),
                .product(name: "ColonySwarm", package: "Colony"),
            ],
            path: "RegressionGate"
        ),
        // Direct A/B probes of bulk appends, concurrent durable appends and rebuilds on one store
        // (Benchmarks/Probes/main.swift says how to run them):
        //   swift build -c release --product colony-probe --scratch-path .build-probe
        .executableTarget(
            name: "colony-probe",
            dependencies: [
                .product(name: "ColonyStore", package: "Colony"),
                .product(name: "ColonyContext", package: "Colony"),
            ],
            path: "Probes"
        ),
        // The baseline of the HTTP benchmarks (Benchmarks/mcp/run-http.sh): the smallest
        // Hummingbird server, measured in the same run as colony serve --http.
        .executableTarget(
            name: "hello-hummingbird",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "HelloHummingbird"
        ),
    ]
)
