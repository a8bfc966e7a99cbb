/// An HTTP forward proxy's request (RFC 9110 §7.6, RFC 9112 §3.2.2): `GET
/// http://host:port/path HTTP/1.1` and the like, which curl sends through `-x` unless told
/// `-p`. The head is rewritten for the origin — origin-form target, hop-by-hop fields
/// (Connection and the fields it names, Keep-Alive, Proxy-*, TE, Trailer, Upgrade)
/// removed, Host kept or added, `Via` added, `Connection: close` (one request per
/// connection: the origin's close ends the client's answer) — and sent ahead of whatever
/// the client sent after it (a Content-Length or chunked body passes through as bytes).
extension ProxyServerSession {
    /// The methods forwarded; others are 405 (CONNECT is the tunnel's).
    static let forwardedMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]

    /// This proxy's name in `Via`, unique per process, so a request that comes back
    /// through it (a loop) is recognised.
    static let viaName = "sockscope-" + String(HTTPAuthorization.clientNonce().prefix(8))

    /// What to do with a request that is not CONNECT: the destination and the head to
    /// send it, or the refusal (status and why).
    static func forwarding(_ head: HTTPRequestHead) -> Result<(ProxyDestination, [UInt8]), ForwardRefusal> {
        guard forwardedMethods.contains(head.method) else {
            return .failure(
                ForwardRefusal(
                    status: 405, reason: "\(head.method) is not a method this proxy forwards (CONNECT, GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH)"))
        }
        guard head.target.lowercased().hasPrefix("http://") else {
            let reason =
                head.target.lowercased().hasPrefix("https://")
                ? "an https:// URL goes through CONNECT (curl does so by itself)" : "a proxy request names an absolute http:// URL, not '\(head.target)'"
            return .failure(ForwardRefusal(status: 400, reason: reason))
        }
        let rest = head.target.dropFirst("http://".count)
        let authority = String(rest[..<(rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex)])
        let path = originForm(head.target) ?? "/"
        guard !authority.isEmpty, !authority.contains("@"), let destination = destination(authority) else {
            return .failure(ForwardRefusal(status: 400, reason: "no host in '\(head.target)'"))
        }
        if head.values("Via").contains(where: { $0.contains(viaName) }) {
            return .failure(ForwardRefusal(status: 508, reason: "the request came back through this proxy (its Via names it): a loop"))
        }
        return .success((destination, Array(rewrittenHead(head, path: path, authority: authority).utf8)))
    }

    /// The path (and query) of an absolute http:// target: what the origin is asked for.
    static func originForm(_ target: String) -> String? {
        guard target.lowercased().hasPrefix("http://") else { return nil }
        let rest = target.dropFirst("http://".count)
        let pathStart = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let path = String(rest[pathStart...])
        return path.isEmpty || path.hasPrefix("?") ? "/" + path : path
    }

    /// Why a request is not forwarded.
    struct ForwardRefusal: Error {
        var status: Int
        var reason: String
    }

    /// `host`, `host:port`, `[v6]`, `[v6]:port` (port 80 when none).
    private static func destination(_ authority: String) -> ProxyDestination? {
        if let closing = authority.lastIndex(of: "]"), !authority[closing...].contains(":") {
            return parseAuthority(authority + ":80")
        }
        if !authority.hasPrefix("["), !authority.contains(":") { return parseAuthority(authority + ":80") }
        return parseAuthority(authority)
    }

    private static func rewrittenHead(_ head: HTTPRequestHead, path: String, authority: String) -> String {
        let named = head.values("Connection").flatMap { $0.split(separator: ",") }.map { String($0).trimmingCharacters(in: " \t").lowercased() }
        let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te", "trailer", "upgrade"]
        var lines = ["\(head.method) \(path) \(head.version)"]
        var hasHost = false
        var via: [String] = []
        for (name, value) in head.fields {
            let lowered = name.lowercased()
            if hopByHop.contains(lowered) || named.contains(lowered) { continue }
            if lowered == "via" {
                via.append(value)
                continue
            }
            if lowered == "host" { hasHost = true }
            lines.append("\(name): \(value)")
        }
        if !hasHost { lines.insert("Host: \(authority)", at: 1) }
        via.append("\(head.version.dropFirst("HTTP/".count)) \(viaName)")
        lines.append("Via: " + via.joined(separator: ", "))
        lines.append("Connection: close")
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }
}

extension String {
    /// The string without `characters` at either end.
    fileprivate func trimmingCharacters(in characters: String) -> String {
        var text = Substring(self)
        while let first = text.first, characters.contains(first) { text = text.dropFirst() }
        while let last = text.last, characters.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
