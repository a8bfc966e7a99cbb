import Foundation
import Testing

/// `probe -oX`: nmap's XML, checked with nmap's own tools — xmllint against nmap.dtd,
/// nmap's -oX of the same loopback scan port by port, ndiff between two of our files,
/// python3-libnmap's parser.
@Suite("probe -oX")
struct ProbeNmapOutputTests {
    static let dtd = "/usr/share/nmap/nmap.dtd"

    /// A listener on a free loopback port (open), discard's port 9 and another free port (closed).
    static func scanPorts() async throws -> (BackgroundProcess, [UInt16]) {
        let open = try freePort()
        let server = try BackgroundProcess(Paths.python, ["-m", "http.server", "--bind", "127.0.0.1", "\(open)"])
        _ = try await server.waitForLine(containing: "Serving HTTP", inStdout: true)
        return (server, [open, 9, try freePort()])
    }

    /// `(host, protocol, port) → state reason service` of an nmap XML file, by Python's parser.
    static func ports(_ path: String) async throws -> [String] {
        let script = """
            import sys, xml.etree.ElementTree as ET
            for host in ET.parse(sys.argv[1]).getroot().iter('host'):
                address = host.find('address').get('addr')
                assert host.find('status') is not None
                for port in host.iter('port'):
                    state, service = port.find('state'), port.find('service')
                    print(address, port.get('protocol'), port.get('portid'), state.get('state'), state.get('reason'),
                          service.get('name') if service is not None else '-')
            """
        let outcome = try await run(Paths.python, ["-c", script, path])
        #expect(outcome.status == 0, "\(outcome)")
        return outcome.stdoutText.split(separator: "\n").map(String.init).sorted()
    }

    @Test("a loopback scan's XML validates against nmap.dtd and says, port by port, what nmap -sT -Pn -n -oX says of the same ports")
    func agreesWithNmap() async throws {
        let (server, ports) = try await Self.scanPorts()
        defer { server.kill() }
        let directory = try TemporaryDirectory.make()
        let list = ports.map(String.init).joined(separator: ",")
        let ours = try await run(Paths.sockscope, ["probe", "-oX", directory + "/ours.xml", "127.0.0.1-2", list])
        #expect(ours.status == 0, "\(ours)")
        #expect(ours.stdoutText.contains("1 open"), "the table still goes to stdout: \(ours.stdoutText)")
        let valid = try await run(Paths.xmllint, ["--noout", "--dtdvalid", Self.dtd, directory + "/ours.xml"])
        #expect(valid.status == 0, "\(valid)")
        let nmap = try await run("/usr/bin/nmap", ["-sT", "-Pn", "-n", "-p", list, "-oX", directory + "/nmap.xml", "127.0.0.1-2"], timeout: .seconds(60))
        #expect(nmap.status == 0, "\(nmap)")
        let mine = try await Self.ports(directory + "/ours.xml")
        #expect(mine.count == 6, "\(mine)")
        #expect(mine == (try await Self.ports(directory + "/nmap.xml")))
        // -oX -: the XML alone on stdout.
        let toStdout = try await run(Paths.sockscope, ["probe", "-oX", "-", "127.0.0.1", list])
        #expect(toStdout.stdoutText.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>"), "\(toStdout)")
        #expect(toStdout.stdoutText.hasSuffix("</runstats>\n</nmaprun>\n"), "\(toStdout)")
    }

    @Test("ndiff compares two of our files and names the port that changed; python3-libnmap reads hosts, ports, states and reasons")
    func nmapTools() async throws {
        let (server, ports) = try await Self.scanPorts()
        let directory = try TemporaryDirectory.make()
        let list = ports.map(String.init).joined(separator: ",")
        _ = try await run(Paths.sockscope, ["probe", "-oX", directory + "/before.xml", "127.0.0.1", list])
        server.kill()
        _ = try await server.finish(timeout: .seconds(5))
        _ = try await run(Paths.sockscope, ["probe", "-oX", directory + "/after.xml", "127.0.0.1", list])
        let diff = try await run("/usr/bin/ndiff", [directory + "/before.xml", directory + "/after.xml"])
        #expect(diff.status == 1, "ndiff: 1 when the scans differ: \(diff)")
        #expect(diff.stdoutText.contains("-\(ports[0])/tcp open") && diff.stdoutText.contains("+\(ports[0])/tcp closed"), "\(diff.stdoutText)")
        let script = """
            import sys
            from libnmap.parser import NmapParser
            report = NmapParser.parse_fromfile(sys.argv[1])
            for host in report.hosts:
                for service in host.services:
                    print(host.address, host.status, service.port, service.protocol, service.state, service.reason)
            """
        let parsed = try await run(Paths.python, ["-c", script, directory + "/before.xml"])
        #expect(parsed.stdoutText.contains("127.0.0.1 up \(ports[0]) tcp open syn-ack"), "\(parsed)")
        #expect(parsed.stdoutText.contains("127.0.0.1 up 9 tcp closed conn-refused"), "\(parsed)")
    }

    @Test(
        "-oG: the host lines nmap -sT -Pn -n -oG writes for the same scan, line for line — a state over 25 ports summed up as Ignored State — and extraports in the XML"
    )
    func grepableAgreesWithNmap() async throws {
        let (server, ports) = try await Self.scanPorts()
        defer { server.kill() }
        let directory = try TemporaryDirectory.make()
        let many = try freePort()
        for list in [ports.map(String.init).joined(separator: ","), "\(ports[0]),\(many)-\(many + 30)"] {
            let ours = try await run(Paths.sockscope, ["probe", "-oG", "-", "-oX", directory + "/ours.xml", "127.0.0.1-2", list])
            let nmap = try await run("/usr/bin/nmap", ["-sT", "-Pn", "-n", "-p", list, "-oG", "-", "-oX", directory + "/nmap.xml", "127.0.0.1-2"])
            let hostLines = { (text: String) in text.split(separator: "\n").filter { !$0.hasPrefix("#") } }
            #expect(hostLines(ours.stdoutText) == hostLines(nmap.stdoutText), "\(ours.stdoutText)\n\(nmap.stdoutText)")
            #expect(ours.stdoutText.hasPrefix("# Nmap 7.93 scan initiated ") && ours.stdoutText.contains("\n# Nmap done at "), "\(ours.stdoutText)")
            let valid = try await run(Paths.xmllint, ["--noout", "--dtdvalid", Self.dtd, directory + "/ours.xml"])
            #expect(valid.status == 0, "\(valid)")
            let extraports = { (path: String) async throws in
                try await run("/usr/bin/grep", ["-o", "<extraports [^>]*>\\|<extrareasons [^>]*>", path]).stdoutText
            }
            #expect(try await extraports(directory + "/ours.xml") == (try await extraports(directory + "/nmap.xml")))
        }
    }

    @Test("-oA BASENAME: BASENAME.xml (valid), BASENAME.gnmap and BASENAME.nmap (what stdout got, without colour), as nmap -oA")
    func allFormats() async throws {
        let (server, ports) = try await Self.scanPorts()
        defer { server.kill() }
        let base = try TemporaryDirectory.make() + "/scan"
        let list = ports.map(String.init).joined(separator: ",")
        let outcome = try await run(Paths.sockscope, ["probe", "-oA", base, "127.0.0.1", list])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(String(decoding: try readFile(base + ".nmap"), as: UTF8.self) == outcome.stdoutText)
        let valid = try await run(Paths.xmllint, ["--noout", "--dtdvalid", Self.dtd, base + ".xml"])
        #expect(valid.status == 0, "\(valid)")
        let grepable = String(decoding: try readFile(base + ".gnmap"), as: UTF8.self)
        #expect(grepable.contains("Host: 127.0.0.1 ()\tPorts: 9/closed/tcp//discard///, "), "\(grepable)")
        #expect(grepable.contains(" \(ports[0])/open/tcp//") && grepable.contains(" \(ports[2])/closed/tcp//"), "\(grepable)")
    }

    @Test("Ctrl-C mid-scan: -oX stays a whole document that validates (exit=\"error\", errormsg \"stopped by SIGINT\"), -oG has its last line, exit 130")
    func interrupted() async throws {
        let directory = try TemporaryDirectory.make()
        let script = """
            \(Paths.sockscope) probe --rate 20 -oX \(directory)/cut.xml -oG \(directory)/cut.gnmap 127.0.0.1-200 9 > /dev/null 2>&1 &
            probe=$!
            # Once the scan has begun (the XML's head is written), however slow the start.
            for i in $(seq 1 200); do grep -q "<debugging" \(directory)/cut.xml 2>/dev/null && break; sleep 0.05; done
            sleep 0.5
            kill -INT $probe
            wait $probe
            echo "rc=$?"
            """
        let outcome = try await run(Paths.sh, ["-c", script])
        #expect(outcome.stdoutText == "rc=130\n", "\(outcome)")
        let valid = try await run(Paths.xmllint, ["--noout", "--dtdvalid", Self.dtd, directory + "/cut.xml"])
        #expect(valid.status == 0, "\(valid)")
        let xml = String(decoding: try readFile(directory + "/cut.xml"), as: UTF8.self)
        #expect(xml.contains("exit=\"error\" errormsg=\"stopped by SIGINT\"") && xml.hasSuffix("</nmaprun>\n"), "\(xml.suffix(300))")
        let grepable = String(decoding: try readFile(directory + "/cut.gnmap"), as: UTF8.self)
        #expect(grepable.split(separator: "\n").last?.hasPrefix("# Nmap done at ") == true, "\(grepable)")
    }

    /// Each `<script>` of an nmap XML file: "PORT ID" → its output, then the elements
    /// inside ("key=text", sorted).
    static func scripts(_ path: String) async throws -> [String: [String]] {
        let script = """
            import sys, json, xml.etree.ElementTree as ET
            out = {}
            for port in ET.parse(sys.argv[1]).getroot().iter('port'):
                for s in port.iter('script'):
                    elems = sorted((e.get('key') or '') + '=' + (e.text or '') for e in s.iter('elem'))
                    out[port.get('portid') + ' ' + s.get('id')] = [s.get('output')] + elems
            print(json.dumps(out))
            """
        let outcome = try await run(Paths.python, ["-c", script, path])
        #expect(outcome.status == 0, "\(outcome)")
        let object = try JSONSerialization.jsonObject(with: Data(outcome.stdoutText.utf8))
        return object as? [String: [String]] ?? [:]
    }

    @Test(
        "--banner and --tls in the XML: <script id=\"banner\"> and <script id=\"ssl-cert\"> say what nmap --script banner,ssl-cert says of the same ports (output and elements), and the file validates"
    )
    func scriptsAgreeWithNmap() async throws {
        let certs = try await TLSTests.certificates()
        let tlsPort = try freePort()
        let tlsServer = try BackgroundProcess(
            Paths.openssl,
            ["s_server", "-quiet", "-naccept", "10", "-accept", "127.0.0.1:\(tlsPort)", "-cert", "\(certs)/leaf.pem", "-key", "\(certs)/leaf.key"],
            stdinPath: "/dev/null")
        defer { tlsServer.kill() }
        // A service whose first words hold control bytes, a high byte and XML's specials,
        // longer than banner.nse shows (cut at an escape, "...", lines of 63 and 71).
        let banner = try BackgroundProcess(
            Paths.python,
            [
                "-c",
                """
                import socket, time
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(8)
                print("listening on 127.0.0.1:%d" % s.getsockname()[1], flush=True)
                for _ in range(6):
                    c, _ = s.accept()
                    try: c.sendall(b"  SSH-2.0-Test\\x01\\xff <&\\"x\\"> " + b"y" * 100 + b"\\x01\\x02 the rest, past nmap's 135 characters\\r\\n")
                    except OSError: pass
                    time.sleep(0.3); c.close()
                """,
            ])
        defer { banner.kill() }
        let bannerPort = try await banner.announcedPort(inStdout: true)
        for _ in 0..<100 where try await run(Paths.ss, ["-Htln", "sport = :\(tlsPort)"]).stdoutText.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        let directory = try TemporaryDirectory.make()
        let ours = try await run(Paths.sockscope, ["probe", "--tls", "--banner", "-oX", directory + "/ours.xml", "127.0.0.1", "\(tlsPort),\(bannerPort)"])
        #expect(ours.status == 0, "\(ours)")
        let valid = try await run(Paths.xmllint, ["--noout", "--dtdvalid", Self.dtd, directory + "/ours.xml"])
        #expect(valid.status == 0, "\(valid)")
        // nmap's own scripts (forced with +: its port rules want a known TLS port).
        let nmap = try await run(
            "/usr/bin/nmap",
            ["-sT", "-Pn", "-n", "-p", "\(tlsPort),\(bannerPort)", "--script", "+ssl-cert,+banner", "-oX", directory + "/nmap.xml", "127.0.0.1"],
            timeout: .seconds(60))
        #expect(nmap.status == 0, "\(nmap)")
        let mine = try await Self.scripts(directory + "/ours.xml")
        let theirs = try await Self.scripts(directory + "/nmap.xml")
        #expect(mine.keys.sorted() == ["\(tlsPort) ssl-cert", "\(bannerPort) banner"].sorted(), "\(mine)")
        #expect(mine["\(bannerPort) banner"] == theirs["\(bannerPort) banner"], "ours \(mine)\nnmap's \(theirs)")
        // ssl-cert: the same output text; every element we give is nmap's (it adds the
        // RSA modulus, exponent and the extensions).
        let ourCert = try #require(mine["\(tlsPort) ssl-cert"])
        let theirCert = try #require(theirs["\(tlsPort) ssl-cert"])
        #expect(ourCert.first == theirCert.first, "ours \(ourCert.first ?? "")\nnmap's \(theirCert.first ?? "")")
        for element in ourCert.dropFirst() { #expect(theirCert.dropFirst().contains(element), "\(element) is not nmap's") }
        #expect(ourCert.contains { $0.hasPrefix("pem=-----BEGIN CERTIFICATE-----") } && ourCert.contains { $0.hasPrefix("md5=") }, "\(ourCert)")
    }

    @Test(
        "-oX's usage errors",
        arguments: [
            (["probe", "-oX", "-", "--json", "127.0.0.1", "9"], "-oX and --json would all write to stdout"),
            (["probe", "-oX", "-", "-oG", "-", "127.0.0.1", "9"], "-oX and -oG would all write to stdout"),
            (["probe", "-oA", "scan", "--json", "127.0.0.1", "9"], "-oA writes the XML, the grepable format and the table (.nmap): drop --json"),
            (["probe", "-oA", "-", "127.0.0.1", "9"], "-oA takes a base name for three files, not stdout"),
            (["probe", "--resume", "state", "--pcap-out", "x.pcap", "127.0.0.1", "9"], "a capture cannot be continued"),
            (["probe", "--resume", "/nonexistent/state"], "/nonexistent/state does not exist: give the targets and ports"),
            (["probe"], "give the targets and the ports"),
            (["probe", "-oX", "x.xml", "-c", "2", "127.0.0.1", "9"], "-oX is for scans"),
            (["probe", "-oX", "/nonexistent/x.xml", "127.0.0.1", "9"], "cannot create /nonexistent/x.xml (-oX)"),
            (["probe", "-oA", "/nonexistent/x", "127.0.0.1", "9"], "cannot create /nonexistent/x.xml (-oA)"),
        ])
    func usage(arguments: [String], message: String) async throws {
        let outcome = try await run(Paths.sockscope, arguments)
        #expect(outcome.status == (message.hasPrefix("cannot create") ? 73 : 64), "\(outcome)")
        #expect(outcome.stderr.contains(message), "\(message) in \(outcome.stderr)")
    }
}
