import Glibc

/// Two test hosts in network namespaces the test creates itself, joined by a veth
/// pair: the client at 10.200.X.1 and the target at 10.200.X.2 (a /24 that exists
/// only inside these namespaces). nftables rules in the target shape its answers.
/// Nothing here can reach any other network.
struct TestNetwork {
    let client: String
    let target: String
    let clientAddress: String
    let targetAddress: String

    /// Builds the pair; `targetRules` are nft rule bodies for the target's input chain,
    /// e.g. `tcp dport 82 drop`.
    static func make(targetRules: [String]) async throws -> TestNetwork {
        let tag = "\(getpid() % 10000)\(UInt16.random(in: 0...9999))"
        let subnet = Int.random(in: 1...250)
        let network = TestNetwork(
            client: "ssc\(tag)", target: "sst\(tag)",
            clientAddress: "10.200.\(subnet).1", targetAddress: "10.200.\(subnet).2")
        do {
            try await network.ip(["netns", "add", network.client])
            try await network.ip(["netns", "add", network.target])
            try await network.ip(["-n", network.client, "link", "add", "v\(tag)c", "type", "veth", "peer", "name", "v\(tag)t", "netns", network.target])
            try await network.ip(["-n", network.client, "addr", "add", "\(network.clientAddress)/24", "dev", "v\(tag)c"])
            try await network.ip(["-n", network.target, "addr", "add", "\(network.targetAddress)/24", "dev", "v\(tag)t"])
            for (namespace, device) in [(network.client, "v\(tag)c"), (network.target, "v\(tag)t")] {
                try await network.ip(["-n", namespace, "link", "set", device, "up"])
                try await network.ip(["-n", namespace, "link", "set", "lo", "up"])
            }
            if !targetRules.isEmpty {
                try await network.nft(["add", "table", "inet", "sockscope"])
                try await network.nft(["add", "chain", "inet", "sockscope", "in", "{ type filter hook input priority 0 ; }"])
                for rule in targetRules {
                    try await network.nft(["add", "rule", "inet", "sockscope", "in"] + rule.split(separator: " ").map(String.init))
                }
            }
        } catch {
            network.removeNow()
            throw error
        }
        return network
    }

    /// Runs a program inside the client namespace.
    func runInClient(_ executable: String, _ arguments: [String], input: [UInt8] = [], timeout: Duration = .seconds(30)) async throws -> Outcome {
        try await run(Paths.ip, ["netns", "exec", client, executable] + arguments, input: input, timeout: timeout)
    }

    /// Starts a program in the target namespace (a server), in the background.
    func startInTarget(_ executable: String, _ arguments: [String]) throws -> BackgroundProcess {
        try BackgroundProcess(Paths.ip, ["netns", "exec", target, executable] + arguments)
    }

    /// Adds a route in the client namespace, e.g. `["prohibit", "10.203.0.0/24"]`.
    func addClientRoute(_ words: [String]) async throws {
        try await ip(["-n", client, "route", "add"] + words)
    }

    /// Deletes both namespaces (the veth pair goes with them), at once: for `defer`.
    func removeNow() {
        runNow(Paths.ip, ["netns", "del", client])
        runNow(Paths.ip, ["netns", "del", target])
    }

    private func ip(_ arguments: [String]) async throws {
        let outcome = try await run(Paths.ip, arguments)
        guard outcome.status == 0 else { throw SetupFailed(step: "ip \(arguments.joined(separator: " "))", outcome: outcome) }
    }

    private func nft(_ arguments: [String]) async throws {
        let outcome = try await run(Paths.ip, ["netns", "exec", target, Paths.nft] + arguments)
        guard outcome.status == 0 else { throw SetupFailed(step: "nft \(arguments.joined(separator: " "))", outcome: outcome) }
    }
}

struct SetupFailed: Error, CustomStringConvertible {
    var step: String
    var outcome: Outcome
    var description: String { "test set-up failed at '\(step)': \(outcome)" }
}
