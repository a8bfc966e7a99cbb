import Glibc
import SockscopeCore
import Testing

@Suite("Socket addresses")
struct AddressTests {
    @Test(
        "numeric addresses parse and print the way sockscope shows them",
        arguments: [
            ("127.0.0.1:80", "127.0.0.1:80"),
            ("[::1]:8080", "[::1]:8080"),
            ("[fe80::1%1]:22", "[fe80::1%1]:22"),
            ("/run/app.sock", "/run/app.sock"),
            ("@abstract", "@abstract"),
        ])
    func roundTrip(text: String, printed: String) throws {
        let address = try #require(SocketAddress.parse(text))
        #expect(address.description == printed)
    }

    @Test("malformed addresses are rejected", arguments: ["127.0.0.1", "1.2.3.4:99999", "[::1:80", "256.0.0.1:1", "::1:80", "host:80", ""])
    func rejects(text: String) {
        #expect(SocketAddress.parse(text) == nil)
    }

    @Test("sockaddr round trip keeps family, address, port and Unix names")
    func sockaddrRoundTrip() throws {
        let addresses: [SocketAddress] = [
            .ipv4(IPv4Address(0x0a00_0001), port: 65535),
            .ipv6(try #require(IPv6Address("2001:db8::5")), port: 1),
            .unix(.path("/tmp/x.sock")),
            .unix(.abstract("name")),
        ]
        for address in addresses {
            let back = address.withSockaddr { pointer, length -> SocketAddress? in
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Int(length))) }
                return SocketAddress(storage: storage, length: length)
            }
            #expect(back == address)
        }
    }

    @Test("Unix socket paths: 107 bytes fit, 108 do not; abstract names likewise")
    func unixPathLimit() throws {
        _ = try UnixSocketPath(parsing: String(repeating: "a", count: 107))
        _ = try UnixSocketPath(parsing: "@" + String(repeating: "a", count: 107))
        #expect(throws: SockscopeError.self) { try UnixSocketPath(parsing: String(repeating: "a", count: 108)) }
        #expect(throws: SockscopeError.self) { try UnixSocketPath(parsing: "") }
        do {
            _ = try UnixSocketPath(parsing: String(repeating: "b", count: 200))
        } catch {
            #expect(error.status == .usage)
            #expect(error.message.contains("200 bytes"))
        }
    }

    @Test("IPv4-mapped IPv6 addresses expose their IPv4 address")
    func mapped() throws {
        let address = try #require(IPv6Address("::ffff:127.0.0.1"))
        #expect(address.mappedIPv4 == .loopback)
        #expect(IPAddress("::ffff:127.0.0.1")?.isLoopback == true)
        #expect(IPAddress("[::1]") == .v6(.loopback))
    }
}

@Suite("Ports")
struct PortTests {
    @Test("valid ports and service names", arguments: [("1", 1), ("65535", 65535), ("80", 80)])
    func valid(text: String, value: Int) throws {
        #expect(try PortNumber.parse(text, allowZero: false) == UInt16(value))
    }

    @Test("service names come from the services database")
    func serviceName() throws {
        #expect(try PortNumber.parse("ssh", allowZero: false) == 22)
    }

    @Test("0 is only for listeners; out of range and junk are usage errors", arguments: ["0", "65536", "-1", "abc", "", "80x", "99999999999999999999"])
    func invalid(text: String) {
        do {
            _ = try PortNumber.parse(text, allowZero: false)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.status == .usage)
            #expect(error.message.contains("bad port"))
        }
    }

    @Test("listeners may ask for port 0")
    func zeroForListeners() throws {
        #expect(try PortNumber.parse("0", allowZero: true) == 0)
    }
}
