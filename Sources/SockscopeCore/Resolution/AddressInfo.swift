import Glibc
import SystemPackage

/// One entry of a getaddrinfo result, in the order the C library returned it.
package struct AddressInfoEntry: Sendable, Hashable {
    /// `ai_family`: AF_INET or AF_INET6.
    package var family: AddressFamily
    /// `ai_socktype`: SOCK_STREAM, SOCK_DGRAM, SOCK_RAW (as the raw number).
    package var socketType: Int32
    /// `ai_protocol`: IPPROTO_TCP, IPPROTO_UDP, or 0.
    package var socketProtocol: Int32
    package var address: SocketAddress
    /// `ai_canonname`: set (on the first entry) when AI_CANONNAME was asked for.
    package var canonicalName: String?

    /// `SOCK_STREAM`, `SOCK_DGRAM`, `SOCK_RAW`.
    package var socketTypeName: String { Self.socketTypeName(socketType) }

    /// `tcp`, `udp`, `ip` (0), or the number.
    package var protocolName: String {
        switch socketProtocol {
        case Int32(IPPROTO_TCP): "tcp"
        case Int32(IPPROTO_UDP): "udp"
        case 0: "ip"
        default: String(socketProtocol)
        }
    }

    package static func socketTypeName(_ type: Int32) -> String {
        switch type {
        case Int32(SOCK_STREAM.rawValue): "SOCK_STREAM"
        case Int32(SOCK_DGRAM.rawValue): "SOCK_DGRAM"
        case Int32(SOCK_RAW.rawValue): "SOCK_RAW"
        case 0: "any"
        default: String(type)
        }
    }
}

/// A getaddrinfo call, with its hints spelled out.
package struct AddressInfoQuery: Sendable {
    package var name: String?
    package var service: String?
    /// `ai_family`: nil for AF_UNSPEC.
    package var family: AddressFamily?
    /// `ai_socktype`: 0 for any.
    package var socketType: Int32
    /// `ai_flags`: AI_* bits.
    package var flags: Int32

    package init(name: String?, service: String? = nil, family: AddressFamily? = nil, socketType: Int32 = 0, flags: Int32 = AI_CANONNAME) {
        self.name = name
        self.service = service
        self.family = family
        self.socketType = socketType
        self.flags = flags
    }

    /// The flags by their C names: `AI_CANONNAME | AI_PASSIVE`.
    package var flagNames: String {
        let known: [(Int32, String)] = [
            (AI_PASSIVE, "AI_PASSIVE"), (AI_CANONNAME, "AI_CANONNAME"), (AI_NUMERICHOST, "AI_NUMERICHOST"),
            (AI_NUMERICSERV, "AI_NUMERICSERV"), (AI_V4MAPPED, "AI_V4MAPPED"), (AI_ALL, "AI_ALL"), (AI_ADDRCONFIG, "AI_ADDRCONFIG"),
        ]
        // Concatenated by hand: a generic `joined(separator:)` here costs a scan of the
        // protocol conformance records at start-up (~0.09 ms), on every `resolve`.
        var text = ""
        for (flag, name) in known where flags & flag != 0 { text += text.isEmpty ? name : " | " + name }
        return text.isEmpty ? "0" : text
    }
}

/// The C library's resolver functions, called as a program would call them.
package enum Resolver {
    /// Calls getaddrinfo and returns every entry in order, with how long the call took.
    /// - Throws: `AddressInfoError` with the EAI code (and errno for EAI_SYSTEM).
    package static func addressInfo(_ query: AddressInfoQuery) throws(AddressInfoError) -> (entries: [AddressInfoEntry], duration: Duration) {
        var hints = addrinfo()
        hints.ai_family = query.family?.rawValue ?? AF_UNSPEC
        hints.ai_socktype = query.socketType
        hints.ai_flags = query.flags
        var list: UnsafeMutablePointer<addrinfo>?
        let started = ContinuousClock.now
        let status = Interruption.immediately { getaddrinfo(query.name, query.service, &hints, &list) }
        let duration = started.duration(to: .now)
        guard status == 0 else {
            throw AddressInfoError(code: status, systemError: status == EAI_SYSTEM ? Errno(rawValue: errno) : nil)
        }
        defer { freeaddrinfo(list) }
        var entries: [AddressInfoEntry] = []
        var cursor = list
        while let entry = cursor?.pointee {
            cursor = entry.ai_next
            guard let raw = entry.ai_addr, let family = AddressFamily(rawValue: entry.ai_family) else { continue }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(Int(entry.ai_addrlen), target.count)))
            }
            guard let address = SocketAddress(storage: storage, length: entry.ai_addrlen) else { continue }
            entries.append(
                AddressInfoEntry(
                    family: family, socketType: entry.ai_socktype, socketProtocol: entry.ai_protocol, address: address,
                    canonicalName: entry.ai_canonname.map { String(cString: $0) }))
        }
        return (entries, duration)
    }

    /// Checks a host name's shape before asking the resolver: not empty, at most 253
    /// bytes, labels of at most 63 bytes (RFC 1035). Numeric addresses pass as they are.
    package static func validateHostName(_ name: String) throws(SockscopeError) {
        if name.isEmpty { throw .usage("empty host name") }
        if IPAddress(name) != nil { return }
        let length = name.utf8.count
        if length > 253 { throw .usage("host name is \(length) bytes; a DNS name is at most 253") }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) where label.utf8.count > 63 {
            throw .usage("label '\(label.prefix(20))…' is \(label.utf8.count) bytes; a DNS label is at most 63")
        }
    }
}
