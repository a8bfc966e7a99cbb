import SockscopeCore
import SystemPackage
import Testing

@Suite("probe: ports, targets, verdicts")
struct ProbeParsingTests {
    @Test("port lists: single, ranges, lists, services, all; sorted without repeats")
    func portLists() throws {
        #expect(try PortList(parsing: "22").ports == [22])
        #expect(try PortList(parsing: "20-25").ports == [20, 21, 22, 23, 24, 25])
        #expect(try PortList(parsing: "80,22,8000-8002,22").ports == [22, 80, 8000, 8001, 8002])
        #expect(try PortList(parsing: "ssh,http").ports == [22, 80])
        #expect(try PortList(parsing: "-").ports.count == 65535)
        #expect(try PortList(parsing: "1-65535").ports.last == 65535)
    }

    @Test(
        "bad port lists are usage errors naming the problem",
        arguments: [
            ("0", "1 to 65535"), ("65536", "1 to 65535"), ("25-20", "runs backwards"), ("22,,80", "empty item"),
            ("nosuchservice", "service name"), ("1-", "not a number"), ("-5", "bad port"),
        ])
    func badPortLists(text: String, message: String) {
        do {
            _ = try PortList(parsing: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.status == .usage)
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test("CIDR blocks expand to every address, in order")
    func cidr() throws {
        let block = try TargetList.expand(cidr: "10.200.0.5/29")
        #expect(block.map(\.description) == (0...7).map { "10.200.0.\($0)" })
        #expect(try TargetList.expand(cidr: "127.0.0.1/32").map(\.description) == ["127.0.0.1"])
        #expect(try TargetList.expand(cidr: "fd00::10/126").map(\.description) == ["fd00::10", "fd00::11", "fd00::12", "fd00::13"])
    }

    @Test("bad CIDR blocks and oversized ones are refused", arguments: ["10.0.0.0/33", "10.0.0.0/", "10.0.0/24", "10.0.0.0/8", "::/64", "x/24"])
    func badCIDR(text: String) {
        #expect(throws: SockscopeError.self) { try TargetList.expand(cidr: text) }
    }

    @Test("target lists mix addresses and blocks, without repeats")
    func targetLists() throws {
        let targets = try TargetList.parse("127.0.0.1,::1,127.0.0.0/31", allAddresses: false, family: nil)
        #expect(targets.map(\.address.description) == ["127.0.0.1", "::1", "127.0.0.0"])
    }

    @Test(
        "connect() results map to nmap's states and reasons",
        arguments: [
            (nil, PortState.open, "syn-ack"),
            (Errno.connectionRefused, .closed, "conn-refused"),
            (.timedOut, .filtered, "no-response"),
            (.noRouteToHost, .unreachable, "host-unreach"),
            (.networkUnreachable, .unreachable, "net-unreach"),
            (.permissionDenied, .unreachable, "admin-prohibited"),
            (.notPermitted, .unreachable, "admin-prohibited"),
        ] as [(Errno?, PortState, String)])
    func tcpVerdicts(error: Errno?, state: PortState, reason: String) {
        let result = ProbeResult.verdict(tcp: error)
        #expect(result.state == state)
        #expect(result.reason == reason)
    }

    @Test("UDP verdicts: a reply is open, ICMP port-unreachable closed, silence open|filtered")
    func udpVerdicts() {
        #expect(ProbeResult.verdict(udp: nil, replied: true).state == .open)
        #expect(ProbeResult.verdict(udp: .connectionRefused, replied: false).state == .closed)
        #expect(ProbeResult.verdict(udp: .timedOut, replied: false).state == .openFiltered)
    }
}
