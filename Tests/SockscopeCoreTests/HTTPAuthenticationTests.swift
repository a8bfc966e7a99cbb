import SockscopeCore
import Testing

/// MD5 and SHA-256 against published vectors and Python's hashlib (lengths around the
/// 56- and 64-byte padding edges), the challenge parser against the shapes proxies send,
/// and Digest answers against RFC 7616's own worked example.
@Suite("HTTP proxy authentication")
struct HTTPAuthenticationTests {
    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test("MD5 and SHA-256 of the standard vectors")
    func standardVectors() {
        let vectors: [(String, String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "8215ef0796a20bcaaae116d3876c664a",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                "The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6",
                "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
            ),
        ]
        for (text, md5, sha256) in vectors {
            #expect(Self.hex(MessageDigest.md5(Array(text.utf8))) == md5, "MD5 of '\(text)'")
            #expect(Self.hex(MessageDigest.sha256(Array(text.utf8))) == sha256, "SHA-256 of '\(text)'")
        }
    }

    @Test("MD5 and SHA-256 across the padding edges (hashlib's answers)")
    func paddingEdges() {
        let answers: [Int: (String, String)] = [
            55: ("ef1772b6dff9a122358552954ad0df65", "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
            56: ("3b0c8ac703f828b04c6c197006d17218", "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
            63: ("b06521f39153d618550606be297466d5", "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
            64: ("014842d480b571495a4a0363793f7367", "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
            65: ("c743a45e0d2e6a95cb859adae0248435", "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
            119: ("8a7bd0732ed6a28ce75f6dabc90e1613", "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
            120: ("5f61c0ccad4cac44c75ff505e1f1e537", "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
            1000: ("cabe45dcc9ae5b66ba86600cca6b8ba8", "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
        ]
        for (count, (md5, sha256)) in answers {
            let message = [UInt8](repeating: UInt8(ascii: "a"), count: count)
            #expect(Self.hex(MessageDigest.md5(message)) == md5, "MD5 of \(count) a's")
            #expect(Self.hex(MessageDigest.sha256(message)) == sha256, "SHA-256 of \(count) a's")
        }
    }

    @Test("challenges: several fields, several in one field, schemes without parameters, quoted escapes")
    func challenges() {
        let parsed = HTTPChallenge.parse([
            #"Basic realm="proxy", NTLM, Digest realm="r\"x", nonce="n1", qop="auth,auth-int", algorithm=SHA-256"#,
            "Negotiate abc==",
            #"digest REALM=other, nonce=n2"#,
        ])
        #expect(parsed.map(\.scheme) == ["basic", "ntlm", "digest", "negotiate", "digest"])
        #expect(parsed[0].parameters == ["realm": "proxy"])
        #expect(parsed[1].parameters.isEmpty)
        #expect(parsed[2].parameters == ["realm": #"r"x"#, "nonce": "n1", "qop": "auth,auth-int", "algorithm": "SHA-256"])
        #expect(parsed[4].parameters == ["realm": "other", "nonce": "n2"])
        #expect(HTTPChallenge.parse(["", " , ,"]).isEmpty)
    }

    @Test("the preferred challenge: Digest SHA-256, then Digest MD5, then Basic; none when only unknown schemes")
    func preference() {
        let basic = HTTPChallenge(scheme: "basic", parameters: ["realm": "r"])
        let md5 = HTTPChallenge(scheme: "digest", parameters: ["realm": "r", "nonce": "n"])
        let sha = HTTPChallenge(scheme: "digest", parameters: ["realm": "r", "nonce": "n", "algorithm": "SHA-256"])
        let unknownHash = HTTPChallenge(scheme: "digest", parameters: ["nonce": "n", "algorithm": "SHA-512-256"])
        #expect(HTTPAuthorization.preferred([basic, md5, sha]) == sha)
        #expect(HTTPAuthorization.preferred([basic, md5]) == md5)
        #expect(HTTPAuthorization.preferred([basic, unknownHash]) == basic)
        #expect(HTTPAuthorization.preferred([HTTPChallenge(scheme: "ntlm"), unknownHash]) == nil)
        #expect(HTTPAuthorization.basic("a") == "Basic YQ==")
        #expect(HTTPAuthorization.basic("") == "Basic ")
    }

    @Test("the server's nonces: used once without qop, counts must rise with qop, unknown and expired ones refused")
    func serverNonces() async throws {
        let nonces = DigestNonces(lifetime: .milliseconds(200))
        let once = nonces.make()
        #expect(nonces.use(once, count: nil) == .fresh && nonces.use(once, count: nil) == .unknown)
        let counted = nonces.make()
        #expect(nonces.use(counted, count: 1) == .fresh && nonces.use(counted, count: 1) == .replayed && nonces.use(counted, count: 2) == .fresh)
        #expect(nonces.use("not-ours", count: 1) == .unknown)
        let ageing = nonces.make()
        try await Task.sleep(for: .milliseconds(300))
        #expect(nonces.use(ageing, count: 1) == .stale)
        #expect(nonces.challenges(stale: true).contains("stale=true") && nonces.challenges().contains("Proxy-Authenticate: Basic"))
        let flooded = DigestNonces()
        let first = flooded.make()
        for _ in 0..<10_000 { _ = flooded.make() }
        #expect(flooded.count <= 4096, "a flood of challenges grew the nonce table to \(flooded.count)")
        #expect(flooded.use(first, count: 1) == .unknown, "the oldest nonce is the one forgotten")
    }

    @Test("Digest answers RFC 7616's example (section 3.9.1) with MD5 and with SHA-256")
    func rfc7616Example() throws {
        for (algorithm, response) in [
            ("MD5", "8ca523f5e9506fed4657c9700eebdbec"), ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
        ] {
            let challenge = HTTPChallenge(
                scheme: "digest",
                parameters: [
                    "realm": "http-auth@example.org", "qop": "auth, auth-int", "algorithm": algorithm,
                    "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
                ])
            let answer = try #require(
                HTTPAuthorization.digest(
                    challenge, credentials: "Mufasa:Circle of Life", method: "GET", uri: "/dir/index.html",
                    cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"))
            #expect(answer.contains("response=\"\(response)\""), "\(algorithm): \(answer)")
            #expect(answer.contains("qop=auth, nc=00000001") && answer.contains(#"opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#))
            #expect(answer.hasPrefix(#"Digest username="Mufasa", realm="http-auth@example.org""#))
        }
        let plain = HTTPChallenge(scheme: "digest", parameters: ["realm": "r", "nonce": "n"])
        #expect(HTTPAuthorization.digest(plain, credentials: "no-colon", method: "CONNECT", uri: "h:1", cnonce: "c") == nil, "Digest needs USER:PASS")
        let quoted = try #require(HTTPAuthorization.digest(plain, credentials: #"a"b\c:p"#, method: "CONNECT", uri: "h:1", cnonce: "c"))
        #expect(quoted.contains(#"username="a\"b\\c""#), "a user name's quote and backslash are escaped: \(quoted)")
        #expect(HTTPAuthorization.clientNonce().count == 32 && HTTPAuthorization.clientNonce() != HTTPAuthorization.clientNonce())
    }
}
