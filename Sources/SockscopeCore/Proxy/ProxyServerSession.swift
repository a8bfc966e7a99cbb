import SystemPackage

/// The proxy's side of one client's request, as bytes in and bytes out: the protocol is
/// told by the first byte (5: SOCKS 5, 4: SOCKS 4/4a, a letter: HTTP CONNECT); `receive`
/// takes what the client sent until it has a whole request (answering SOCKS 5's method
/// and auth steps through `output` on the way), and `reply(_:)` makes the answer once
/// the destination has been tried.
package final class ProxyServerSession {
    /// The protocol the client spoke.
    package enum Dialect: String, Sendable {
        case socks5, socks4, http
    }

    /// What the client asked for, or why it gets nothing.
    package enum Request: Sendable, Equatable {
        case connect(ProxyDestination)
        /// Refused before any connection: the answer to send, then close.
        case refused(reason: String, answer: [UInt8])
    }

    /// How the destination attempt ended, for the reply.
    package enum Outcome: Sendable {
        case connected(bound: SocketAddress?)
        case forbidden
        case failed(Errno)
    }

    private let credentials: (user: String, password: String)?
    package private(set) var kind: Dialect?
    /// The user the client authenticated as (SOCKS 5 user/password, HTTP Basic, SOCKS 4 user id).
    package private(set) var user: String?
    /// Bytes to send the client now.
    package private(set) var output: ByteQueue = []
    /// Bytes after the request: the client's first data for the destination.
    package private(set) var leftover: [UInt8] = []
    /// The HTTP request's method (CONNECT, or a forwarded GET …), once its head is read.
    package private(set) var method: String?
    /// A forwarded HTTP request's rewritten head (see +Forwarding), sent ahead of `leftover`.
    private var forwardedHead: [UInt8]?
    private var input: ByteQueue = []
    private var stage = Stage.start

    private enum Stage {
        case start, socks5Methods, socks5Auth, socks5Request, socks4Request, httpRequest, done
    }

    /// - Parameter credentials: the user and password clients must give (SOCKS 5
    ///   user/password, HTTP Basic); nil for none. SOCKS 4 has no password and is refused then.
    /// - Parameter nonces: the server's Digest nonces: with them, HTTP clients are offered
    ///   Digest as well as Basic (ncat's proxy offers both).
    package init(credentials: (user: String, password: String)?, nonces: DigestNonces? = nil) {
        self.credentials = credentials
        self.nonces = nonces
    }

    private let nonces: DigestNonces?

    /// Drops the first `count` bytes of `output` (they went another way).
    package func sent(_ count: Int) { output.removeFirst(count) }

    /// Writes `output` with `write` (send()) until it is sent or would block; true when all went.
    package func flush<Failure: Error>(_ write: (UnsafeRawBufferPointer) throws(Failure) -> Int?) throws(Failure) -> Bool {
        try output.drain(write)
    }

    /// Takes bytes from the client; returns the request once it is whole.
    package func receive(_ bytes: some Collection<UInt8>) -> Request? {
        input += bytes
        while stage != .done {
            guard let first = input.first else { return nil }
            let result: Request?
            let progressed: Bool
            switch stage {
            case .start: (result, progressed) = start(first)
            case .socks5Methods: (result, progressed) = socks5Methods()
            case .socks5Auth: (result, progressed) = socks5Auth()
            case .socks5Request: (result, progressed) = socks5Request()
            case .socks4Request: (result, progressed) = socks4Request()
            case .httpRequest: (result, progressed) = httpRequest()
            case .done: return nil
            }
            if let result {
                stage = .done
                leftover = (forwardedHead ?? []) + Array(input.waiting)
                input = []
                return result
            }
            if !progressed { return nil }
        }
        return nil
    }

    private func start(_ first: UInt8) -> (Request?, Bool) {
        switch first {
        case 5:
            kind = .socks5
            stage = .socks5Methods
        case 4:
            kind = .socks4
            stage = .socks4Request
        case 0x0A, 0x0D, 0x21...0x7E:  // text: HTTP, answered 400 when it is not a request
            kind = .http
            stage = .httpRequest
        default:
            return (.refused(reason: "not SOCKS or HTTP (first byte 0x\(String(first, radix: 16)))", answer: []), true)
        }
        return (nil, true)
    }

    private func take(_ count: Int) -> [UInt8]? {
        guard input.count >= count else { return nil }
        return input.take(count)
    }

    // MARK: SOCKS 5

    private func socks5Methods() -> (Request?, Bool) {
        guard input.count >= 2, let methods = take(2 + Int(input[1])).map({ $0.dropFirst(2) }) else { return (nil, false) }
        let wanted: UInt8 = credentials == nil ? 0 : 2
        guard methods.contains(wanted) else {
            let reason = wanted == 2 ? "offered no user/password method (this proxy wants one)" : "offered no method without auth"
            return (.refused(reason: reason, answer: [5, 0xff]), true)
        }
        output += [5, wanted]
        stage = wanted == 2 ? .socks5Auth : .socks5Request
        return (nil, true)
    }

    private func socks5Auth() -> (Request?, Bool) {
        guard input.count >= 2 else { return (nil, false) }
        guard input[0] == 1 else {  // RFC 1929: the subnegotiation's version is 1
            return (.refused(reason: "bad user/password request (version \(input[0]), not 1)", answer: [1, 1]), true)
        }
        let userLength = Int(input[1])
        guard input.count >= 3 + userLength else { return (nil, false) }
        let passwordLength = Int(input[2 + userLength])
        guard let message = take(3 + userLength + passwordLength) else { return (nil, false) }
        let user = String(decoding: message[2..<(2 + userLength)], as: UTF8.self)
        let password = String(decoding: message[(3 + userLength)...], as: UTF8.self)
        self.user = user
        guard let credentials, credentials.user == user, credentials.password == password else {
            return (.refused(reason: "wrong user or password for '\(user)'", answer: [1, 1]), true)
        }
        output += [1, 0]
        stage = .socks5Request
        return (nil, true)
    }

    private func socks5Request() -> (Request?, Bool) {
        guard input.count >= 5 else { return (nil, false) }
        let addressLength: Int
        switch input[3] {
        case 1: addressLength = 4
        case 4: addressLength = 16
        case 3: addressLength = 1 + Int(input[4])
        default: return (.refused(reason: "address type \(input[3])", answer: Self.socks5Reply(8, bound: nil)), true)
        }
        guard let message = take(4 + addressLength + 2) else { return (nil, false) }
        // RFC 1928 §4: VER 5, CMD, RSV 0.
        guard message[0] == 5, message[2] == 0 else {
            return (.refused(reason: "bad SOCKS5 request (version \(message[0]), reserved byte \(message[2]))", answer: Self.socks5Reply(1, bound: nil)), true)
        }
        guard message[1] == 1 else {
            return (.refused(reason: "command \(message[1]) (only CONNECT is served)", answer: Self.socks5Reply(7, bound: nil)), true)
        }
        let port = UInt16(message[message.count - 2]) << 8 | UInt16(message[message.count - 1])
        guard port != 0 else { return (.refused(reason: "port 0", answer: Self.socks5Reply(1, bound: nil)), true) }
        let address = Array(message[4..<(4 + addressLength)])
        switch message[3] {
        case 1:
            return (.connect(.address(.v4(IPv4Address(address.reduce(0) { $0 << 8 | UInt32($1) })), port: port)), true)
        case 4:
            guard let v6 = IPv6Address(bytes: address) else { return (nil, false) }
            return (.connect(.address(.v6(v6), port: port)), true)
        default:
            return (.connect(.name(String(decoding: address.dropFirst(), as: UTF8.self), port: port)), true)
        }
    }

    /// A SOCKS 5 reply: the code and the address the proxy connected from.
    static func socks5Reply(_ code: UInt8, bound: SocketAddress?) -> [UInt8] {
        var reply: [UInt8] = [5, code, 0]
        switch bound?.ipAddress {
        case .v6(let address): reply += [4] + address.bytes
        case .v4(let address): reply += [1] + withUnsafeBytes(of: address.value.bigEndian, Array.init)
        case nil: reply += [1, 0, 0, 0, 0]
        }
        let port = bound?.port ?? 0
        return reply + [UInt8(port >> 8), UInt8(port & 0xff)]
    }

    // MARK: SOCKS 4 and 4a

    private func socks4Request() -> (Request?, Bool) {
        guard input.count > 8, let userEnd = input.firstIndex(of: 0, from: 8) else {
            if input.count > 1024 { return (.refused(reason: "SOCKS4 user id over 1 KiB", answer: [0, 91, 0, 0, 0, 0, 0, 0]), true) }
            return (nil, false)
        }
        let address = Array(input[4..<8])
        let isSocks4a = address[0] == 0 && address[1] == 0 && address[2] == 0 && address[3] != 0
        var end = userEnd + 1
        var name: String?
        if isSocks4a {
            guard let nameEnd = input.firstIndex(of: 0, from: end) else {
                if input.count > 1024 { return (.refused(reason: "SOCKS4a name over 1 KiB", answer: [0, 91, 0, 0, 0, 0, 0, 0]), true) }
                return (nil, false)
            }
            name = String(decoding: input[end..<nameEnd], as: UTF8.self)
            end = nameEnd + 1
        }
        guard let message = take(end) else { return (nil, false) }
        let userID = String(decoding: message[8..<userEnd], as: UTF8.self)
        user = userID.isEmpty ? nil : userID
        guard message[1] == 1 else { return (.refused(reason: "SOCKS4 command \(message[1])", answer: [0, 91, 0, 0, 0, 0, 0, 0]), true) }
        guard credentials == nil else {
            return (.refused(reason: "SOCKS4 has no password and this proxy wants one", answer: [0, 91, 0, 0, 0, 0, 0, 0]), true)
        }
        let port = UInt16(message[2]) << 8 | UInt16(message[3])
        guard port != 0 else { return (.refused(reason: "port 0", answer: [0, 91, 0, 0, 0, 0, 0, 0]), true) }
        if let name { return (.connect(.name(name, port: port)), true) }
        return (.connect(.address(.v4(IPv4Address(address.reduce(0) { $0 << 8 | UInt32($1) })), port: port)), true)
    }

    // MARK: HTTP CONNECT

    private func httpRequest() -> (Request?, Bool) {
        let head: HTTPRequestHead
        switch HTTPRequestHead.read(input) {
        case .incomplete: return (nil, false)
        case .refused(let status, let reason): return (.refused(reason: reason, answer: Self.http(status, body: reason)), true)
        case .head(let read, let length):
            head = read
            method = read.method
            input.removeFirst(length)
        }
        var forwarded: (destination: ProxyDestination, head: [UInt8])?
        if head.method != "CONNECT" {
            switch Self.forwarding(head) {
            case .failure(let refusal): return (.refused(reason: refusal.reason, answer: Self.http(refusal.status, body: refusal.reason)), true)
            case .success(let request): forwarded = request
            }
        }
        if let credentials, let refusal = authorize(head, credentials: credentials) {
            let challenges = nonces?.challenges(stale: refusal.stale) ?? "Proxy-Authenticate: Basic realm=\"sockscope\"\r\n"
            return (.refused(reason: refusal.reason, answer: Self.http(407, extra: challenges, body: refusal.reason)), true)
        }
        if let forwarded {
            forwardedHead = forwarded.head
            return (.connect(forwarded.destination), true)
        }
        guard let destination = Self.parseAuthority(head.target) else {
            let reason = "bad CONNECT target '\(head.target)' (HOST:PORT)"
            return (.refused(reason: reason, answer: Self.http(400, body: reason)), true)
        }
        return (.connect(destination), true)
    }

    /// Checks the request's Proxy-Authorization (Basic, or Digest when offered); nil when
    /// it is the right user and password. Sets `user` to the user it names.
    private func authorize(_ head: HTTPRequestHead, credentials: (user: String, password: String)) -> (reason: String, stale: Bool)? {
        let values = head.values("Proxy-Authorization")
        guard !values.isEmpty else { return ("no Proxy-Authorization", false) }
        for value in values {
            if let given = Self.basicCredentials(value) {
                user = given.user
                if given.user == credentials.user && given.password == credentials.password { return nil }
                return ("wrong user or password for '\(given.user)'", false)
            }
            if let digest = HTTPChallenge.parse([value]).first, digest.scheme == "digest", let nonces {
                user = digest.parameters["username"]
                return checkDigest(digest.parameters, head: head, credentials: credentials, nonces: nonces)
            }
        }
        return ("a Proxy-Authorization in no scheme this proxy offered", false)
    }

    /// A Digest answer (RFC 7616) to one of this server's challenges; nil when it is right.
    private func checkDigest(
        _ fields: [String: String], head: HTTPRequestHead, credentials: (user: String, password: String), nonces: DigestNonces
    ) -> (reason: String, stale: Bool)? {
        guard let name = fields["username"], let nonce = fields["nonce"], let uri = fields["uri"], let response = fields["response"],
            fields["realm"] == nonces.realm
        else { return ("a Digest answer without its username, realm, nonce, uri or response", false) }
        // curl answers a forwarded request's challenge for the path (origin-form): either is this request.
        guard uri == head.target || uri == Self.originForm(head.target) else {
            return ("a Digest answer for '\(uri)', not this request's '\(head.target)'", false)
        }
        guard let algorithm = HTTPAuthorization.digestAlgorithm(HTTPChallenge(scheme: "digest", parameters: fields)) else {
            return ("a Digest answer with an algorithm this proxy did not offer", false)
        }
        let qop = fields["qop"]
        let count = fields["nc"].flatMap { UInt64($0, radix: 16) }
        if let qop, qop != "auth" && qop != "auth-int" || count == nil || fields["cnonce"] == nil {
            return ("a Digest answer with qop '\(qop)' but no valid nc and cnonce", false)
        }
        let expected = HTTPAuthorization.digestResponse(
            algorithm, user: name, realm: nonces.realm, password: credentials.password, nonce: nonce, cnonce: fields["cnonce"] ?? "",
            nc: fields["nc"] ?? "", qop: qop, method: head.method, uri: uri)
        guard name == credentials.user, expected == response.lowercased() else { return ("wrong user or password for '\(name)'", false) }
        switch nonces.use(nonce, count: qop == nil ? nil : count) {
        case .fresh: return nil
        case .stale: return ("a Digest nonce past its lifetime (stale)", true)
        case .unknown: return ("a Digest nonce this proxy did not give", false)
        case .replayed: return ("a replayed Digest request (its nonce count is not above the last one)", false)
        }
    }

    /// The reason phrase of a status this proxy answers with.
    static func statusText(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 405: "Method Not Allowed"
        case 407: "Proxy Authentication Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 431: "Request Header Fields Too Large"
        case 502: "Bad Gateway"
        case 504: "Gateway Timeout"
        case 508: "Loop Detected"
        default: "Error"
        }
    }

    /// `HOST:PORT` or `[V6]:PORT`.
    static func parseAuthority(_ text: String) -> ProxyDestination? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        // Digits only: UInt16("+7001") would read a sign.
        let digits = text[text.index(after: colon)...]
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(digits), port > 0 else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        if let address = IPAddress(host) { return .address(address, port: port) }
        return .name(host, port: port)
    }

    private static func basicCredentials(_ field: String) -> (user: String, password: String)? {
        let value = field.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard value.count == 2, value[0].lowercased() == "basic", let decoded = Base64.decode(String(value[1])) else { return nil }
        let text = String(decoding: decoded, as: UTF8.self)
        let pair = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(pair[0]), pair.count > 1 ? String(pair[1]) : "")
    }

    /// An answer in HTTP, its body saying why (escaped: it may quote the client's words).
    static func http(_ code: Int, extra: String = "", body: String) -> [UInt8] {
        let text = "sockscope proxy: " + PrintableBytes.escaped(Array(body.utf8)) + "\n"
        return Array(
            ("HTTP/1.1 \(code) \(statusText(code))\r\n\(extra)Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: \(text.utf8.count)\r\nConnection: close\r\n\r\n\(text)").utf8)
    }

    // MARK: Replies

    /// The answer once the destination has been tried, in the client's protocol.
    package func reply(_ outcome: Outcome) -> [UInt8] {
        switch (kind, outcome) {
        case (.socks5, .connected(let bound)): Self.socks5Reply(0, bound: bound)
        case (.socks5, .forbidden): Self.socks5Reply(2, bound: nil)
        case (.socks5, .failed(let error)): Self.socks5Reply(Self.socks5Code(error), bound: nil)
        case (.socks4, .connected): [0, 90, 0, 0, 0, 0, 0, 0]
        case (.socks4, _): [0, 91, 0, 0, 0, 0, 0, 0]
        case (_, .connected): forwardedHead == nil ? Array("HTTP/1.1 200 Connection established\r\n\r\n".utf8) : []  // the origin answers
        case (_, .forbidden): Self.http(403, body: "the destination is not an allowed target (--allow-target)")
        // ncat answers 504 for a destination of a family it does not use (-4, -6).
        case (_, .failed(let error)):
            error == .timedOut || error == .addressFamilyNotSupported
                ? Self.http(504, body: "no connection to the destination: \(error.nameAndText)")
                : Self.http(502, body: "the destination could not be reached: \(error.nameAndText)")
        }
    }

    /// RFC 1928's code for a failed connect().
    private static func socks5Code(_ error: Errno) -> UInt8 {
        switch error {
        case .connectionRefused: 5
        case .networkUnreachable: 3
        case .noRouteToHost, .hostIsDown: 4
        case .timedOut: 6
        case .addressFamilyNotSupported: 8
        default: 1
        }
    }
}
