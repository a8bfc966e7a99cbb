import CShim
import Glibc
import SystemPackage

/// Starts a program with posix_spawn (never through a shell unless the program is
/// one), its standard streams wired to a socket.
package enum ProcessSpawner {
    /// Spawns `arguments` (arguments[0] looked up in PATH) with stdin and stdout —
    /// and stderr when `mergeStderr` — duplicated from `fd`, and every other descriptor
    /// from 3 up closed in the child. Signal dispositions and the signal mask are reset
    /// to defaults, so the program gets SIGPIPE as usual. `environment` is added to
    /// (and overrides) sockscope's own.
    /// - Returns: the child's process id.
    package static func spawn(
        _ arguments: [String], streams fd: Int32, mergeStderr: Bool, environment: [String: String] = [:]
    ) throws(SockscopeError) -> pid_t {
        guard let program = arguments.first, !program.isEmpty else { throw .usage("no program to run") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fd, 0)
        posix_spawn_file_actions_adddup2(&actions, fd, 1)
        if mergeStderr { posix_spawn_file_actions_adddup2(&actions, fd, 2) }
        // After the dup2s: the client's socket, the listener and everything else go.
        _ = cshim_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        // A process group of its own, so the whole pipeline it starts (sh -c 'a | b')
        // can be signalled at once: kill(-pid, …).
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = Self.environment(adding: environment).map { strdup($0) } + [nil]
        defer {
            for argument in argv + envp { free(argument) }
        }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, program, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw SockscopeError("cannot run \(program): \(Errno(rawValue: status).nameAndText)", status: status == ENOENT ? .usage : .ioError)
        }
        return pid
    }

    /// sockscope's environment with `extra` added, an extra name replacing an inherited one.
    private static func environment(adding extra: [String: String]) -> [String] {
        var entries: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            let name = text.prefix(while: { $0 != "=" })
            if extra[String(name)] == nil { entries.append(text) }
            pointer += 1
        }
        return entries + extra.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// Finds `program` as posix_spawnp will: a path as given, else in each PATH directory.
    /// - Throws: `SockscopeError` (usage, 64) when there is no such executable.
    package static func checkRunnable(_ program: String) throws(SockscopeError) {
        if program.contains("/") {
            guard access(program, X_OK) == 0 else { throw .usage("cannot run \(program): \(Errno(rawValue: errno).nameAndText)") }
            return
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where access("\(directory)/\(program)", X_OK) == 0 { return }
        throw .usage("cannot run \(program): not found in PATH")
    }

    /// Ends the process groups led by `pids` as a server ends: SIGTERM to each group,
    /// up to 200 ms for them to go, then SIGKILL to what is left. The wait is on the
    /// children's pidfds (`poll(2)`; not the event loop: the signal that ends the server
    /// has already arrived), 10 ms sleeps only on a kernel without pidfds. Returns every
    /// child reaped meanwhile, with its status.
    package static func endGroups(_ pids: [pid_t]) -> [(pid: pid_t, status: Int32)] {
        var left = Set(pids)
        var reaped: [(pid: pid_t, status: Int32)] = []
        func collect() {
            for child in reapExited(among: left) {
                reaped.append(child)
                left.remove(child.pid)
            }
        }
        var exits: [pid_t: OwnedDescriptor] = [:]  // pidfds, closed with the dictionary
        for pid in left {
            kill(-pid, SIGTERM)
            let fd = cshim_pidfd_open(pid)
            if fd >= 0 { exits[pid] = OwnedDescriptor(adopting: fd) }
        }
        defer { exits.removeAll() }
        let deadline = ContinuousClock.now + .milliseconds(200)
        collect()
        while !left.isEmpty && ContinuousClock.now < deadline {
            var waiting = left.compactMap { exits[$0] }.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
            if waiting.count == left.count {
                let milliseconds = Int32(clamping: ContinuousClock.now.duration(to: deadline).milliseconds + 1)
                _ = poll(&waiting, nfds_t(waiting.count), milliseconds)
            } else {
                usleep(10_000)
            }
            collect()
        }
        for pid in left { kill(-pid, SIGKILL) }
        collect()
        return reaped
    }

    /// Reaps those of `pids` that have exited, without waiting (waitpid(pid, WNOHANG) for
    /// each: never waitpid(-1), which would also reap children this process started for
    /// other reasons); returns their ids and statuses.
    package static func reapExited(among pids: some Collection<pid_t>) -> [(pid: pid_t, status: Int32)] {
        var reaped: [(pid_t, Int32)] = []
        for pid in pids {
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &status, WNOHANG) } while result == -1 && errno == EINTR
            if result == pid { reaped.append((pid, status)) }
        }
        return reaped
    }
}
