import Foundation
import Testing

/// `probe --diff OLD`: what changed since an earlier scan, against ndiff on the same two
/// scans; banners and certificates that changed; the exit status cron reads.
@Suite("probe --diff", .serialized)
struct ProbeDiffTests {
    /// ndiff's changed ports between two XML files: "ADDRESS PORT/PROTO OLD NEW".
    static func ndiffChanges(_ old: String, _ new: String) async throws -> Set<String> {
        let outcome = try await run("/usr/bin/ndiff", [old, new])
        var host = ""
        var removed: [String: String] = [:]
        var changes: Set<String> = []
        for line in outcome.stdoutText.split(separator: "\n") {
            if line.hasSuffix(":"), !line.hasPrefix("-"), !line.hasPrefix("+") { host = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces) }
            let fields = line.dropFirst().split(separator: " ")
            guard fields.count >= 2, fields[0].contains("/"), line.first == "-" || line.first == "+" else { continue }
            if line.first == "-" {
                removed[String(fields[0])] = String(fields[1])
            } else {
                changes.insert("\(host) \(fields[0]) \(removed[String(fields[0])] ?? "none") \(fields[1])")
            }
        }
        return changes
    }

    @Test("two scans a port apart: --diff OLD (XML or JSON Lines) names the ports ndiff names, with the same states; exit 1; against itself nothing, exit 0")
    func agreesWithNdiff() async throws {
        let directory = try TemporaryDirectory.make()
        let (first, second, third) = (try freePort(), try freePort(), try freePort())
        let ports = "\(first),\(second),\(third),9"
        let before = try BackgroundProcess(Paths.python, [Paths.peer("listeners.py"), "--host", "127.0.0.2", "\(first)", "\(third)"])
        _ = try await before.waitForLine(containing: "ready", inStdout: true)
        let old = try await run(Paths.sockscope, ["probe", "--json", "-oX", directory + "/old.xml", "127.0.0.1-3", ports])
        try writeFile(directory + "/old.jsonl", Array(old.stdoutText.utf8))
        before.kill()
        _ = try? await before.finish(timeout: .seconds(5))
        let after = try BackgroundProcess(Paths.python, [Paths.peer("listeners.py"), "--host", "127.0.0.3", "\(second)"])
        defer { after.kill() }
        _ = try await after.waitForLine(containing: "ready", inStdout: true)
        let text = try await run(Paths.sockscope, ["probe", "--diff", directory + "/old.xml", "-oX", directory + "/new.xml", "127.0.0.1-3", ports])
        #expect(text.status == 1, "\(text)")
        var ours: Set<String> = []
        for line in text.stdoutText.split(separator: "\n") where line.contains(" → ") {
            let parts = line.replacingOccurrences(of: ":", with: "").replacingOccurrences(of: " →", with: "").split(separator: " ")
            ours.insert(parts.joined(separator: " "))
        }
        let theirs = try await Self.ndiffChanges(directory + "/old.xml", directory + "/new.xml")
        #expect(ours.count == 3 && ours == theirs, "ours \(ours)\nndiff \(theirs)\n\(text)")
        #expect(text.stdoutText.hasSuffix("3 changes since \(directory)/old.xml (3 state) in 12 ports compared\n"), "\(text)")
        let json = try await run(Paths.sockscope, ["probe", "--json", "--diff", directory + "/old.jsonl", "127.0.0.1-3", ports])
        #expect(json.status == 1, "\(json)")
        let records = json.stdoutText.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let fromJSON = Set(records.map { "\($0["peer_address"] ?? "") \($0["peer_port"] ?? "")/tcp \($0["old"] ?? "") \($0["new"] ?? "")" })
        #expect(records.allSatisfy { $0["type"] as? String == "port_change" } && fromJSON == theirs, "\(fromJSON) \(theirs)")
        try writeFile(directory + "/changes.jsonl", Array(json.stdoutText.utf8))
        let schema = try await run(
            Paths.python, [Paths.peer("validate_json.py"), Paths.packageRoot + "/schema/sockscope.schema.json", directory + "/changes.jsonl"])
        #expect(schema.status == 0, "\(schema)")
        let same = try await run(Paths.sockscope, ["probe", "--diff", directory + "/new.xml", "127.0.0.1-3", ports])
        #expect(same.status == 0 && same.stdoutText == "0 changes since \(directory)/new.xml in 12 ports compared\n", "\(same)")
    }

    @Test("a banner that changed (--banner, old JSON Lines and XML) and a certificate that changed (--tls: SHA-256 from JSON, SHA-1 from XML) are changes")
    func bannersAndCertificates() async throws {
        let certs = try await TLSTests.certificates()
        let directory = try TemporaryDirectory.make()
        let (bannerPort, tlsPort) = (try freePort(), try freePort())
        func serve(_ greeting: String, certificate: String) throws -> [BackgroundProcess] {
            let banner = try BackgroundProcess(
                Paths.python,
                [
                    "-c",
                    "import socket,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('127.0.0.1',\(bannerPort)));s.listen(8)\nprint('ready',flush=True)\nwhile True:\n c,_=s.accept()\n try: c.sendall(b'\(greeting)\\r\\n')\n except OSError: pass\n time.sleep(0.2);c.close()",
                ])
            let tls = try BackgroundProcess(
                Paths.openssl,
                ["s_server", "-quiet", "-accept", "127.0.0.1:\(tlsPort)", "-cert", "\(certs)/\(certificate).pem", "-key", "\(certs)/\(certificate).key"],
                stdinPath: "/dev/null")
            return [banner, tls]
        }
        func waitFor() async throws {
            for port in [bannerPort, tlsPort] {
                for _ in 0..<100 where try await run(Paths.ss, ["-Htln", "sport = :\(port)"]).stdoutText.isEmpty {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
        let ports = "\(bannerPort),\(tlsPort)"
        let first = try serve("SSH-2.0-OpenSSH_9.2", certificate: "leaf")
        try await waitFor()
        let old = try await run(Paths.sockscope, ["probe", "--json", "--banner", "--tls", "-oX", directory + "/old.xml", "127.0.0.1", ports])
        try writeFile(directory + "/old.jsonl", Array(old.stdoutText.utf8))
        for process in first { process.kill() }
        for process in first { _ = try? await process.finish(timeout: .seconds(5)) }
        let second = try serve("SSH-2.0-OpenSSH_9.6", certificate: "expired")
        defer { for process in second { process.kill() } }
        try await waitFor()
        for old in ["old.jsonl", "old.xml"] {
            let diff = try await run(Paths.sockscope, ["probe", "--banner", "--tls", "--diff", directory + "/" + old, "127.0.0.1", ports])
            #expect(diff.status == 1, "\(diff)")
            #expect(diff.stdoutText.contains("127.0.0.1 \(bannerPort)/tcp: banner SSH-2.0-OpenSSH_9.2"), "\(old): \(diff)")
            #expect(diff.stdoutText.contains("→ SSH-2.0-OpenSSH_9.6"), "\(old): \(diff)")
            #expect(diff.stdoutText.contains("127.0.0.1 \(tlsPort)/tcp: certificate \(old.hasSuffix("xml") ? "sha1:" : "sha256:")"), "\(old): \(diff)")
            #expect(diff.stdoutText.hasSuffix("2 changes since \(directory)/\(old) (1 banner, 1 certificate) in 2 ports compared\n"), "\(diff)")
        }
    }

    @Test(
        "--diff's refusals",
        arguments: [
            (["probe", "--diff", "old.xml", "-oX", "-", "127.0.0.1", "9"], "--diff prints the changes on stdout: give -oX and -oG a file", 64),
            (["probe", "--diff", "old.xml", "--resume", "state", "127.0.0.1", "9"], "--diff compares a whole scan in one run", 64),
            (["probe", "--diff", "/nonexistent/old.xml", "127.0.0.1", "9"], "cannot read /nonexistent/old.xml", 74),
        ])
    func refusals(arguments: [String], message: String, status: Int32) async throws {
        let outcome = try await run(Paths.sockscope, arguments)
        #expect(outcome.status == status && outcome.stderr.contains(message), "\(outcome)")
    }
}
