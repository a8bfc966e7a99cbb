import Glibc

/// Work handed to a thread of its own.
private final class ThreadJob: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Threads outside the cooperative pool (two threads on a two-core machine), for test
/// work that blocks: a synchronous wait there would hold back every other test.
public enum OwnThread {
    /// Runs `body` on a new detached thread (pthread_create, pthread_detach); if no
    /// thread can be made, runs it here.
    public static func detach(_ body: @escaping @Sendable () -> Void) {
        let job = Unmanaged.passRetained(ThreadJob(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(
            &thread, nil,
            { argument in
                guard let argument else { return nil }
                Unmanaged<ThreadJob>.fromOpaque(argument).takeRetainedValue().run()
                return nil
            }, job)
        if started == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<ThreadJob>.fromOpaque(job).takeRetainedValue().run()
        }
    }

    /// Runs `body` on a new thread and returns its result.
    public static func run<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            detach { continuation.resume(returning: body()) }
        }
    }
}
