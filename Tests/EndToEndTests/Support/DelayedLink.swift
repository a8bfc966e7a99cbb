import Glibc

/// Two network namespaces joined by scripts/delay_link.py: a TUN link that holds each
/// packet `arguments` (DELAY_MS [LOSS [JITTER [MTU]]]) in user space (this kernel has
/// no netem). `close()` stops the link and deletes both namespaces.
final class DelayedLink {
    let a: String
    let b: String
    let addressA: String
    let addressB: String
    private let link: BackgroundProcess

    /// - Parameters:
    ///   - prefix: two letters naming the namespaces (prefix + "a"/"b" + a tag).
    ///   - subnet: the first three octets of the link's two addresses (.1 and .2).
    static func make(_ prefix: String, subnet: String, _ arguments: String) async throws -> DelayedLink {
        let tag = "\(getpid() % 1000)\(UInt16.random(in: 0...999))"
        let (a, b) = ("\(prefix)a\(tag)", "\(prefix)b\(tag)")
        for namespace in [a, b] {
            _ = try await run(Paths.ip, ["netns", "add", namespace])
            _ = try await run(Paths.ip, ["-n", namespace, "link", "set", "lo", "up"])
        }
        let removeNamespaces = { for namespace in [a, b] { runNow(Paths.ip, ["netns", "del", namespace]) } }
        let link: BackgroundProcess
        do {
            link = try BackgroundProcess(
                Paths.sh,
                ["-c", "sleep 120 | exec \(Paths.python) \(Paths.packageRoot)/scripts/delay_link.py \(a) \(subnet).1 \(b) \(subnet).2 \(arguments)"])
        } catch {
            removeNamespaces()
            throw error
        }
        do {
            _ = try await link.waitForLine(containing: "ready", inStdout: true)
        } catch {
            link.kill()
            removeNamespaces()
            throw error
        }
        return DelayedLink(a: a, b: b, subnet: subnet, link: link)
    }

    private init(a: String, b: String, subnet: String, link: BackgroundProcess) {
        self.a = a
        self.b = b
        addressA = subnet + ".1"
        addressB = subnet + ".2"
        self.link = link
    }

    func close() {
        link.kill()
        for namespace in [a, b] { runNow(Paths.ip, ["netns", "del", namespace]) }
    }
}
