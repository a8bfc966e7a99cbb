/// One challenge of a `Proxy-Authenticate` header (RFC 9110 §11.6.1): a scheme and its
/// parameters (`Digest realm="proxy", nonce="…", qop="auth", algorithm=MD5`).
package struct HTTPChallenge: Sendable, Equatable {
    /// The scheme, lowercased (`basic`, `digest`, `ntlm` …).
    package var scheme: String
    /// The parameters, names lowercased, quoted strings unquoted.
    package var parameters: [String: String]

    package init(scheme: String, parameters: [String: String] = [:]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Every challenge in the values of the header's fields: a proxy may send several
    /// fields, or several challenges in one field separated by commas.
    package static func parse(_ values: [String]) -> [HTTPChallenge] {
        values.flatMap { parse(Array($0.utf8)) }
    }

    private static func parse(_ bytes: [UInt8]) -> [HTTPChallenge] {
        var reader = Reader(bytes: bytes)
        var challenges: [HTTPChallenge] = []
        while true {
            reader.skip(whereIn: [0x20, 0x09, 0x2C])
            let scheme = reader.token()
            guard !scheme.isEmpty else { break }
            var challenge = HTTPChallenge(scheme: scheme.lowercased())
            var first = true
            while true {
                reader.skip(whereIn: [0x20, 0x09])
                let afterScheme = first && !reader.take(0x2C)  // a token68 follows its scheme after a space only
                first = false
                reader.skip(whereIn: [0x20, 0x09, 0x2C])
                let mark = reader.position
                let name = reader.token()
                reader.skip(whereIn: [0x20, 0x09])
                if !name.isEmpty && afterScheme && !reader.peek(0x3D) {
                    challenge.parameters["token68"] = name  // `Negotiate abc==`
                    continue
                }
                guard !name.isEmpty, reader.take(0x3D) else {  // '=': a parameter; else the next scheme
                    reader.position = mark
                    break
                }
                reader.skip(whereIn: [0x20, 0x09])
                challenge.parameters[name.lowercased()] = reader.quotedString() ?? reader.token()
            }
            challenges.append(challenge)
        }
        return challenges
    }

    /// Reads tokens and quoted strings (RFC 9110 §5.6.2, §5.6.4).
    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        mutating func skip(whereIn set: [UInt8]) {
            while position < bytes.count && set.contains(bytes[position]) { position += 1 }
        }

        func peek(_ byte: UInt8) -> Bool { position < bytes.count && bytes[position] == byte }

        mutating func take(_ byte: UInt8) -> Bool {
            guard position < bytes.count && bytes[position] == byte else { return false }
            position += 1
            return true
        }

        /// A token: visible ASCII but the separators (a token68's `/`, `+`, `=` tail included).
        mutating func token() -> String {
            let start = position
            let separators = Array("\"(),:;<=>?@[\\]{} \t".utf8)
            while position < bytes.count, bytes[position] > 0x20, bytes[position] < 0x7F, !separators.contains(bytes[position]) { position += 1 }
            while position < bytes.count && bytes[position] == 0x3D && start < position && isToken68Tail { position += 1 }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// `=` signs ending a token68 (`abc==`), not a parameter's `=` (followed by a value).
        private var isToken68Tail: Bool {
            var next = position
            while next < bytes.count && bytes[next] == 0x3D { next += 1 }
            return next == bytes.count || bytes[next] == 0x2C || bytes[next] == 0x20
        }

        mutating func quotedString() -> String? {
            guard take(0x22) else { return nil }
            var value: [UInt8] = []
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                if byte == 0x22 { break }
                if byte == 0x5C && position < bytes.count {
                    value.append(bytes[position])
                    position += 1
                } else {
                    value.append(byte)
                }
            }
            return String(decoding: value, as: UTF8.self)
        }
    }
}

/// The answer to a proxy's challenge: `Proxy-Authorization` for Basic (RFC 7617) or
/// Digest (RFC 7616, qop auth or auth-int, MD5 or SHA-256, their -sess forms).
package enum HTTPAuthorization {
    /// The challenge to answer among those offered: Digest before Basic (ncat's choice),
    /// SHA-256 before MD5; nil when none is one sockscope speaks.
    package static func preferred(_ challenges: [HTTPChallenge]) -> HTTPChallenge? {
        func rank(_ challenge: HTTPChallenge) -> Int? {
            switch challenge.scheme {
            case "digest":
                guard let algorithm = digestAlgorithm(challenge), challenge.parameters["nonce"] != nil else { return nil }
                return algorithm.hash == .sha256 ? 3 : 2
            case "basic": return 1
            default: return nil
            }
        }
        return challenges.compactMap { challenge in rank(challenge).map { (challenge, $0) } }.max { $0.1 < $1.1 }?.0
    }

    /// The Digest challenge's algorithm: its hash, and whether it is a -sess variant.
    package static func digestAlgorithm(_ challenge: HTTPChallenge) -> (hash: MessageDigest.Algorithm, session: Bool)? {
        let name = (challenge.parameters["algorithm"] ?? "MD5").uppercased()
        let session = name.hasSuffix("-SESS")
        guard let hash = MessageDigest.Algorithm(rawValue: session ? String(name.dropLast(5)) : name) else { return nil }
        return (hash, session)
    }

    /// `Basic base64(credentials)`, the credentials as given (`user:pass`, or one word).
    package static func basic(_ credentials: String) -> String {
        "Basic \(Base64.encode(Array(credentials.utf8)))"
    }

    /// The Digest answer to `challenge` for a request `method uri` (CONNECT host:port),
    /// the user and password split at the first colon of `credentials`; nil without one.
    /// `cnonce` is the client's nonce (random hex), `count` how many times this nonce
    /// was answered (1 for a fresh challenge).
    package static func digest(
        _ challenge: HTTPChallenge, credentials: String, method: String, uri: String, cnonce: String, count: Int = 1
    ) -> String? {
        guard let colon = credentials.firstIndex(of: ":"), let algorithm = digestAlgorithm(challenge),
            let nonce = challenge.parameters["nonce"]
        else { return nil }
        let user = String(credentials[..<colon])
        let password = String(credentials[credentials.index(after: colon)...])
        let realm = challenge.parameters["realm"] ?? ""
        let offered = (challenge.parameters["qop"] ?? "").split(separator: ",").map { $0.trimmingSpaces.lowercased() }
        let qop: String? = offered.isEmpty ? nil : offered.contains("auth") ? "auth" : offered.contains("auth-int") ? "auth-int" : nil
        if !offered.isEmpty && qop == nil { return nil }
        let nc = String(repeating: "0", count: max(0, 8 - String(count, radix: 16).count)) + String(count, radix: 16)
        let response = digestResponse(
            algorithm, user: user, realm: realm, password: password, nonce: nonce, cnonce: cnonce, nc: nc, qop: qop, method: method, uri: uri)
        var fields = [
            "username=\(quoted(user))", "realm=\(quoted(realm))", "nonce=\(quoted(nonce))", "uri=\(quoted(uri))",
            "response=\"\(response)\"", "algorithm=\(challenge.parameters["algorithm"] ?? "MD5")",
        ]
        if let qop { fields += ["qop=\(qop)", "nc=\(nc)", "cnonce=\"\(cnonce)\""] }
        if let opaque = challenge.parameters["opaque"] { fields.append("opaque=\(quoted(opaque))") }
        return "Digest " + fields.joined(separator: ", ")
    }

    /// The Digest `response` (RFC 7616 §3.4.1): H(HA1:nonce:nc:cnonce:qop:HA2), or
    /// H(HA1:nonce:HA2) without qop (RFC 2069); HA1 per algorithm (-sess: with the nonces),
    /// HA2 H(method:uri), with auth-int the (empty) body's hash too.
    package static func digestResponse(
        _ algorithm: (hash: MessageDigest.Algorithm, session: Bool), user: String, realm: String, password: String, nonce: String,
        cnonce: String, nc: String, qop: String?, method: String, uri: String
    ) -> String {
        var ha1 = algorithm.hash.hex("\(user):\(realm):\(password)")
        if algorithm.session { ha1 = algorithm.hash.hex("\(ha1):\(nonce):\(cnonce)") }
        let ha2 = algorithm.hash.hex(qop == "auth-int" ? "\(method):\(uri):\(algorithm.hash.hex(""))" : "\(method):\(uri)")
        return algorithm.hash.hex(qop.map { "\(ha1):\(nonce):\(nc):\(cnonce):\($0):\(ha2)" } ?? "\(ha1):\(nonce):\(ha2)")
    }

    /// A quoted string, its quotes and backslashes escaped.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }

    /// A fresh client nonce: 16 random bytes as hex (getrandom(2) through the system generator).
    package static func clientNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}
