import Testing

/// libpcap is loaded with dlopen when a capture starts (CPcap), not linked: with the
/// library hidden — an empty file bind-mounted over it in a mount namespace of the
/// test's own — every command that captures nothing works, and every capture fails
/// with the documented message (naming the package) and exit 72.
@Suite("libpcap on demand")
struct OptionalLibraryTests {
    /// Runs `commands` (sh) with libpcap hidden; each command's line ends with `rc=N`.
    static func withoutLibpcap(_ commands: String) async throws -> Outcome {
        let script = """
            set -e
            lib=$(readlink -f "$(ldconfig -p | awk '/libpcap\\.so\\.0\\.8 /{ print $NF; exit }')")
            [ -f "$lib" ] || { echo "no libpcap.so.0.8 to hide"; exit 3; }
            empty=$(mktemp); mount --bind "$empty" "$lib"
            set +e
            S=\(Paths.sockscope)
            \(commands)
            """
        return try await run(Paths.unshare, ["--mount", Paths.sh, "-c", script], timeout: .seconds(60))
    }

    @Test("the binary does not link libpcap")
    func notLinked() async throws {
        let outcome = try await run("/usr/bin/ldd", [Paths.sockscope])
        #expect(outcome.status == 0)
        #expect(!outcome.stdoutText.contains("libpcap"), "\(outcome.stdoutText)")
    }

    @Test(
        "without libpcap every command that captures nothing works", .enabled(if: Paths.isRoot, "skipped: hiding libpcap needs root (a mount namespace)"))
    func commandsWithoutCapture() async throws {
        let port = try freePort()
        let closed = try freePort()
        let outcome = try await Self.withoutLibpcap(
            """
            $S --version > /dev/null; echo "version rc=$?"
            $S resolve 127.0.0.1 > /dev/null; echo "resolve rc=$?"
            $S probe -q 127.0.0.1 \(closed); echo "probe rc=$?"
            $S sockets -l > /dev/null; echo "sockets rc=$?"
            $S listen --recv-only 127.0.0.1 \(port) > "$empty.out" & server=$!
            for i in $(seq 1 100); do $S sockets -l -t --json | grep -q '"local_port":\(port)' && break; sleep 0.05; done
            echo relayed | $S connect --send-only 127.0.0.1 \(port); echo "connect rc=$?"
            wait $server; echo "listen rc=$? got=$(cat "$empty.out")"
            $S demo --no-packets > /dev/null 2>&1; echo "demo rc=$?"
            $S recv --count 1 127.0.0.1 \(closed) > "$empty.dgram" & receiver=$!
            for i in $(seq 1 100); do $S sockets -l -u --json | grep -q '"local_port":\(closed)' && break; sleep 0.05; done
            $S send 127.0.0.1 \(closed) datagram > /dev/null; echo "send rc=$?"
            wait $receiver; echo "recv rc=$? $(grep -c datagram "$empty.dgram")"
            $S broadcast --to 127.255.255.255 \(closed) hello > /dev/null; echo "broadcast rc=$?"
            """)
        let text = outcome.stdoutText
        for line in [
            "version rc=0", "resolve rc=0", "probe rc=1", "sockets rc=0", "connect rc=0", "listen rc=0 got=relayed", "demo rc=0", "send rc=0", "recv rc=0 1",
            "broadcast rc=0",
        ] {
            #expect(text.contains(line), "\(line) in \(outcome)")
        }
    }

    @Test(
        "without libpcap every capture fails with exit 72 and names the package",
        .enabled(if: Paths.isRoot, "skipped: hiding libpcap needs root (a mount namespace)"))
    func capturesWithoutLibpcap() async throws {
        let port = try freePort()
        let outcome = try await Self.withoutLibpcap(
            """
            for args in "tap -c 1" "connect --tap 127.0.0.1 \(port)" "listen --tap 127.0.0.1 0" "probe --pcap-out $empty.pcap 127.0.0.1 \(port)" "demo --pcap-out $empty.pcap"; do
              $S $args < /dev/null > /dev/null 2> "$empty.err"; echo "$args rc=$? $(grep -q 'install the libpcap0.8 package' "$empty.err" && echo named)"
            done
            """)
        for command in ["tap -c 1", "connect --tap", "listen --tap", "probe --pcap-out", "demo --pcap-out"] {
            let line = outcome.stdoutText.split(separator: "\n").first { $0.hasPrefix(command) }.map(String.init) ?? ""
            #expect(line.hasSuffix("rc=72 named"), "\(command): \(line) — \(outcome)")
        }
    }
}
