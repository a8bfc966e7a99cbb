import Glibc

/// Work that must not run on the event loop's thread — a blocking call no loop can watch
/// (getaddrinfo), a TLS bridge's own loop — on a detached POSIX thread of its own.
package enum DetachedThread {
    private final class Work: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread (`pthread_create(3)`, then
    /// `pthread_detach(3)`). Returns false when no thread could be had (EAGAIN at the
    /// process or memory limit); `body` has not run then.
    package static func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        let work = Unmanaged.passRetained(Work(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(
            &thread, nil,
            { argument in
                guard let argument else { return nil }
                Unmanaged<Work>.fromOpaque(argument).takeRetainedValue().body()
                return nil
            }, work)
        guard started == 0 else {
            Unmanaged<Work>.fromOpaque(work).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
