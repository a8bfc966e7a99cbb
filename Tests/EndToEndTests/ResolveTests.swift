import Glibc
import Testing

/// `resolve` against oracles we did not write — Python's socket module and getent —
/// on the same names and flags, in a lookup sandbox (private /etc/hosts,
/// `hosts: files`, no network), so no lookup leaves the machine.
@Suite("resolve", .enabled(if: Paths.isRoot, "skipped: needs root for the mount namespace that keeps lookups on this machine"))
struct ResolveTests {
    static let machine: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    static let hosts = """
        127.0.0.1 localhost
        ::1 localhost ip6-localhost
        127.0.1.1 \(machine).example.test \(machine)
        10.77.0.5 multi.test m1 m2
        10.77.0.6 multi.test
        fd00::5 multi.test
        10.77.0.9 v4only.test

        """

    /// Runs sockscope and the oracle in one sandbox; returns (ours, theirs) as lines.
    private func compare(_ ours: String, _ theirs: String) async throws -> (ours: [String], theirs: [String], outcome: Outcome) {
        let command = "\(Paths.sockscope) \(ours) || true; echo ===; \(Paths.python) \(Paths.peer("resolver_oracle.py")) \(theirs)"
        let outcome = try await inLookupSandbox(command, netns: true, hosts: Self.hosts)
        let halves = outcome.stdoutText.split(separator: "===\n", omittingEmptySubsequences: false)
        guard halves.count == 2 else { return ([], [], outcome) }
        return (halves[0].split(separator: "\n").map(String.init), halves[1].split(separator: "\n").map(String.init), outcome)
    }

    /// Our --json line reduced to the oracle's words: family type protocol address port canonname.
    private func words(_ line: String) -> String {
        func field(_ name: String) -> String {
            guard let range = line.firstRange(of: "\"\(name)\":") else { return "?" }
            let rest = line[range.upperBound...]
            if rest.hasPrefix("null") { return "-" }
            if rest.hasPrefix("\"") { return String(rest.dropFirst().prefix(while: { $0 != "\"" })) }
            return String(rest.prefix(while: { $0 != "," && $0 != "}" }))
        }
        return ["family", "socket_type", "protocol", "address", "port", "canonname"].map(field).joined(separator: " ")
    }

    @Test(
        "getaddrinfo: the same entries, in the same order, as Python's socket.getaddrinfo",
        arguments: [
            ("resolve --json localhost", "getaddrinfo localhost - unspec 0 AI_CANONNAME"),
            ("resolve --json --type stream multi.test http", "getaddrinfo multi.test http unspec stream AI_CANONNAME"),
            ("resolve --json -4 multi.test", "getaddrinfo multi.test - inet 0 AI_CANONNAME"),
            ("resolve --json -6 --v4mapped v4only.test", "getaddrinfo v4only.test - inet6 0 AI_CANONNAME,AI_V4MAPPED"),
            ("resolve --json -6 --v4mapped --ai-all multi.test", "getaddrinfo multi.test - inet6 0 AI_CANONNAME,AI_V4MAPPED,AI_ALL"),
            ("resolve --json -6 --v4mapped --all multi.test", "getaddrinfo multi.test - inet6 0 AI_CANONNAME,AI_V4MAPPED,AI_ALL"),
            ("resolve --json --passive --type stream '' 8080", "getaddrinfo - 8080 unspec stream AI_PASSIVE"),
            ("resolve --json --numeric-host --type dgram ::1 53", "getaddrinfo ::1 53 unspec dgram AI_CANONNAME,AI_NUMERICHOST"),
            ("resolve --json 127.0.0.1 ssh", "getaddrinfo 127.0.0.1 ssh unspec 0 AI_CANONNAME"),
        ])
    func matchesPython(ours: String, theirs: String) async throws {
        let result = try await compare(ours, theirs)
        #expect(result.outcome.status == 0, "\(result.outcome)")
        #expect(!result.theirs.isEmpty)
        #expect(result.ours.map(words) == result.theirs, "ours: \(result.ours)\ntheirs: \(result.theirs)")
    }

    @Test("getaddrinfo agrees with getent ahosts on the addresses and their order")
    func matchesGetent() async throws {
        let outcome = try await inLookupSandbox(
            "\(Paths.sockscope) resolve --json multi.test; echo ===; getent ahosts multi.test", netns: true, hosts: Self.hosts)
        let halves = outcome.stdoutText.split(separator: "===\n")
        #expect(halves.count == 2, "\(outcome)")
        guard halves.count == 2 else { return }
        let ours = halves[0].split(separator: "\n").map { line -> String in
            let parts = words(String(line)).split(separator: " ")
            return "\(parts[3]) \(parts[1].dropFirst(5))"  // address and STREAM/DGRAM/RAW
        }
        let theirs = halves[1].split(separator: "\n").map { line -> String in
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            return "\(parts[0]) \(parts[1])"
        }
        #expect(ours == theirs, "ours: \(ours), getent: \(theirs)")
        #expect(ours.first?.hasPrefix("fd00::5") == true || ours.first?.hasPrefix("10.77.0.5") == true)
    }

    @Test("--gethostbyname agrees with Python's gethostbyname_ex (official name, aliases, addresses)")
    func legacy() async throws {
        let result = try await compare("resolve --json --gethostbyname multi.test", "gethostbyname_ex multi.test")
        let line = try #require(result.ours.first)
        #expect(line.contains("\"official_name\":\"multi.test\""))
        #expect(line.contains("\"aliases\":[\"m1\",\"m2\"]"))
        #expect(line.contains("\"addresses\":[\"10.77.0.5\",\"10.77.0.6\"]"))
        #expect(result.theirs == ["multi.test m1,m2 10.77.0.5,10.77.0.6"], "\(result.theirs)")
    }

    @Test("--fqdn equals Python's socket.getfqdn()")
    func fqdn() async throws {
        let result = try await compare("resolve --fqdn", "getfqdn")
        let theirs = try #require(result.theirs.first).split(separator: " ")
        #expect(result.ours == ["hostname  \(theirs[0])", "fqdn      \(theirs[1])"], "\(result.ours) vs \(theirs)")
        #expect(theirs[1] == "\(Self.machine).example.test")
    }

    @Test("--reverse agrees with Python's getnameinfo, says so when there is no name, EAI_NONAME with --name-required")
    func reverse() async throws {
        var result = try await compare("resolve --reverse 10.77.0.5", "getnameinfo 10.77.0.5")
        #expect(result.ours == ["10.77.0.5  \(try #require(result.theirs.first))"])
        #expect(result.theirs == ["multi.test"])
        result = try await compare("resolve --reverse 10.99.0.1", "getnameinfo 10.99.0.1")
        // getnameinfo gives the address back; we say there is no name (and exit 1).
        #expect(result.ours.count == 1 && result.ours.first?.hasPrefix("10.99.0.1  (no name") == true && result.theirs == ["10.99.0.1"], "\(result.ours)")
        let required = try await inLookupSandbox("exec \(Paths.sockscope) resolve --reverse 10.99.0.1 --name-required", netns: true, hosts: Self.hosts)
        #expect(required.status == 68, "\(required)")
        #expect(required.stderr.contains("EAI_NONAME"))
        result = try await compare("resolve --reverse 10.99.0.1 --name-required", "getnameinfo 10.99.0.1 NI_NAMEREQD")
        #expect(result.theirs == ["gaierror -2"], "Python agrees: EAI_NONAME is -2")
    }

    @Test("service lookups agree with getent services")
    func services() async throws {
        let outcome = try await inLookupSandbox(
            """
            \(Paths.sockscope) resolve --service ssh; getent services ssh
            \(Paths.sockscope) resolve --port 53/udp; getent services 53/udp
            """, netns: true, hosts: Self.hosts)
        let lines = outcome.stdoutText.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).prefix(2).joined(separator: " ") }
        #expect(lines.count == 4, "\(outcome)")
        #expect(lines.count == 4 && lines[0] == lines[1] && lines[2] == lines[3], "\(lines)")
        let missing = try await inLookupSandbox("exec \(Paths.sockscope) resolve --service nosuchservice", netns: true, hosts: Self.hosts)
        #expect(missing.status == 1, "\(missing)")
    }

    @Test("errors: EAI codes by name, 68 for no such name, 75 for a name server that does not answer, 64 for malformed names")
    func errors() async throws {
        let unknown = try await inLookupSandbox("exec \(Paths.sockscope) resolve nosuch.test", netns: true, hosts: Self.hosts)
        #expect(unknown.status == 68)
        #expect(unknown.stderr.contains("EAI_NONAME (Name or service not known)"), "\(unknown.stderr)")

        // DNS asked (hosts: files dns) but the name server at 127.0.0.1 is not there: EAI_AGAIN.
        let again = try await inLookupSandbox(
            "exec \(Paths.sockscope) resolve nosuch.test", netns: true, hosts: Self.hosts,
            nsswitch: "hosts: files dns\n")
        #expect(again.status == 75, "\(again)")
        #expect(again.stderr.contains("EAI_AGAIN (Temporary failure in name resolution)"))

        let service = try await inLookupSandbox("exec \(Paths.sockscope) resolve localhost nosuchservice", netns: true, hosts: Self.hosts)
        #expect(service.status == 64, "\(service)")
        #expect(service.stderr.contains("EAI_SERVICE"))

        for (arguments, message) in [
            (["resolve", ""], "empty host name"),
            (["resolve", String(repeating: "a.", count: 127)], "at most 253"),
            (["resolve", String(repeating: "b", count: 64) + ".test"], "at most 63"),
            (["resolve", "--name-required", "x"], "--name-required goes with --reverse"),
            (["resolve", "--reverse", "not-an-address"], "numeric IPv4 or IPv6"),
        ] {
            let outcome = try await run(Paths.sockscope, arguments)
            #expect(outcome.status == 64, "\(arguments): \(outcome)")
            #expect(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
        }
    }
}
