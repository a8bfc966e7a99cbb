import SockscopeCore
import Testing

/// The proxy protocols as bytes: sockscope's client handshake against its server session,
/// fed a byte at a time; the exact bytes of RFC 1928/1929 and HTTP CONNECT; URLs; Base64;
/// and random input, which the server session must refuse or wait on, never trap on.
@Suite("Proxy protocols")
struct ProxyProtocolTests {
    /// Runs a client handshake against a server session, a byte at a time both ways.
    /// Returns the server's request and whether the client saw the tunnel open.
    static func converse(_ proxy: ProxyURL, _ destination: ProxyDestination, credentials: (user: String, password: String)?) throws -> (
        ProxyServerSession.Request?, Bool
    ) {
        let client = try ProxyClientHandshake(proxy: proxy, destination: destination)
        var server = ProxyServerSession(credentials: credentials)
        var request: ProxyServerSession.Request?
        for _ in 0..<20 where request == nil {
            let said = client.output
            client.sent(said.count)
            for byte in said where request == nil { request = server.receive([byte]) }
            var answer = server.output
            if case .refused(_, let refusal) = request, refusal.starts(with: Array("HTTP/1.1 407".utf8)), proxy.credentials != nil {
                answer += refusal  // the challenge, which a client with credentials answers
            }
            server.sent(server.output.count)
            for byte in answer where !client.reconnectPending { _ = try client.receive([byte]) }
            if client.reconnectPending {  // an HTTP 407 answered on a new connection: a new session hears it
                client.reconnectPending = false
                server = ProxyServerSession(credentials: credentials)
                request = nil
            }
        }
        guard case .connect = request else { return (request, false) }
        let reply = server.reply(.connected(bound: .ipv4(.loopback, port: 40000)))
        var open = false
        for byte in reply + Array("data".utf8) { open = try client.receive([byte]) || open }
        #expect(client.isOpen && String(decoding: client.leftover, as: UTF8.self).hasSuffix("a"))
        return (request, open)
    }

    @Test("each scheme, with and without auth, names and addresses: the server hears the destination, the client sees the tunnel")
    func clientAgainstServer() throws {
        let destinations: [ProxyDestination] = [
            .name("peer.test", port: 8080), .address(IPAddress("127.0.0.1")!, port: 22), .address(IPAddress("::1")!, port: 443),
        ]
        for scheme in ["socks5", "socks4a", "http", "socks5://alice:s3cret", "http://alice:s3cret"] {
            let url = scheme.contains("://") ? scheme + "@127.0.0.1:1" : scheme + "://127.0.0.1:1"
            let proxy = try ProxyURL(parsing: url)
            let credentials = proxy.username == nil ? nil : (user: "alice", password: "s3cret")
            for destination in destinations {
                if proxy.kind == .socks4a, case .address(.v6, _) = destination { continue }
                let (request, open) = try Self.converse(proxy, destination, credentials: credentials)
                #expect(request == .connect(destination) && open, "\(url) → \(destination): \(String(describing: request))")
            }
        }
    }

    @Test("wrong or missing credentials are refused in the client's protocol, and the client explains it")
    func refusals() throws {
        let socks = try ProxyURL(parsing: "socks5://alice:wrong@127.0.0.1:1")
        let (request, _) = try Self.converse(socks, .name("x", port: 1), credentials: (user: "alice", password: "s3cret"))
        guard case .refused(let reason, let answer) = request else { throw Failure("expected a refusal: \(String(describing: request))") }
        #expect(reason.contains("wrong user or password") && answer == [1, 1])
        let client = try ProxyClientHandshake(proxy: ProxyURL(parsing: "http://127.0.0.1:1"), destination: .name("x", port: 1))
        #expect(throws: SockscopeError.self) { _ = try client.receive(Array("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n".utf8)) }
        let noMethod = try ProxyClientHandshake(proxy: ProxyURL(parsing: "socks5://127.0.0.1:1"), destination: .name("x", port: 1))
        do {
            _ = try noMethod.receive([5, 0xff])
            Issue.record("method 0xff must fail")
        } catch {
            #expect(error.status == .noPermission && error.explanation?.contains("USER:PASS") == true, "\(error)")
        }
    }

    @Test("the bytes on the wire: RFC 1928 greeting and request, SOCKS4a's 0.0.0.1, HTTP CONNECT with Basic")
    func wireBytes() throws {
        let socks = try ProxyClientHandshake(proxy: ProxyURL(parsing: "socks5://127.0.0.1"), destination: .name("ab", port: 80))
        #expect(socks.output == [5, 1, 0])
        socks.sent(3)
        _ = try socks.receive([5, 0])
        #expect(socks.output == [5, 1, 0, 3, 2, 0x61, 0x62, 0, 80])
        let socks4a = try ProxyClientHandshake(proxy: ProxyURL(parsing: "socks4a://u@127.0.0.1"), destination: .name("ab", port: 80))
        #expect(socks4a.output == [4, 1, 0, 80, 0, 0, 0, 1, 0x75, 0, 0x61, 0x62, 0])
        // HTTP asks without credentials first (ncat); the 407's Basic challenge is answered.
        let http = try ProxyClientHandshake(proxy: ProxyURL(parsing: "http://alice:s3cret@127.0.0.1"), destination: .address(IPAddress("::1")!, port: 443))
        #expect(String(decoding: http.output, as: UTF8.self) == "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n")
        http.sent(http.output.count)
        #expect(try !http.receive(Array("HTTP/1.1 407 No\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n".utf8)))
        #expect(http.reconnectPending)
        #expect(
            String(decoding: http.output, as: UTF8.self)
                == "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\nProxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n\r\n")
    }

    @Test("proxy URLs: schemes, default ports, credentials percent-decoded, brackets, bad input")
    func urls() throws {
        let full = try ProxyURL(parsing: "socks5h://a%40b:p%3Aw@[::1]:9050")
        #expect(full.kind == .socks5 && full.host == "::1" && full.port == 9050 && full.username == "a@b" && full.password == "p:w")
        #expect(try ProxyURL(parsing: "127.0.0.1").kind == .http && (try ProxyURL(parsing: "127.0.0.1").port) == 3128)
        #expect(try ProxyURL(parsing: "127.0.0.1:1080", kind: .socks4).kind == .socks4)
        #expect(try ProxyURL(parsing: "socks4a://h").port == 1080)
        #expect(throws: SockscopeError.self) { try ProxyURL(parsing: "ftp://h") }
        #expect(throws: SockscopeError.self) { try ProxyURL(parsing: "socks5://h:99999") }
        #expect(throws: SockscopeError.self) { try ProxyURL(parsing: "socks5://h", kind: .http) }
    }

    /// The request a server session makes of `bytes`, fed in pieces of `piece` bytes.
    static func request(_ bytes: [UInt8], piece: Int = 1, credentials: (user: String, password: String)? = nil) -> ProxyServerSession.Request? {
        let server = ProxyServerSession(credentials: credentials)
        var start = 0
        while start < bytes.count {
            if let request = server.receive(bytes[start..<min(bytes.count, start + piece)]) { return request }
            start += piece
        }
        return nil
    }

    @Test(
        "malformed requests are refused: SOCKS5's version and reserved byte, RFC 1929's version, port 0, HTTP host:+7001, a head over 16 KiB in one piece or many"
    )
    func strictParsing() {
        func refused(_ request: ProxyServerSession.Request?) -> Bool {
            if case .refused = request { return true }
            return false
        }
        let connect: [UInt8] = [5, 1, 0]
        #expect(refused(Self.request(connect + [5, 1, 7, 1, 127, 0, 0, 1, 0, 80])), "reserved byte 7")
        #expect(refused(Self.request(connect + [4, 1, 0, 1, 127, 0, 0, 1, 0, 80])), "version 4 in a SOCKS5 request")
        #expect(refused(Self.request(connect + [5, 1, 0, 1, 127, 0, 0, 1, 0, 0])), "port 0")
        #expect(!refused(Self.request(connect + [5, 1, 0, 1, 127, 0, 0, 1, 0, 80])), "a good request")
        #expect(refused(Self.request([5, 1, 2, 2, 1, 0x61, 1, 0x62], credentials: ("a", "b"))), "RFC 1929 version 2")
        #expect(refused(Self.request([4, 1, 0, 0, 127, 0, 0, 1, 0])), "SOCKS4 port 0")
        for target in ["127.0.0.1:+7001", "127.0.0.1:-1", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:", "127.0.0.1: 80", "[::1]:0x50"] {
            #expect(refused(Self.request(Array("CONNECT \(target) HTTP/1.1\r\n\r\n".utf8))), "\(target)")
        }
        let big = Array("CONNECT 127.0.0.1:80 HTTP/1.1\r\nX: \(String(repeating: "a", count: 20_000))\r\n\r\n".utf8)
        for piece in [1, 4096, big.count] {
            guard case .refused(let reason, _) = Self.request(big, piece: piece) else {
                Issue.record("a 20 KB head in pieces of \(piece) was not refused")
                continue
            }
            #expect(reason.contains("16 KiB"), "\(reason)")
        }
    }

    @Test("Base64 both ways, padding included")
    func base64() {
        for text in ["", "a", "ab", "abc", "alice:s3cret", "\u{0}\u{ff}"] {
            #expect(Base64.decode(Base64.encode(Array(text.utf8))) == Array(text.utf8))
        }
        #expect(Base64.encode(Array("alice:s3cret".utf8)) == "YWxpY2U6czNjcmV0")
        #expect(Base64.decode("abc") == nil && Base64.decode("a=bc") == nil)
        // Padding only at the end, at most two: these once computed prefix(-1) and trapped.
        for bad in ["AAAA====", "YQ======", "YQ==YQ==", "====", "A===", "YQ=a"] { #expect(Base64.decode(bad) == nil, "\(bad)") }
        #expect(Base64.decode("YQ==") == [0x61] && Base64.decode("YWI=") == [0x61, 0x62] && Base64.decode("") == [])
    }

    @Test("20,000 random requests (each kind's first byte, then noise): the server session never traps and never asks to connect to garbage it could not parse")
    func randomInput() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20_000 {
            let session = ProxyServerSession(credentials: round % 2 == 0 ? nil : (user: "u", password: "p"))
            let first: UInt8 = [5, 4, UInt8(ascii: "C"), UInt8.random(in: 0...255, using: &generator)][round % 4]
            let noise = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var input = [first] + noise
            if round % 8 == 2 { input = Array("CONNECT ".utf8) + noise + Array("\r\n\r\n".utf8) }
            _ = session.receive(input)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ text: String) { description = text }
    }
}
