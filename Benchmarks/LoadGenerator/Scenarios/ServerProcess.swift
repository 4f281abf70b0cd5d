import Glibc

/// `colony serve --http` started for a scenario: its standard output and error go to a log
/// file, and it is ready once its port accepts connections.
final class ServerProcess {
    let pid: pid_t
    let port: Int
    let logPath: String

    init(colony: String, store: String, port: Int, extraArguments: [String], logPath: String) {
        self.port = port
        self.logPath = logPath
        let command = [colony, "serve", "--store", store, "--http", "127.0.0.1:\(port)"] + extraArguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        pid = spawn(command, actions: &actions)
        waitUntilListening()
    }

    private func waitUntilListening() {
        let deadline = monotonicNanos() &+ 60_000_000_000 // opening a large store may catch up views first
        while monotonicNanos() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                fail("colony serve exited during start-up (wait status \(status)); its log: \(logPath)\n\(ResourceSampler.readFile(logPath) ?? "")")
            }
            if Self.accepts(port: port) { return }
            usleep(50_000)
        }
        fail("colony serve did not listen on port \(port) within 60 s; its log: \(logPath)")
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// SIGTERM (a graceful stop: in-flight requests finish, the store closes), then waits up to
    /// 20 s before SIGKILL. Returns the wait status.
    @discardableResult
    func stop() -> Int32 {
        kill(pid, SIGTERM)
        return reap(pid, graceSeconds: 20, signals: [SIGKILL])
    }
}
