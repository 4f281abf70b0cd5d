/// `GET /metrics` in the Prometheus text exposition format (version 0.0.4).
enum PrometheusText {
    static func render(server: MCPServer, sessions: Int) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { out += "\(name)\(labels) \(value)\n" }
        }
        let summaries = server.metrics.summaries()
        metric("colony_calls_total", "counter", "Tool calls and plain HTTP reads served.",
               summaries.map { ("{name=\"\($0.name)\"}", String($0.calls)) })
        metric("colony_call_errors_total", "counter", "Calls that answered an error.",
               summaries.map { ("{name=\"\($0.name)\"}", String($0.errors)) })
        var latency: [(String, String)] = []
        for s in summaries {
            for (q, v) in [("0.5", s.p50), ("0.95", s.p95), ("0.99", s.p99)] {
                latency.append(("{name=\"\(s.name)\",quantile=\"\(q)\"}", seconds(v)))
            }
            latency.append(("_sum{name=\"\(s.name)\"}", seconds(s.sumNanoseconds)))
            latency.append(("_count{name=\"\(s.name)\"}", String(s.calls)))
        }
        out += "# HELP colony_call_duration_seconds Time to answer a call.\n# TYPE colony_call_duration_seconds summary\n"
        for (suffix, value) in latency { out += "colony_call_duration_seconds\(suffix) \(value)\n" }
        for (name, value) in server.metrics.counterValues() {
            metric("colony_\(name)_total", "counter", "Count of \(name.replacingOccurrences(of: "_", with: " ")).", [("", String(value))])
        }
        metric("colony_http_sessions", "gauge", "Open MCP HTTP sessions.", [("", String(sessions))])
        if let s = try? server.store.statistics() {
            metric("colony_head_position", "gauge", "Position of the last event in the log.", [("", String(s.headPosition))])
            metric("colony_store_bytes", "gauge", "Size of data.mdb on disk.", [("", String(s.fileSizeBytes))])
            metric("colony_write_queue_events", "gauge", "Events waiting in the write queue.", [("", String(s.queueDepthEvents))])
            metric("colony_shed_events_total", "counter", "Low-priority events shed under load.", [("", String(s.shedEvents))])
            metric("colony_view_lag_events", "gauge", "Events not yet applied to a view.",
                   s.views.map { ("{view=\"\($0.name)\"}", String($0.lagEvents)) })
            out += "# HELP colony_writer_batch_seconds Per committed batch of this process's writer: work inside the transaction, and LMDB's commit (pages written and, when durable, flushed).\n# TYPE colony_writer_batch_seconds summary\n"
            for (phase, l) in [("work", s.batchWork), ("commit", s.batchCommit)] {
                for (q, v) in [("0.5", l.p50Nanoseconds), ("0.99", l.p99Nanoseconds), ("1", l.maxNanoseconds)] {
                    out += "colony_writer_batch_seconds{phase=\"\(phase)\",quantile=\"\(q)\"} \(seconds(v))\n"
                }
                out += "colony_writer_batch_seconds_sum{phase=\"\(phase)\"} \(seconds(l.sumNanoseconds))\n"
                out += "colony_writer_batch_seconds_count{phase=\"\(phase)\"} \(l.count)\n"
            }
            metric("colony_readers_in_use", "gauge", "LMDB reader slots in use by all processes.", [("", String(s.readersInUse))])
        }
        metric("colony_resident_memory_bytes", "gauge", "Resident memory of this process.", [("", String(ServerMetrics.residentBytes()))])
        return out
    }

    static func seconds(_ ns: UInt64) -> String { String(Double(ns) / 1e9) }
}
