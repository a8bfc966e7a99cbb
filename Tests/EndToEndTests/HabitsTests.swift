import Glibc
import Testing

/// What people arriving from nc, ncat, nmap and ss type, and the small truths they
/// read back: exit codes by the table, answers for their habits, help and completion,
/// `sockets -p`.
@Suite("nc, ncat, nmap and ss habits")
struct HabitsTests {
    @Test(
        "habits from other tools get a usage error that says what to type",
        arguments: [
            (["conect", "127.0.0.1", "9"], "no command 'conect' (did you mean 'connect'?)"),
            (["help", "nosuch"], "no command 'nosuch'; the commands: connect, listen"),
            (["connect", "-z", "127.0.0.1", "9"], "use 'sockscope probe HOST PORTS'"),
            (["connect", "--ssl-trustfile", "ca.pem", "127.0.0.1", "9"], "--ssl-trustfile is ncat's: with sockscope give --ca-file FILE (with --tls)"),
            (["listen", "--ssl", "--ssl-cert=c.pem", "9"], "--ssl-cert is ncat's: with sockscope give --cert FILE (with --tls)"),
            (["connect", "[::1", "9"], "brackets go around a whole IPv6 address"),
            (["connect", "-zv", "127.0.0.1", "9"], "-zv is nc's port scan: use 'sockscope probe HOST PORTS'"),
            (["listen", "-vz", "9"], "-vz is nc's port scan"),
            (["probe", "-zv", "127.0.0.1", "9"], "probe is nc -z already: leave out -zv; it reports every port it was asked about"),
            (["probe", "-z", "127.0.0.1", "9"], "probe is nc -z already: leave out -z (for example"),
            (["connect", "/tmp/app.sock"], "'/tmp/app.sock' is a path: connect to a Unix socket with -U /tmp/app.sock"),
            (["probe", "-p", "80", "127.0.0.1", "81"], "the ports are given twice: -p 80 and 81"),
            (["probe", "--resume", "/tmp/no-such-scan.json", "-p", "80"], "alone continues the scan it records, with its ports: drop -p"),
            (["resolve", "--reverse"], "--reverse takes one address"),
            (["tap", "-t", "--time", "delta"], "-t and --time both choose the time form"),
            (["tap", "-tttttt"], "-t is tcpdump's: -t to -ttttt"),
            (["tap", "-q", "--summary"], "-q shortens the packet lines; --summary prints none"),
            (["send", "127.0.0.1:9", "one", "two"], "send 127.0.0.1:9 takes one MESSAGE after it"),
            (["resolve", "--service", "22"], "--service looks up a name; for the service on port 22 give --port 22"),
            (["resolve", "--port", "ssh/tcp"], "--port takes a number; for the service named 'ssh' give --service ssh/tcp"),
        ])
    func habits(arguments: [String], message: String) async throws {
        try await expectFailure(arguments, message)
    }

    @Test("connect HOST:PORT and [V6]:PORT, as nc and URLs write them")
    func hostColonPort() async throws {
        for (host, address) in [("127.0.0.1", "127.0.0.1:"), ("::1", "[::1]:")] {
            let server = try BackgroundProcess(Paths.sockscope, ["listen", "--upper", host, "0"])
            defer { server.kill() }
            let port = try await server.announcedPort()
            let outcome = try await sockscope("connect", "\(address)\(port)", input: Array("hi".utf8))
            #expect(outcome.status == 0 && outcome.stdoutText == "HI", "\(outcome)")
        }
    }

    @Test("exit codes by the table: no socket matched 1, an uncreatable -o 73, a missing directory or a non-socket file under -U 64")
    func exitCodes() async throws {
        let none = try await sockscope("sockets", "--port", "\(try freePort())")
        #expect(none.status == 1, "\(none)")
        #expect(none.stdoutText.contains("0 sockets"))

        let uncreatable = try await sockscope("connect", "-o", "/nonexistent-dir/traffic", "127.0.0.1", "9")
        #expect(uncreatable.status == 73, "\(uncreatable)")
        #expect(uncreatable.stderr.contains("cannot create /nonexistent-dir/traffic: ENOENT"))

        let missing = try await sockscope("connect", "-U", "/nonexistent-dir/app.sock")
        #expect(missing.status == 64, "\(missing)")
        #expect(missing.stderr.contains("ENOENT") && missing.stderr.contains("the directory /nonexistent-dir does not exist"), "\(missing.stderr)")
        let bindMissing = try await sockscope("listen", "-U", "/nonexistent-dir/app.sock")
        #expect(bindMissing.status == 64 && bindMissing.stderr.contains("the directory /nonexistent-dir does not exist"), "\(bindMissing)")

        let directory = try TemporaryDirectory.make()
        try writeFile(directory + "/plain", Array("not a socket".utf8))
        let regular = try await sockscope("connect", "-U", directory + "/plain")
        #expect(regular.status == 64, "\(regular)")
        #expect(regular.stderr.contains("not a socket") && !regular.stderr.contains("stale"), "\(regular.stderr)")
    }

    @Test(
        "tap: nothing captured in --duration → 1; an uncreatable --pcap-out → 73",
        .enabled(if: Paths.isRoot, "skipped: capturing needs root (CAP_NET_RAW)"))
    func tapExitCodes() async throws {
        let quiet = try await sockscope("tap", "--duration", "0.3", "tcp port \(try freePort())")
        #expect(quiet.status == 1, "\(quiet)")
        let uncreatable = try await sockscope("tap", "--duration", "0.3", "--pcap-out", "/nonexistent-dir/x.pcap", "tcp port 9")
        #expect(uncreatable.status == 73, "\(uncreatable)")
        #expect(uncreatable.stderr.contains("cannot create /nonexistent-dir/x.pcap"), "\(uncreatable.stderr)")
    }

    @Test("nothing came: send --wait, recv -w and broadcast --wait say so and exit 1")
    func nothingCame() async throws {
        let port = try freePort()
        let send = try await sockscope("send", "--wait", "0.3", "127.0.0.1", "\(port)", "anyone?")
        #expect(send.status == 1 && send.stderr.contains("no reply in 0.3 s"), "\(send)")
        let recv = try await sockscope("recv", "-4", "-w", "0.3", "127.0.0.1", "0")
        #expect(recv.status == 1 && recv.stderr.contains("no datagram in 0.3 s"), "\(recv)")
        let broadcast = try await sockscope("broadcast", "--wait", "0.3", "--to", "127.255.255.255", "\(port)", "anyone?")
        #expect(broadcast.status == 1 && broadcast.stderr.contains("no reply in 0.3 s"), "\(broadcast)")
    }

    @Test("resolve --reverse is a flag: --reverse --name-required ADDR and --reverse ADDR --name-required both look up the address")
    func reverseAsFlag() async throws {
        for order in ["--reverse --name-required 127.0.0.1", "--reverse 127.0.0.1 --name-required", "--name-required --reverse 127.0.0.1"] {
            let text = try await inLookupSandbox("exec \(Paths.sockscope) resolve \(order)", netns: true)
            #expect(text.status == 0 && text.stdoutText.contains("127.0.0.1  localhost"), "\(order): \(text)")
        }
        let nameless = try await inLookupSandbox("exec \(Paths.sockscope) resolve --reverse --name-required 10.99.0.7", netns: true)
        #expect(nameless.status == 68, "NI_NAMEREQD: the name does not exist (68): \(nameless)")
    }

    @Test("resolve --reverse of an address with no name says so (exit 1, JSON name null)")
    func reverseWithoutName() async throws {
        let text = try await inLookupSandbox("exec \(Paths.sockscope) resolve --reverse 10.99.0.7", netns: true)
        #expect(text.status == 1, "\(text)")
        #expect(text.stdoutText.contains("10.99.0.7  (no name"), "\(text)")
        let json = try await inLookupSandbox("exec \(Paths.sockscope) resolve --json --reverse 10.99.0.7", netns: true)
        #expect(json.stdoutText.contains("\"address\":\"10.99.0.7\",\"name\":null"), "\(json)")
    }

    @Test("small truths: 1 byte, not 1 bytes; -v on a Unix socket says it sends no FIN")
    func smallTruths() async throws {
        let directory = try TemporaryDirectory.make()
        let path = directory + "/s.sock"
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "--echo", "-U", path])
        defer { server.kill() }
        _ = try await server.waitForLine(containing: "listening on")
        let outcome = try await sockscope("connect", "-v", "-U", path, input: Array("x".utf8))
        #expect(outcome.stderr.contains("sent 1 byte, received 1 byte"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("Unix sockets send no FIN") && !outcome.stderr.contains("(FIN sent)"), "\(outcome.stderr)")
    }

    @Test("help: CMD --help names the program, the top level fits 80 columns, recv shows [ADDR] as optional")
    func help() async throws {
        for command in ["connect", "listen", "sockets", "recv"] {
            let outcome = try await sockscope(command, "--help")
            #expect(outcome.stdoutText.contains("USAGE: sockscope \(command) "), "\(command): \(outcome.stdoutText.prefix(300))")
        }
        #expect(try await sockscope("recv", "--help").stdoutText.contains("USAGE: sockscope recv [<options>] [<addr>] [<port>]"))
        // Every command's usage line fits 80 columns (demo's and merge's listed every option).
        let commands = ["connect", "listen", "forward", "proxy", "send", "recv", "broadcast", "probe", "tap", "sockets", "resolve", "demo", "merge"]
        for command in commands {
            let usage = try await sockscope(command, "--help").stdoutText.split(separator: "\n").first { $0.hasPrefix("USAGE:") } ?? ""
            #expect(!usage.isEmpty && usage.count <= 80, "\(command): \(usage.count) columns: \(usage)")
        }
        let top = try await sockscope("--help").stdoutText
        let long = top.split(separator: "\n").filter { $0.count > 80 }
        #expect(long.isEmpty, "lines over 80 columns: \(long)")
        #expect(top.contains("\n  sockscope listen --upper 127.0.0.1 5599 &\n  echo hi | sockscope connect 127.0.0.1 5599\n"), "examples are whole lines")
    }

    @Test("bash completion: file paths for -U, -o, --pcap-out and --allow-file; the states of sockets --state, UNCONN too")
    func completion() async throws {
        let directory = try TemporaryDirectory.make()
        try writeFile(directory + "/app.sock", [])
        try writeFile(directory + "/allow.txt", [])
        let script = Paths.packageRoot + "/completions/sockscope.bash"
        func complete(_ words: String...) async throws -> [String] {
            let outcome = try await run("/bin/bash", [Paths.peer("complete.sh"), script] + words)
            return outcome.stdoutText.split(separator: "\n").map(String.init)
        }
        #expect(try await complete("sockscope", "connect", "-U", directory + "/ap") == [directory + "/app.sock"])
        #expect(try await complete("sockscope", "listen", "--allow-file", directory + "/al") == [directory + "/allow.txt"])
        #expect(try await complete("sockscope", "connect", "-o", directory + "/al") == [directory + "/allow.txt"])
        #expect(try await complete("sockscope", "tap", "--pcap-out", directory + "/al") == [directory + "/allow.txt"])
        #expect(try await complete("sockscope", "sockets", "--state", "time") == ["time-wait"])
        #expect(try await complete("sockscope", "sockets", "--state", "un") == ["unconn"])
        #expect(try await complete("sockscope", "con") == ["connect"])
    }

    @Test("sockets -p names the process that holds a socket, as ss -tlnp does; --pid filters; --state unconn is accepted")
    func socketsProcesses() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        let ss = try await run(Paths.ss, ["-Htlnp", "( sport = :\(port) )"])
        let pid = try #require(ss.stdoutText.split(separator: "pid=").dropFirst().first.flatMap { Int32($0.prefix(while: \.isNumber)) }, "\(ss)")
        let ours = try await sockscope("sockets", "-l", "-p", "--port", "\(port)")
        #expect(ours.stdoutText.contains("sockscope(\(pid))"), "\(ours.stdoutText)")
        let json = try await sockscope("sockets", "--json", "--pid", "\(pid)", "-p")
        let lines = json.stdoutText.split(separator: "\n")
        #expect(lines.count == 1, "the listener's one socket: \(json.stdoutText)")
        #expect(lines.first?.contains("\"local_port\":\(port)") == true)
        #expect(lines.first?.contains("\"processes\":[{\"pid\":\(pid),\"command\":\"sockscope\",\"fd\":") == true, "\(json.stdoutText)")

        let receiver = try BackgroundProcess(Paths.sockscope, ["recv", "127.0.0.1", "0"])
        defer { receiver.kill() }
        let udpPort = try await receiver.announcedPort(marker: "receiving on")
        let unconnected = try await sockscope("sockets", "-u", "--state", "unconn", "--port", "\(udpPort)")
        #expect(unconnected.status == 0 && unconnected.stdoutText.contains("UNCONN"), "\(unconnected)")
    }

    @Test("probe by name answers as nc -z: localhost with ::1 first and a server on 127.0.0.1 only is open, under 127.0.0.1")
    func probeByName() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-k", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let hosts = "::1 localhost\n127.0.0.1 localhost\n"
        let nsswitch = "hosts: files\n"
        let quiet = try await inLookupSandbox("exec \(Paths.sockscope) probe -q localhost \(port)", netns: false, hosts: hosts, nsswitch: nsswitch)
        #expect(quiet.status == 0, "open on one of its addresses: \(quiet)")
        let table = try await inLookupSandbox("exec \(Paths.sockscope) probe localhost \(port)", netns: false, hosts: hosts, nsswitch: nsswitch)
        #expect(table.stdoutText.contains("localhost (127.0.0.1)") && !table.stdoutText.contains("(::1)"), "\(table.stdoutText)")
        let each = try await inLookupSandbox(
            "exec \(Paths.sockscope) probe --json --all-addresses localhost \(port)", netns: false, hosts: hosts, nsswitch: nsswitch)
        let lines = each.stdoutText.split(separator: "\n")
        #expect(lines.count == 2, "\(each)")
        #expect(lines.contains { $0.contains("\"peer_address\":\"::1\"") && $0.contains("\"state\":\"closed\"") }, "\(each)")
        #expect(lines.contains { $0.contains("\"peer_address\":\"127.0.0.1\"") && $0.contains("\"state\":\"open\"") }, "\(each)")
    }

    @Test("address sets as ncat reads them: ranges in --allow, several entries a line in --deny-file, and host names resolved once")
    func addressSets() async throws {
        let directory = try TemporaryDirectory.make()
        try writeFile(directory + "/deny", Array("# lab machines\r\n127.0.0.3 127.0.0.4,127.0.0.5   # the printers\n\n127.0.0.9\n".utf8))
        let server = try BackgroundProcess(
            Paths.sockscope, ["listen", "-k", "--echo", "--allow", "127.0.0.1-7", "--deny-file", directory + "/deny", "127.0.0.1", "0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        var served: [String] = []
        for source in ["127.0.0.1", "127.0.0.2", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.8"] {
            let outcome = try await sockscope("connect", "-s", source, "127.0.0.1", "\(port)", input: Array("hi".utf8))
            if outcome.stdoutText == "hi" { served.append(source) }
        }
        #expect(served == ["127.0.0.1", "127.0.0.2", "127.0.0.6"], "\(server.stderrText)")
        #expect(server.stderrText.contains("refused 127.0.0.8:") && server.stderrText.contains("not in any --allow"), "\(server.stderrText)")

        // A name stands for all its addresses, looked up once at start (here in a sandbox
        // whose /etc/hosts names two loopback addresses).
        let script = """
            \(Paths.sockscope) listen -k --echo --allow trusted.test 127.0.0.1 0 2> \(directory)/names.err &
            listener=$!
            for _ in $(seq 1 100); do grep -q 'listening on' \(directory)/names.err && break; sleep 0.05; done
            port=$(sed -n 's/.*listening on 127.0.0.1:\\([0-9]*\\).*/\\1/p' \(directory)/names.err)
            for source in 127.0.0.11 127.0.0.12 127.0.0.13; do
              printf "$source " | \(Paths.sockscope) connect -s $source 127.0.0.1 $port || true; echo  # refused: EOF or RST, either way nothing back
            done
            kill $listener
            """
        let names = try await inLookupSandbox(script, netns: false, hosts: "127.0.0.11 trusted.test\n127.0.0.12 trusted.test\n", nsswitch: "hosts: files\n")
        #expect(names.stdoutText == "127.0.0.11 \n127.0.0.12 \n\n", "\(names)")
    }
}

extension HabitsTests {
    @Test("ss's letters: -tlnp lists what ss -Htlnp does (the listener, not its connection), -tanp what ss -Htanp does (both); -n and -a change nothing else")
    func ssLetters() async throws {
        let listener = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "-k", "127.0.0.1", "0"])
        defer { listener.kill() }
        let port = try await listener.announcedPort()
        let client = try BackgroundProcess(Paths.sh, ["-c", "sleep 20 | exec \(Paths.sockscope) connect 127.0.0.1 \(port)"])
        defer { client.kill() }
        var ourSets: [String: Set<String>] = [:]
        for _ in 0..<100 {
            for letters in ["-tlnp", "-tanp"] {
                let ours = try await sockscope("sockets", letters, "--port", "\(port)")
                ourSets[letters] = Set(ours.stdoutText.split(separator: "\n").filter { $0.hasPrefix("tcp") }.map { String($0.split(separator: " ")[1]) })
            }
            if (ourSets["-tanp"]?.count ?? 0) >= 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        for letters in ["-tlnp", "-tanp"] {
            let theirs = try await run(Paths.ss, ["-H", letters, "( sport = :\(port) or dport = :\(port) )"])
            let theirStates = Set(
                theirs.stdoutText.split(separator: "\n").map { String($0.split(separator: " ")[0]).replacingOccurrences(of: "ESTAB", with: "ESTABLISHED") })
            #expect(ourSets[letters] == theirStates && !theirStates.isEmpty, "\(letters): ours \(ourSets[letters] ?? []), ss \(theirStates)")
        }
        // The listener's stdin is empty, so it closes its side at once: the connection's two
        // sockets are in FIN-WAIT-2 and CLOSE-WAIT (or ESTABLISHED if looked at sooner).
        #expect(ourSets["-tlnp"] == ["LISTEN"] && (ourSets["-tanp"]?.count ?? 0) >= 2 && ourSets["-tanp"]?.contains("LISTEN") == true, "\(ourSets)")
        let plain = try await sockscope("sockets", "--port", "\(port)")
        let lettered = try await sockscope("sockets", "-an", "--port", "\(port)")
        #expect(plain.stdoutText == lettered.stdoutText, "-a and -n: \(plain) \(lettered)")
    }

    @Test("HOST:PORT and [V6]:PORT wherever a host and a port go: probe (and nmap's -p), listen, recv, send, forward")
    func hostColonPortEverywhere() async throws {
        let server = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "-k", "127.0.0.1:0"])
        defer { server.kill() }
        let port = try await server.announcedPort()
        let v6 = try BackgroundProcess(Paths.sockscope, ["listen", "-v", "-k", "[::1]:0"])
        defer { v6.kill() }
        let v6Port = try await v6.announcedPort()
        func states(_ arguments: [String]) async throws -> String {
            let outcome = try await run(Paths.sockscope, ["probe", "--json"] + arguments)
            return outcome.stdoutText.split(separator: "\n").map { line in
                let fields = line.split(separator: ",").filter {
                    $0.hasPrefix("\"peer_address\"") || $0.hasPrefix("\"peer_port\"") || $0.hasPrefix("\"state\"")
                }
                return fields.joined(separator: ",")
            }.joined(separator: "\n")
        }
        let expected = try await states(["127.0.0.1", "\(port)"])
        #expect(expected.contains("\"state\":\"open\""), "\(expected)")
        #expect(try await states(["127.0.0.1:\(port)"]) == expected)
        #expect(try await states(["-p", "\(port)", "127.0.0.1"]) == expected)
        #expect(try await states(["-p\(port)", "127.0.0.1"]) == expected)
        let v6States = try await states(["[::1]:\(v6Port)"])
        #expect(v6States.contains("\"peer_address\":\"::1\"") && v6States.contains("\"state\":\"open\""), "\(v6States)")

        let receiver = try BackgroundProcess(Paths.sockscope, ["recv", "--count", "1", "127.0.0.1:0"])
        defer { receiver.kill() }
        let udpPort = try await receiver.announcedPort(marker: "receiving on")
        let sent = try await sockscope("send", "127.0.0.1:\(udpPort)", "hello")
        #expect(sent.status == 0, "\(sent)")
        #expect(try await receiver.finish() == 0)
        #expect(receiver.stdoutText.contains("5 bytes  hello"), "\(receiver.stdoutText)")

        let forward = try BackgroundProcess(Paths.sockscope, ["forward", "-v", "127.0.0.1:0", "127.0.0.1:\(port)"])
        defer { forward.kill() }
        let forwardPort = try await forward.announcedPort(marker: "forwarding")
        let through = try await sockscope("probe", "-q", "127.0.0.1:\(forwardPort)")
        #expect(through.status == 0, "\(through)")
    }
}

extension HabitsTests {
    @Test(
        "send --connect to a closed port: the ICMP refusal is waited for after the last datagram, ECONNREFUSED and exit 69 without --wait too; to a receiver exit 0"
    )
    func sendConnectRefused() async throws {
        let closed = try freePort()
        let refused = try await sockscope("send", "--connect", "127.0.0.1", "\(closed)", "hello")
        #expect(refused.status == 69 && refused.stderr.contains("ECONNREFUSED"), "\(refused)")
        let plain = try await sockscope("send", "127.0.0.1", "\(closed)", "hello")
        #expect(plain.status == 0, "unconnected, the refusal never reaches the socket: \(plain)")
        let receiver = try BackgroundProcess(Paths.sockscope, ["recv", "--count", "1", "127.0.0.1", "0"])
        defer { receiver.kill() }
        let port = try await receiver.announcedPort(marker: "receiving on")
        let delivered = try await sockscope("send", "--connect", "127.0.0.1", "\(port)", "hello")
        #expect(delivered.status == 0, "\(delivered)")
        #expect(try await receiver.finish() == 0)
    }
}
