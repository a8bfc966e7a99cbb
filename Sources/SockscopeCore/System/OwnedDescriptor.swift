import Glibc
import SystemPackage

/// A descriptor this program opened and closes exactly once: `close(2)` when the handle
/// goes away, or earlier with `close()`. The owner of every descriptor that is not a
/// `Socket` (those own theirs): files read once (`-iL`, `--allow-file`, `/proc`), the
/// netlink socket of `sockets`, the TLS key log, pidfds, `/dev/null` held in reserve.
///
/// Hand out `descriptor` (swift-system's `FileDescriptor`) to borrow it — for the loop,
/// for system calls — and keep the handle alive as long as the borrow lasts.
package final class OwnedDescriptor {
    private var owned: FileDescriptor?

    /// Takes ownership of `raw`, a descriptor just returned by `open`, `socket`,
    /// `pidfd_open` or the like (and checked to be non-negative).
    package init(adopting raw: Int32) {
        owned = FileDescriptor(rawValue: raw)
    }

    /// `open(path, flags | O_CLOEXEC, mode)`; nil with `errno` set when it fails.
    package static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) -> OwnedDescriptor? {
        let raw = Glibc.open(path, flags | O_CLOEXEC, mode)
        return raw >= 0 ? OwnedDescriptor(adopting: raw) : nil
    }

    deinit { close() }

    /// The descriptor, borrowed; -1 after `close()`.
    package var descriptor: FileDescriptor { owned ?? FileDescriptor(rawValue: -1) }

    /// The descriptor's number for system calls; -1 after `close()`.
    package var rawValue: Int32 { owned?.rawValue ?? -1 }

    /// `close(2)` now (Linux releases the number even when close reports an error);
    /// later calls do nothing.
    package func close() {
        guard let descriptor = owned else { return }
        owned = nil
        try? descriptor.close()
    }
}
