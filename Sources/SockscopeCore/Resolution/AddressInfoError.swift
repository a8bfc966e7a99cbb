import Glibc
import SystemPackage

/// A getaddrinfo failure: an `EAI_*` code with its symbolic name and `gai_strerror` text.
package struct AddressInfoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The raw `EAI_*` value (negative on glibc).
    package var code: Int32
    /// For EAI_SYSTEM, the errno behind it.
    package var systemError: Errno?

    package init(code: Int32, systemError: Errno? = nil) {
        self.code = code
        self.systemError = systemError
    }

    /// `EAI_NONAME`, `EAI_AGAIN`, …
    package var symbolicName: String {
        switch code {
        case EAI_BADFLAGS: "EAI_BADFLAGS"
        case EAI_NONAME: "EAI_NONAME"
        case EAI_AGAIN: "EAI_AGAIN"
        case EAI_FAIL: "EAI_FAIL"
        case EAI_FAMILY: "EAI_FAMILY"
        case EAI_SOCKTYPE: "EAI_SOCKTYPE"
        case EAI_SERVICE: "EAI_SERVICE"
        case EAI_MEMORY: "EAI_MEMORY"
        case EAI_SYSTEM: "EAI_SYSTEM"
        case EAI_OVERFLOW: "EAI_OVERFLOW"
        case -5: "EAI_NODATA"
        case -9: "EAI_ADDRFAMILY"
        default: "EAI_\(code)"
        }
    }

    /// `gai_strerror`'s text, e.g. `Name or service not known`.
    package var text: String { String(cString: gai_strerror(code)) }

    /// Whether trying again later may succeed (the resolver could not be reached).
    package var isTemporary: Bool { code == EAI_AGAIN }

    package var description: String {
        if let systemError { return "\(symbolicName) (\(text): \(systemError.nameAndText))" }
        return "\(symbolicName) (\(text))"
    }
}
