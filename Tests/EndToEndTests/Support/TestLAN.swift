import Glibc

/// A little LAN of test hosts: namespaces joined by veth pairs to a bridge in a
/// namespace of its own, on a /24 (10.201.X.0/24, broadcast 10.201.X.255) that
/// exists only inside them. Host i has address 10.201.X.(i+1) on its interface
/// `hosts[i].interface`, and a default route out of it, so that even the limited
/// broadcast 255.255.255.255 stays on this LAN.
struct TestLAN {
    struct Host {
        var namespace: String
        var address: String
        var interface: String
    }

    let bridge: String
    let hosts: [Host]
    let broadcast: String

    static func make(hosts count: Int) async throws -> TestLAN {
        let tag = "\(getpid() % 1000)\(UInt16.random(in: 0...999))"
        let subnet = Int.random(in: 1...250)
        let hosts = (0..<count).map { Host(namespace: "sl\(tag)h\($0)", address: "10.201.\(subnet).\($0 + 1)", interface: "e\(tag)h\($0)") }
        let lan = TestLAN(bridge: "sl\(tag)br", hosts: hosts, broadcast: "10.201.\(subnet).255")
        do {
            try await lan.ip(["netns", "add", lan.bridge])
            try await lan.ip(["-n", lan.bridge, "link", "add", "br0", "type", "bridge"])
            try await lan.ip(["-n", lan.bridge, "link", "set", "br0", "up"])
            for (index, host) in hosts.enumerated() {
                try await lan.ip(["netns", "add", host.namespace])
                try await lan.ip(["-n", host.namespace, "link", "set", "lo", "up"])
                try await lan.ip(["-n", lan.bridge, "link", "add", "p\(index)", "type", "veth", "peer", "name", host.interface, "netns", host.namespace])
                try await lan.ip(["-n", lan.bridge, "link", "set", "p\(index)", "master", "br0"])
                try await lan.ip(["-n", lan.bridge, "link", "set", "p\(index)", "up"])
                try await lan.ip(["-n", host.namespace, "addr", "add", "\(host.address)/24", "broadcast", lan.broadcast, "dev", host.interface])
                try await lan.ip(["-n", host.namespace, "link", "set", host.interface, "up"])
                try await lan.ip(["-n", host.namespace, "route", "add", "default", "dev", host.interface])
            }
        } catch {
            lan.removeNow()
            throw error
        }
        return lan
    }

    /// Starts a program on host `index`, in the background.
    func start(on index: Int, _ executable: String, _ arguments: [String]) throws -> BackgroundProcess {
        try BackgroundProcess(Paths.ip, ["netns", "exec", hosts[index].namespace, executable] + arguments)
    }

    /// Runs a program on host `index` to completion.
    func run(on index: Int, _ executable: String, _ arguments: [String]) async throws -> Outcome {
        try await EndToEndTests.run(Paths.ip, ["netns", "exec", hosts[index].namespace, executable] + arguments)
    }

    func removeNow() {
        for host in hosts { runNow(Paths.ip, ["netns", "del", host.namespace]) }
        runNow(Paths.ip, ["netns", "del", bridge])
    }

    private func ip(_ arguments: [String]) async throws {
        let outcome = try await EndToEndTests.run(Paths.ip, arguments)
        guard outcome.status == 0 else { throw SetupFailed(step: "ip \(arguments.joined(separator: " "))", outcome: outcome) }
    }
}
