import Glibc

/// Where a Unix-domain socket lives: a filesystem path, a Linux abstract name
/// (written `@name`), or nowhere (an unbound or autobound peer).
package enum UnixSocketPath: Hashable, Sendable, CustomStringConvertible {
    case path(String)
    case abstract(String)
    case unnamed

    /// The most bytes `sun_path` holds for a name, leaving room for the terminating NUL
    /// (or, for an abstract name, the leading NUL).
    package static let maximumLength = 107

    /// Parses `PATH` or `@name`, checking the length limit of `sun_path`.
    ///
    /// - Throws: `SockscopeError` (usage) for an empty or too-long name.
    package init(parsing text: String) throws(SockscopeError) {
        if text.isEmpty {
            throw .usage("empty Unix socket path")
        }
        let isAbstract = text.hasPrefix("@")
        let name = isAbstract ? String(text.dropFirst()) : text
        let length = name.utf8.count
        if length > Self.maximumLength {
            throw .usage(
                "Unix socket path is \(length) bytes, over the limit of \(Self.maximumLength)",
                explanation:
                    "sun_path in struct sockaddr_un holds 108 bytes including the terminating NUL; use a shorter path (a relative one, or an abstract @name)")
        }
        if isAbstract {
            self = .abstract(name)
        } else {
            if name.utf8.contains(0) { throw .usage("Unix socket path contains a NUL byte") }
            self = .path(name)
        }
    }

    /// As text for a person: the one escaping rule, so a path or an abstract name holding
    /// a newline or ESC (any local user can make one) stays one line.
    package var description: String { PrintableBytes.escaped(text) }

    /// The path as it is (`@name` for an abstract one), for JSON, which escapes it itself.
    package var text: String {
        switch self {
        case .path(let path): path
        case .abstract(let name): "@\(name)"
        case .unnamed: "(unnamed)"
        }
    }
}
