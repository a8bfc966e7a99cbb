import CShim
import Glibc
import SystemPackage

extension Errno {
    /// The current thread's `errno`, as a typed value.
    package static var current: Errno { Errno(rawValue: Glibc.errno) }

    /// The symbolic name of this error, as C code spells it: `ECONNREFUSED`.
    ///
    /// Unknown values print as `E<number>` so that nothing is ever hidden.
    package var symbolicName: String {
        if let name = cshim_errno_name(rawValue) { return String(cString: name) }
        return "E\(rawValue)"
    }

    /// The C library's text for this error: `Connection refused`.
    package var text: String {
        String(cString: strerror(rawValue))
    }

    /// Name and text together, the way sockscope prints a failed call:
    /// `ECONNREFUSED (Connection refused)`.
    package var nameAndText: String { "\(symbolicName) (\(text))" }
}
