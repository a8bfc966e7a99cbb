/// The client's side of opening a tunnel through a proxy, as bytes in and bytes out, so
/// any loop can drive it: send `output`, pass what the proxy answers to `receive`, until
/// it returns true. SOCKS 5 (RFC 1928: no auth, or user and password, RFC 1929),
/// SOCKS 4 and 4a, and HTTP CONNECT. HTTP asks without credentials first and answers a
/// 407's challenge — Digest (RFC 7616) when offered, else Basic — on a new connection, as
/// ncat does (`reconnectTo` says so to the stepping code). A refusal throws, explained by
/// the proxy's own code (SOCKS reply, HTTP status).
package final class ProxyClientHandshake {
    package let proxy: ProxyURL
    package let destination: ProxyDestination
    /// Bytes to send the proxy now (`sent(_:)` drops what went).
    package private(set) var output: ByteQueue = []
    /// Bytes that came after the proxy's answer: the destination's first data.
    package private(set) var leftover: [UInt8] = []
    /// The proxy's answer once the tunnel is open: the address it connected from (SOCKS)
    /// or its status line (HTTP).
    package private(set) var reply: String?
    /// The proxy's refusal code once it refused: the SOCKS 5 or SOCKS 4 reply code, or
    /// the HTTP status.
    package private(set) var refusal: Int?
    private var input: ByteQueue = []
    private var stage: Stage
    /// Whether a 407's challenge was answered (a second 407 is a refusal).
    private var answeredChallenge = false
    /// The scheme of the challenge answered (`digest`, `basic`), for -v and errors.
    package private(set) var answeredScheme: String?
    /// Set when the proxy's challenge is to be answered on a new connection: the
    /// stepping code reconnects the socket to the proxy, then sends `output`.
    package var reconnectPending = false
    /// The proxy's address (read when the first step finds the socket connected), and the
    /// new connection to it while that is under way.
    var proxyAddress: SocketAddress?
    var reconnecting: SocketAddress?

    private enum Stage {
        case socks5Method, socks5Auth, socks5Reply, socks4Reply, httpReply, open
    }

    package init(proxy: ProxyURL, destination: ProxyDestination) throws(SockscopeError) {
        self.proxy = proxy
        self.destination = destination
        switch proxy.kind {
        case .socks5:
            stage = .socks5Method
            let methods: [UInt8] = proxy.username == nil ? [0] : [0, 2]
            output = ByteQueue([5, UInt8(methods.count)] + methods)
        case .socks4, .socks4a:
            stage = .socks4Reply
            output = ByteQueue(try socks4Request())
        case .http:
            stage = .httpReply
            output = ByteQueue(httpRequest(authorization: nil))
        }
    }

    /// The tunnel is open.
    package var isOpen: Bool { stage == .open }

    /// Drops the first `count` bytes of `output` (they went another way).
    package func sent(_ count: Int) { output.removeFirst(count) }

    /// Writes `output` with `write` (send()) until it is sent or would block; true when all went.
    package func flush<Failure: Error>(_ write: (UnsafeRawBufferPointer) throws(Failure) -> Int?) throws(Failure) -> Bool {
        try output.drain(write)
    }

    /// Takes bytes the proxy sent. Returns true once the tunnel is open (then `leftover`
    /// holds what came after the answer).
    /// - Throws: the proxy's refusal or an answer that is not its protocol, explained.
    package func receive(_ bytes: some Collection<UInt8>) throws(SockscopeError) -> Bool {
        input += bytes
        while stage != .open {
            guard try step() else { return false }
        }
        leftover = Array(input.waiting)
        input = []
        return true
    }

    /// Takes one complete message off `input`, if there is one.
    private func step() throws(SockscopeError) -> Bool {
        switch stage {
        case .socks5Method: return try socks5Method()
        case .socks5Auth: return try socks5Auth()
        case .socks5Reply: return try socks5Reply()
        case .socks4Reply: return try socks4Reply()
        case .httpReply: return try httpReply()
        case .open: return true
        }
    }

    private func take(_ count: Int) -> [UInt8]? {
        guard input.count >= count else { return nil }
        return input.take(count)
    }

    // MARK: SOCKS 5

    private func socks5Method() throws(SockscopeError) -> Bool {
        guard let answer = take(2) else { return false }
        guard answer[0] == 5 else { throw notProtocol(answer) }
        switch answer[1] {
        case 0:
            output += try socks5Request()
            stage = .socks5Reply
        case 2 where proxy.username != nil:
            let user = Array((proxy.username ?? "").utf8)
            let password = Array((proxy.password ?? "").utf8)
            guard user.count <= 255 && password.count <= 255 else { throw .usage("a SOCKS5 user name and password are at most 255 bytes each") }
            output += [1, UInt8(user.count)] + user + [UInt8(password.count)] + password
            stage = .socks5Auth
        default:
            let wants = proxy.username == nil ? "it wants a user and password: socks5://USER:PASS@\(proxy.host):\(proxy.port)" : "not even user and password"
            throw SockscopeError(
                "the SOCKS5 proxy \(proxy.host):\(proxy.port) accepts none of the methods offered (method 0x\(String(answer[1], radix: 16)))",
                explanation: wants, status: .noPermission)
        }
        return true
    }

    private func socks5Auth() throws(SockscopeError) -> Bool {
        guard let answer = take(2) else { return false }
        guard answer[1] == 0 else {
            throw SockscopeError(
                "the SOCKS5 proxy rejected the user '\(proxy.username ?? "")' (RFC 1929 status \(answer[1]))",
                explanation: "check the user and password in the proxy URL", status: .noPermission)
        }
        output += try socks5Request()
        stage = .socks5Reply
        return true
    }

    private func socks5Request() throws(SockscopeError) -> [UInt8] {
        var request: [UInt8] = [5, 1, 0]
        switch destination {
        case .name(let name, _):
            let bytes = Array(name.utf8)
            guard bytes.count <= 255 else { throw .usage("a name sent to a SOCKS5 proxy is at most 255 bytes") }
            request += [3, UInt8(bytes.count)] + bytes
        case .address(.v4(let address), _):
            request += [1] + withUnsafeBytes(of: address.value.bigEndian, Array.init)
        case .address(.v6(let address), _):
            request += [4] + address.bytes
        }
        return request + [UInt8(destination.port >> 8), UInt8(destination.port & 0xff)]
    }

    private func socks5Reply() throws(SockscopeError) -> Bool {
        guard input.count >= 5 else { return false }
        guard input[0] == 5 else { throw notProtocol(Array(input)) }
        let addressLength: Int
        switch input[3] {
        case 1: addressLength = 4
        case 4: addressLength = 16
        case 3: addressLength = 1 + Int(input[4])
        default: throw notProtocol(Array(input))
        }
        guard let answer = take(4 + addressLength + 2) else { return false }
        guard answer[1] == 0 else {
            refusal = Int(answer[1])
            throw Self.socks5Failure(answer[1], destination: destination, proxy: proxy)
        }
        let port = Int(answer[answer.count - 2]) << 8 | Int(answer[answer.count - 1])
        let address = answer[4..<(4 + addressLength)]
        let bound: String
        switch answer[3] {
        case 1: bound = address.map(String.init).joined(separator: ".")
        case 4: bound = IPv6Address(bytes: Array(address)).map { "[\($0)]" } ?? "an IPv6 address"
        default: bound = String(decoding: address.dropFirst(), as: UTF8.self)
        }
        reply = "bound \(bound):\(port)"
        stage = .open
        return true
    }

    // MARK: SOCKS 4 and 4a

    private func socks4Request() throws(SockscopeError) -> [UInt8] {
        var request: [UInt8] = [4, 1, UInt8(destination.port >> 8), UInt8(destination.port & 0xff)]
        var name: [UInt8] = []
        switch destination {
        case .address(.v4(let address), _):
            request += withUnsafeBytes(of: address.value.bigEndian, Array.init)
        case .address(.v6, _):
            throw .usage("SOCKS4 carries IPv4 addresses only; use socks5:// for \(destination)")
        case .name(let host, _):
            guard proxy.kind == .socks4a else { throw .usage("SOCKS4 cannot send a name: use socks4a:// or --proxy-dns local") }
            request += [0, 0, 0, 1]  // 0.0.0.x: "the name follows" (SOCKS 4a)
            name = Array(host.utf8) + [0]
        }
        return request + Array((proxy.username ?? "").utf8) + [0] + name
    }

    private func socks4Reply() throws(SockscopeError) -> Bool {
        guard let answer = take(8) else { return false }
        guard answer[0] == 0 else { throw notProtocol(answer) }
        guard answer[1] == 90 else {
            refusal = Int(answer[1])
            let meaning =
                switch answer[1] {
                case 91: "request rejected or failed (the destination refused, is unreachable, or the rules forbid it)"
                case 92: "the proxy could not reach identd on this machine"
                case 93: "identd reported a different user"
                default: "an unknown SOCKS4 code"
                }
            throw SockscopeError(
                "the SOCKS4 proxy refused the connection to \(destination) (code \(answer[1]))", explanation: meaning,
                status: answer[1] == 91 ? .unavailable : .noPermission)
        }
        reply = "granted"
        stage = .open
        return true
    }

    // MARK: HTTP CONNECT

    private func httpRequest(authorization: String?) -> [UInt8] {
        var text = "CONNECT \(destination) HTTP/1.1\r\nHost: \(destination)\r\n"
        if let authorization { text += "Proxy-Authorization: \(authorization)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// A 407 with credentials in hand: the request again, answering the challenge the
    /// proxy offered (Digest before Basic), to be sent on a new connection.
    /// - Throws: when no challenge is one sockscope speaks, or Digest has no USER:PASS.
    private func answerChallenge(in head: String, credentials: String) throws(SockscopeError) {
        let values = head.split(separator: "\r\n").dropFirst().compactMap { line -> String? in
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "proxy-authenticate" else { return nil }
            return String(line[line.index(after: colon)...])
        }
        let offered = HTTPChallenge.parse(values)
        guard let challenge = HTTPAuthorization.preferred(offered) else {
            let schemes = offered.isEmpty ? "no challenge at all" : offered.map(\.scheme).joined(separator: ", ")
            throw SockscopeError(
                "the HTTP proxy \(proxy.host):\(proxy.port) wants credentials in a scheme sockscope does not speak (\(PrintableBytes.escaped(schemes)))",
                explanation: "sockscope answers Basic and Digest (MD5, SHA-256) challenges", status: .noPermission)
        }
        let authorization: String
        if challenge.scheme == "basic" {
            authorization = HTTPAuthorization.basic(credentials)
        } else if let digest = HTTPAuthorization.digest(
            challenge, credentials: credentials, method: "CONNECT", uri: destination.description, cnonce: HTTPAuthorization.clientNonce())
        {
            authorization = digest
        } else {
            throw .usage("the HTTP proxy asks for Digest authentication, which needs USER:PASS (--proxy-auth USER:PASS)")
        }
        answeredChallenge = true
        answeredScheme = challenge.scheme
        output = ByteQueue(httpRequest(authorization: authorization))
        input = []
        reconnectPending = true
    }

    private func httpReply() throws(SockscopeError) -> Bool {
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        guard let range = input.firstRange(of: end) else {
            if input.count > 16 << 10 { throw notProtocol(Array(input)) }
            if input.count >= 5 && !input.starts(with: Array("HTTP/".utf8)) { throw notProtocol(Array(input)) }
            return false
        }
        let head = String(decoding: input[..<range.lowerBound], as: UTF8.self)
        input.removeFirst(range.upperBound)
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        let words = statusLine.split(separator: " ", maxSplits: 2)
        guard words.count >= 2, words[0].hasPrefix("HTTP/"), let code = Int(words[1]) else { throw notProtocol(Array(head.utf8)) }
        if code == 407, !answeredChallenge, let credentials = proxy.credentials {
            try answerChallenge(in: head, credentials: credentials)
            return false
        }
        guard (200..<300).contains(code) else {
            refusal = code
            throw Self.httpFailure(code, statusLine: statusLine, destination: destination, proxy: proxy)
        }
        reply = statusLine
        stage = .open
        return true
    }

    /// An answer in some other protocol, named when it can be.
    private func notProtocol(_ bytes: [UInt8]) -> SockscopeError {
        let text = PrintableBytes.escaped(bytes.prefix(40))
        let hint: String
        if bytes.starts(with: Array("HTTP/".utf8)) {
            hint = "it answers in HTTP: use http:// for this proxy"
        } else if bytes.first == 5 {
            hint = "it answers in SOCKS5: use socks5:// for this proxy"
        } else {
            hint = "is it a \(proxy.kind.rawValue) proxy?"
        }
        return SockscopeError(
            "the proxy \(proxy.host):\(proxy.port) answered something that is not \(proxy.kind.rawValue): '\(text)'", explanation: hint, status: .ioError)
    }
}
