import Glibc

/// A socket address family, named the way the C headers name it.
package enum AddressFamily: Sendable, Hashable, CaseIterable {
    case inet
    case inet6
    case unix

    /// The `AF_*` constant.
    package var rawValue: Int32 {
        switch self {
        case .inet: AF_INET
        case .inet6: AF_INET6
        case .unix: AF_UNIX
        }
    }

    package init?(rawValue: Int32) {
        switch rawValue {
        case AF_INET: self = .inet
        case AF_INET6: self = .inet6
        case AF_UNIX: self = .unix
        default: return nil
        }
    }

    /// `AF_INET`, `AF_INET6` or `AF_UNIX`.
    package var name: String {
        switch self {
        case .inet: "AF_INET"
        case .inet6: "AF_INET6"
        case .unix: "AF_UNIX"
        }
    }
}

/// A socket type: a byte stream or datagrams.
package enum SocketType: Sendable, Hashable {
    case stream
    case datagram

    /// The `SOCK_*` constant.
    package var rawValue: Int32 {
        switch self {
        case .stream: Int32(SOCK_STREAM.rawValue)
        case .datagram: Int32(SOCK_DGRAM.rawValue)
        }
    }

    /// `SOCK_STREAM` or `SOCK_DGRAM`.
    package var name: String {
        switch self {
        case .stream: "SOCK_STREAM"
        case .datagram: "SOCK_DGRAM"
        }
    }
}
