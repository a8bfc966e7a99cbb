import CShim
import Glibc

extension EventLoop {
    /// Calls `exited` on this loop with the wait status once child `pid` has exited; the
    /// child is reaped then (`waitpid(pid, WNOHANG)`, never `waitpid(-1)`). The exit is a
    /// readiness: a pidfd (`pidfd_open(2)`, Linux 5.3) becomes readable when its process
    /// ends, so no tick asks. On a kernel without pidfds (ENOSYS) the child is asked for
    /// every 100 ms instead.
    /// - Returns: whether the exit is watched as a readiness (false: the fallback).
    @discardableResult
    package func watchExit(of pid: pid_t, _ exited: @escaping (Int32) throws(SockscopeError) -> Void) throws(SockscopeError) -> Bool {
        let opened = cshim_pidfd_open(pid)
        guard opened >= 0 else {
            pollExit(of: pid, exited)
            return false
        }
        let process = OwnedDescriptor(adopting: opened)  // closed when the watch ends or is dropped
        try register(process.descriptor, .readable) { [unowned self] _ throws(SockscopeError) in
            guard let (_, status) = ProcessSpawner.reapExited(among: [pid]).first else { return }
            forget(process.descriptor)
            _ = process  // owned by this handler until the exit is seen
            try exited(status)
        }
        return true
    }

    /// The fallback for kernels without pidfds: `waitpid(WNOHANG)` every 100 ms.
    private func pollExit(of pid: pid_t, _ exited: @escaping (Int32) throws(SockscopeError) -> Void) {
        func ask() throws(SockscopeError) {
            guard let (_, status) = ProcessSpawner.reapExited(among: [pid]).first else {
                schedule(at: .now + .milliseconds(100), ask)
                return
            }
            try exited(status)
        }
        schedule(at: .now + .milliseconds(100), ask)
    }
}
