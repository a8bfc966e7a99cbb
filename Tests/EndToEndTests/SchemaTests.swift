import Testing

/// One JSON schema (schema/sockscope.schema.json) for every command's --json output.
@Suite("JSON schema")
struct SchemaTests {
    @Test("the --json output of every command validates against the schema file (Python jsonschema)")
    func everyCommandValidates() async throws {
        let directory = try TemporaryDirectory.make()
        let samples = try await run("/bin/bash", [Paths.peer("json_samples.sh"), Paths.sockscope, directory], timeout: .seconds(120))
        #expect(samples.status == 0, "\(samples)")
        let files = try await run("/bin/sh", ["-c", "ls \(directory)/*.jsonl"]).stdoutText.split(separator: "\n").map(String.init)
        let schema = Paths.packageRoot + "/schema/sockscope.schema.json"
        let validation = try await run(Paths.python, [Paths.peer("validate_json.py"), schema] + files)
        #expect(validation.status == 0, "\(validation.stdoutText)\(validation.stderr)")
        let all = try await run("/bin/sh", ["-c", "cat \(directory)/*.jsonl"]).stdoutText
        let expected = [
            "listening", "connected", "accepted", "refused", "closed", "error", "message", "port", "address", "host",
            "reverse", "service", "socket", "datagram", "step", "tls", "tls_identity", "forward_connected", "forward_half_closed",
            "forward_finished", "forward_failed", "forward_faults", "forward_fault", "forward_refused", "proxy", "proxy_request", "conversation",
            "packet", "probe_attempt", "probe_statistics", "probe_host",
        ]
        for type in expected {
            #expect(all.contains("{\"type\":\"\(type)\",\"time\":\"20"), "no \(type) record was produced")
        }
        #expect(all.contains(#""protocol":"tcp","#) && all.contains(#""out_of_order":0"#), "a TCP conversation record was validated")
        #expect(all.contains(#""banner":"220-mail.test"#) && all.contains(#""banner":"HTTP/1.0 200 OK"#), "port records with banners were validated")
        #expect(all.contains(#""answer":"2 bytes: hi""#) && all.contains(#""protocol":"udp","state":"closed""#), "UDP port records with answers were validated")
        let connect = try await run("/bin/sh", ["-c", "cat \(directory)/connect.jsonl"]).stdoutText
        #expect(connect.contains(#""closed_first":"local""#), "stdin ended first, so the client sent the first FIN: \(connect)")
        let cut = try await run("/bin/sh", ["-c", "cat \(directory)/connect-cut.jsonl"]).stdoutText
        #expect(cut.contains(#""closed_first":"peer","stdin_unsent":true"#), "the peer closed before stdin ended: \(cut)")
        let failed = try await run("/bin/sh", ["-c", "cat \(directory)/connect-tls-fail.jsonl"]).stdoutText
        #expect(
            failed.contains(#""established":false"#) && failed.contains(#""verify_result":"X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT""#)
                && failed.contains(#""exit_status":79"#), "a failed verification is a tls record with the error: \(failed)")
        let proxied = try await run("/bin/sh", ["-c", "cat \(directory)/proxy.jsonl"]).stdoutText
        #expect(
            proxied.contains(#""proxy_type":"socks5","method":null,"user":null,"destination":"127.0.0.2:"#) && proxied.contains(#""allowed":false"#),
            "the proxy logs a refused request: \(proxied)")
        let tunnelled = try await run("/bin/sh", ["-c", "cat \(directory)/forward-proxy.jsonl"]).stdoutText
        #expect(tunnelled.contains(#""type":"proxy""#) && tunnelled.contains(#","client":1}"#), "forward --proxy: a proxy record per client: \(tunnelled)")
        let probed = try await run("/bin/sh", ["-c", "cat \(directory)/probe-tls.jsonl"]).stdoutText
        #expect(
            probed.contains(#""speaks_tls":true"#) && probed.contains(#""speaks_tls":false,"answer":"plain""#),
            "probe --tls: a tls record for the TLS port and one for the plaintext port: \(probed)")
        if Paths.isRoot {
            let tapped = try await run("/bin/sh", ["-c", "cat \(directory)/tap-tls.jsonl"]).stdoutText
            #expect(tapped.contains(#""tls":[{"content_type":"handshake","length":"#) && tapped.contains(#""messages":["ClientHello"]"#), "\(tapped)")
        }
        let usage = try await run("/bin/sh", ["-c", "cat \(directory)/usage.jsonl"]).stdoutText
        #expect(usage.hasPrefix(#"{"type":"error""#) && usage.contains(#""exit_status":64"#), "a usage error under --json is a JSON record: \(usage)")
        let lines = all.split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("{\"type\":") }, "every record starts with its type")
    }
}
