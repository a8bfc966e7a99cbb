import Foundation
import Glibc
import Testing

/// `probe --banner` and `--banner-send`: what open ports say first, from Python servers
/// and real daemons the test starts on loopback (sshd, redis-server).
@Suite("probe --banner")
struct ProbeBannerTests {
    /// The banner records of `probe --json`, by port.
    static func banners(_ outcome: Outcome) throws -> [Int: String?] {
        var banners: [Int: String?] = [:]
        for line in outcome.stdoutText.split(separator: "\n") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard let port = record["peer_port"] as? Int, record.keys.contains("banner") else { continue }
            banners[port] = record["banner"] as? String
        }
        return banners
    }

    @Test("a two-line SMTP greeting (escaped, both lines), an HTTP answer to --banner-send, nothing from a silent port; JSON banner field")
    func pythonServers() async throws {
        let servers = try BackgroundProcess(Paths.python, [Paths.peer("banner_servers.py")])
        defer { servers.kill() }
        let line = try await servers.waitForLine(containing: " ", inStdout: true)
        let ports = line.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(ports.count == 3, "\(line)")
        let (smtp, http, silent) = (ports[0], ports[1], ports[2])

        let text = try await sockscope("probe", "--banner", "--timeout", "2", "127.0.0.1", "\(smtp),\(silent)")
        #expect(text.status == 0, "\(text)")
        #expect(text.stdoutText.contains("banner 220-mail.test ESMTP\\r\\n220 ready\\r\\n"), "\(text.stdoutText)")
        #expect(text.stdoutText.components(separatedBy: "banner ").count == 2, "the silent port shows none: \(text.stdoutText)")
        // The silent port's banner was waited for 2 s: the total says so (it said 0.00 s).
        let total = try #require(text.stdoutText.split(separator: "\n").last { $0.contains(" in ") }, "\(text.stdoutText)")
        let seconds = Double(total.components(separatedBy: " in ").last?.split(separator: " ").first ?? "") ?? 0
        #expect(seconds >= 1.9, "\(total)")

        let json = try await sockscope("probe", "--json", "--banner", "--timeout", "2", "127.0.0.1", "\(smtp),\(silent)")
        let banners = try Self.banners(json)
        #expect(banners[smtp] == .some("220-mail.test ESMTP\\r\\n220 ready\\r\\n") && banners[silent] == .some(nil), "\(banners)")

        let sent = try await sockscope("probe", "--json", "--banner-send", "HEAD / HTTP/1.0\\r\\n\\r\\n", "127.0.0.1", "\(http)")
        #expect(try Self.banners(sent)[http] == .some("HTTP/1.0 200 OK\\r\\nServer: banner-test\\r\\n\\r\\n"), "\(sent)")
        let plain = try await sockscope("probe", "--json", "--banner", "--timeout", "0.3", "127.0.0.1", "\(http)")
        #expect(try Self.banners(plain)[http] == .some(nil), "HTTP says nothing unasked: \(plain)")
    }

    @Test("usage: --banner with -u, --proxy or --count; a bad escape in --banner-send")
    func usage() async throws {
        try await expectFailure(["probe", "-u", "--banner", "127.0.0.1", "53"], "--banner reads what TCP ports say")
        try await expectFailure(["probe", "--proxy", "socks5://127.0.0.1:1", "--banner", "127.0.0.1", "80"], "--banner is for probes sockscope sends itself")
        try await expectFailure(["probe", "-c", "2", "--banner", "127.0.0.1", "80"], "--banner is for scans")
        try await expectFailure(["probe", "--banner-send", "x\\q", "127.0.0.1", "80"], "--banner-send knows the escapes")
        try await expectFailure(["probe", "--banner-send", "\\xZZ", "127.0.0.1", "80"], "\\x takes two hex digits")
    }

    @Test(
        "real daemons: sshd -D -p on loopback says its SSH-2.0 version first; redis-server answers an unknown command with -ERR",
        .enabled(
            if: Paths.isRoot && access("/usr/sbin/sshd", X_OK) == 0 && access("/usr/bin/redis-server", X_OK) == 0,
            "skipped: needs root and openssh-server and redis-server (make test installs them)"))
    func daemons() async throws {
        let directory = try TemporaryDirectory.make()
        let keygen = try await run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory + "/host_key"])
        try #require(keygen.status == 0, "\(keygen)")
        _ = try await run("/bin/mkdir", ["-p", "/run/sshd"])  // sshd's privilege-separation directory
        let sshPort = try freePort()
        let sshd = try BackgroundProcess(
            "/usr/sbin/sshd", ["-D", "-e", "-f", "/dev/null", "-h", directory + "/host_key", "-p", "\(sshPort)", "-o", "ListenAddress=127.0.0.1"])
        defer { sshd.kill() }
        _ = try await sshd.waitForLine(containing: "Server listening on 127.0.0.1", inStdout: false)
        let ssh = try await sockscope("probe", "--json", "--banner", "127.0.0.1", "\(sshPort)")
        let sshBanner = try Self.banners(ssh)[Int(sshPort)] ?? nil
        #expect(sshBanner?.hasPrefix("SSH-2.0-OpenSSH_") == true && sshBanner?.hasSuffix("\\r\\n") == true, "\(ssh)")

        let redisPort = try freePort()
        let redis = try BackgroundProcess(
            "/usr/bin/redis-server", ["--port", "\(redisPort)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory])
        defer { redis.kill() }
        _ = try await redis.waitForLine(containing: "Ready to accept connections", inStdout: true)
        let answered = try await sockscope("probe", "--banner-send", "FOO\\r\\n", "127.0.0.1", "\(redisPort)")
        #expect(answered.status == 0 && answered.stdoutText.contains("banner -ERR unknown command 'FOO'"), "\(answered)")
    }
}
