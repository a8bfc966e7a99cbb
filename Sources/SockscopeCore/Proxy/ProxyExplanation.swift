/// The codes proxies answer with, by name and meaning: SOCKS 5 replies (RFC 1928 §6),
/// HTTP statuses a CONNECT meets.
extension ProxyClientHandshake {
    /// SOCKS 5 reply codes 1–8.
    package static func socks5ReplyName(_ code: UInt8) -> String {
        switch code {
        case 0: "succeeded"
        case 1: "general SOCKS server failure"
        case 2: "connection not allowed by ruleset"
        case 3: "network unreachable"
        case 4: "host unreachable"
        case 5: "connection refused"
        case 6: "TTL expired"
        case 7: "command not supported"
        case 8: "address type not supported"
        default: "unassigned code"
        }
    }

    static func socks5Failure(_ code: UInt8, destination: ProxyDestination, proxy: ProxyURL) -> SockscopeError {
        let explanation: String
        let status: ExitStatus
        switch code {
        case 2:
            (explanation, status) = ("the proxy's rules forbid this client or destination", .noPermission)
        case 3, 4:
            (explanation, status) = ("the proxy has no route to \(destination) (or could not resolve the name)", .unavailable)
        case 5:
            (explanation, status) = ("nothing listens on \(destination) as the proxy sees it: its connect() got ECONNREFUSED", .unavailable)
        case 6:
            (explanation, status) = ("the proxy's connection attempt timed out", .timedOut)
        case 7, 8:
            (explanation, status) = ("the proxy does not support this request (use a name or an address it takes)", .unavailable)
        default:
            (explanation, status) = ("the proxy failed for its own reasons; its log says which", .unavailable)
        }
        return SockscopeError(
            "the SOCKS5 proxy \(proxy.host):\(proxy.port) could not connect to \(destination): \(socks5ReplyName(code)) (reply \(code))",
            explanation: explanation, status: status)
    }

    static func httpFailure(_ code: Int, statusLine: String, destination: ProxyDestination, proxy: ProxyURL) -> SockscopeError {
        let explanation: String
        let status: ExitStatus
        switch code {
        case 407:
            let given = proxy.username == nil ? "give one: http://USER:PASS@\(proxy.host):\(proxy.port)" : "the user and password given were refused"
            (explanation, status) = ("the proxy wants a user and password; \(given)", .noPermission)
        case 403:
            (explanation, status) = ("the proxy's rules forbid this destination or port (tinyproxy: ConnectPort, squid: SSL_ports)", .noPermission)
        case 400, 405, 501:
            (explanation, status) = ("the proxy does not take CONNECT here", .unavailable)
        case 500, 502, 503:
            (explanation, status) = ("the proxy could not connect to \(destination) (refused or unreachable; tinyproxy says 500)", .unavailable)
        case 504:
            (explanation, status) = ("the proxy's connection to \(destination) timed out", .timedOut)
        default:
            (explanation, status) = ("the proxy refused the tunnel", .unavailable)
        }
        return SockscopeError(
            "the HTTP proxy \(proxy.host):\(proxy.port) answered CONNECT \(destination) with '\(PrintableBytes.escaped(statusLine))'", explanation: explanation,
            status: status)
    }
}

/// Base64 (RFC 4648) for HTTP Basic credentials, both ways.
package enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    package static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value = 0
            for (offset, byte) in chunk.enumerated() { value |= Int(byte) << (16 - 8 * offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded Base64; nil for anything else (a length not a multiple of 4, a
    /// character outside the alphabet, '=' anywhere but the last one or two places).
    package static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < input.count {
            var value = 0
            var padding = 0
            for byte in input[index..<index + 4] {
                value <<= 6
                if byte == UInt8(ascii: "=") {
                    padding += 1
                } else if let digit = alphabet.firstIndex(of: byte), padding == 0 {
                    value |= digit
                } else {
                    return nil
                }
            }
            // At most two '=', and only in the last group ("AAAA====" and "YQ==YQ==" are not Base64).
            guard padding <= 2, padding == 0 || index + 4 == input.count else { return nil }
            let decoded = [UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
            out += decoded.prefix(3 - padding)
            index += 4
        }
        return out
    }
}
