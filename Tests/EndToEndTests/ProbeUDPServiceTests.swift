import Foundation
import Glibc
import Testing

/// probe -u sends each well-known UDP port its service's own request, so services that
/// ignore an empty datagram answer and show open, with what answered. Real daemons
/// (dnsmasq, chronyd, snmpd, memcached) and Python responders run in a network
/// namespace of the test's own, on 127.0.0.1 and the services' real ports.
@Suite("probe -u: service requests", .serialized)
struct ProbeUDPServiceTests {
    /// The port records of JSON Lines text: port → (state, answer).
    static func records(_ text: String) throws -> [Int: (state: String, answer: String?)] {
        var records: [Int: (String, String?)] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("{") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard record["type"] as? String == "port", let port = record["peer_port"] as? Int, let state = record["state"] as? String else { continue }
            records[port] = (state, record["answer"] as? String)
        }
        return records
    }

    /// nmap -sU's states from its grepable output: port → state.
    static func nmapStates(_ text: String) -> [Int: String] {
        var states: [Int: String] = [:]
        for line in text.split(separator: "\n") where line.contains("Ports:") {
            for entry in line.split(separator: "Ports:")[1].split(separator: ",") {
                let fields = entry.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
                if fields.count > 1, let port = Int(fields[0]) { states[port] = String(fields[1]) }
            }
        }
        return states
    }

    @Test(
        "dnsmasq, chronyd, snmpd and memcached answer the service requests: open with what answered, as nmap -sU finds them; an empty datagram gets no answer",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace and the services' ports"),
        .enabled(if: Paths.daemonsForUDP, "skipped: needs dnsmasq, chronyd, snmpd, memcached and nmap (make test installs them)"))
    func realDaemons() async throws {
        let directory = try TemporaryDirectory.make()
        try "port 123\nallow 127.0.0.0/8\nlocal stratum 10\ncmdport 0\npidfile \(directory)/chronyd.pid\ndriftfile \(directory)/drift\n"
            .write(toFile: directory + "/chrony.conf", atomically: true, encoding: .utf8)
        try "rocommunity public 127.0.0.1\nsysDescr sockscope test agent\n".write(toFile: directory + "/snmpd.conf", atomically: true, encoding: .utf8)
        let script = """
            ip link set lo up || exit 90
            dnsmasq --keep-in-foreground --port=53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts --conf-file=/dev/null --pid-file= --user=root 2> "$2/dnsmasq.err" & d=$!
            chronyd -d -x -u root -f "$2/chrony.conf" > "$2/chronyd.err" 2>&1 & c=$!
            snmpd -f -Lo -C -c "$2/snmpd.conf" -u root udp:127.0.0.1:161 > "$2/snmpd.err" 2>&1 & s=$!
            memcached -u root -l 127.0.0.1 -p 0 -U 11211 > "$2/memcached.err" 2>&1 & m=$!
            for i in $(seq 100); do ss -uln | grep -q '127.0.0.1:161 ' && ss -uln | grep -q ':123 ' && ss -uln | grep -q ':11211 ' && break; sleep 0.05; done
            "$1" probe -u --json 127.0.0.1 53,54,123,161,11211 > "$2/probe.jsonl"
            "$1" probe -u --json --payload-hex 00 127.0.0.1 123,161 > "$2/bare.jsonl"
            "$1" probe -u -oX "$2/probe.xml" 127.0.0.1 53,54,123,161,11211 > /dev/null
            nmap -sU -n -p 53,54,123,161,11211 -oG - 127.0.0.1
            kill $d $c $s $m
            """
        let outcome = try await run(Paths.unshare, ["--net", Paths.sh, "-c", script, "sh", Paths.sockscope, directory], timeout: .seconds(120))
        let probed = try Self.records(try String(contentsOfFile: directory + "/probe.jsonl", encoding: .utf8))
        #expect(probed[53]?.state == "open" && probed[53]?.answer?.hasPrefix("DNS reply: ") == true, "\(probed) \(outcome)")
        #expect(probed[123]?.state == "open" && probed[123]?.answer?.hasPrefix("NTP v4 server, stratum 10") == true, "\(probed)")
        #expect(probed[161]?.state == "open" && probed[161]?.answer == #"SNMPv2c: sysDescr "sockscope test agent""#, "\(probed)")
        #expect(probed[11211]?.state == "open" && probed[11211]?.answer?.hasPrefix("memcached: VERSION ") == true, "\(probed)")
        #expect(probed[54]?.state == "closed" && probed[54]?.answer == nil, "\(probed)")
        let nmap = Self.nmapStates(outcome.stdoutText)
        #expect(nmap.count == 5, "\(outcome.stdoutText)")
        for (port, state) in nmap { #expect(probed[port]?.state == state, "port \(port): nmap says \(state), probe \(String(describing: probed[port]))") }
        // -oX: each answer where nmap puts what a probe found, in <service> (method probed).
        let valid = try await run(Paths.xmllint, ["--noout", "--dtdvalid", ProbeNmapOutputTests.dtd, directory + "/probe.xml"])
        #expect(valid.status == 0, "\(valid)")
        let xml = String(decoding: try readFile(directory + "/probe.xml"), as: UTF8.self)
        #expect(xml.contains(#"<service name="ntp" extrainfo="NTP v4 server, stratum 10"#) && xml.contains(#"method="probed" conf="10"/>"#), "\(xml)")
        #expect(xml.contains(#"<service name="snmp" extrainfo="SNMPv2c: sysDescr &quot;sockscope test agent&quot;" method="probed""#), "\(xml)")
        // One byte is no NTP or SNMP request: the daemons stay silent.
        let bare = try Self.records(try String(contentsOfFile: directory + "/bare.jsonl", encoding: .utf8))
        #expect(bare[123]?.state == "open|filtered" && bare[161]?.state == "open|filtered", "\(bare)")
    }

    @Test(
        "TFTP (answering from a new port), portmapper, NetBIOS-NS, IKE, SSDP and mDNS requests as their RFCs write them, and the replies read",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace and the services' ports"))
    func moreServices() async throws {
        let script = """
            ip link set lo up || exit 90
            "$2" "$3" > "$4/peer.out" & p=$!
            for i in $(seq 100); do grep -q ready "$4/peer.out" && break; sleep 0.05; done
            "$1" probe -u --json 127.0.0.1 69,111,137,500,1900,5353
            "$1" probe -u 127.0.0.1 69,111,137,500,1900,5353
            kill $p
            """
        let directory = try TemporaryDirectory.make()
        let outcome = try await run(
            Paths.unshare, ["--net", Paths.sh, "-c", script, "sh", Paths.sockscope, Paths.python, Paths.peer("udp_services.py"), directory],
            timeout: .seconds(60))
        let probed = try Self.records(outcome.stdoutText)
        #expect(probed[69]?.state == "open", "\(outcome)")
        #expect(probed[69]?.answer?.hasPrefix(#"TFTP: ERROR 1 "File not found" (from port "#) == true, "\(probed)")
        #expect(probed[111]?.answer == "RPC reply: portmapper v2 SUCCESS", "\(probed)")
        #expect(probed[137]?.answer == "NetBIOS-NS: 1 name, the first SOCKSCOPE-TEST", "\(probed)")
        #expect(probed[500]?.answer == "IKEv1 reply: informational, notify NO-PROPOSAL-CHOSEN (14)", "\(probed)")
        #expect(probed[1900]?.answer == "SSDP: HTTP/1.1 200 OK, SERVER Linux/6.1 UPnP/1.1 sockscope-test/1", "\(probed)")
        #expect(probed[5353]?.answer == "mDNS reply: NOERROR, 1 answer, 0 authority, 0 additional", "\(probed)")
        #expect(outcome.stdoutText.contains("            answer SNMP") == false)
        #expect(outcome.stdoutText.contains("answer RPC reply: portmapper v2 SUCCESS"), "the table shows the answer under the row: \(outcome.stdoutText)")
    }

    @Test("--payload and --payload-hex: bad hex, both at once, or without -u are usage errors")
    func payloadUsage() async throws {
        try await expectFailure(["probe", "-u", "--payload-hex", "0g", "127.0.0.1", "53"], "--payload-hex takes pairs of hex digits", status: 64)
        try await expectFailure(["probe", "-u", "--payload-hex", "abc", "127.0.0.1", "53"], "--payload-hex takes pairs of hex digits", status: 64)
        try await expectFailure(["probe", "-u", "--payload", "x", "--payload-hex", "00", "127.0.0.1", "53"], "not both", status: 64)
        try await expectFailure(["probe", "--payload-hex", "00", "127.0.0.1", "53"], "are for UDP probes", status: 64)
    }
}
