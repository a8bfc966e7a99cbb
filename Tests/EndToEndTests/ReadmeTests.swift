import Glibc
import Testing

/// Every `sh` block of the README and of the guides in docs/ runs as written (on
/// loopback), so the cookbook cannot rot. The set-up blocks (`make …`) are the ones not
/// run here: they are what runs these tests.
@Suite("README", .serialized)
struct ReadmeTests {
    /// The README and the guides in docs/, whose examples are the README's cookbook.
    static let documents = ["README.md", "CONTRIBUTING.md"] + guideNames.map { "docs/" + $0 }
    static let guideNames = [
        "demo.md", "listen.md", "connect.md", "tls.md", "forward.md", "proxy.md", "udp.md", "tap.md", "probe.md", "resolve.md", "conventions.md",
    ]

    static func shellBlocks() throws -> [String] {
        var text = ""
        for document in documents { text += String(decoding: try readFile(Paths.packageRoot + "/" + document), as: UTF8.self) + "\n" }
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```sh" {
                current = []
            } else if let lines = current, line == "```" {
                blocks.append(lines.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks.filter { !$0.contains("make ") }
    }

    @Test(
        "every shell example in the README and the guides runs and succeeds",
        .enabled(if: Paths.isRoot, "skipped: the --tap example needs root (CAP_NET_RAW)"))
    func examples() async throws {
        let blocks = try Self.shellBlocks()
        #expect(blocks.count >= 30, "found \(blocks.count) blocks")
        let binaryDirectory = String(Paths.sockscope.split(separator: "/").dropLast().joined(separator: "/"))
        for block in blocks {
            // Tests send traffic to loopback only: a block naming another address is not run.
            let addresses = try Regex(#"\b(\d{1,3})\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"#)
            let elsewhere = block.matches(of: addresses).map { String(block[$0.range]) }.filter { !$0.hasPrefix("127.") && $0 != "0.0.0.0" }
            guard elsewhere.isEmpty else {
                Issue.record("README block names addresses off loopback (\(elsewhere)); not run:\n\(block)")
                continue
            }
            let directory = try TemporaryDirectory.make()
            let script = """
                cd \(directory)
                trap 'kill $(jobs -p) 2>/dev/null' EXIT
                export PATH="/\(binaryDirectory):$PATH"
                \(block.replacingOccurrences(of: "$PWD/.build/debug", with: "/\(binaryDirectory)"))
                """
            let outcome = try await run("/bin/bash", ["-c", script], timeout: .seconds(30))
            #expect(outcome.status == 0, "README block failed:\n\(block)\n\(outcome)")
            #expect(!outcome.stderr.contains("command not found") && !outcome.stderr.contains("Usage:"), "\(block)\n\(outcome.stderr)")
        }
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

extension ReadmeTests {
    @Test("the README fits a few screens (at most 250 lines), links every guide, and every relative link in the docs points at a file that exists")
    func shapeAndLinks() throws {
        let readme = String(decoding: try readFile(Paths.packageRoot + "/README.md"), as: UTF8.self)
        #expect(readme.split(separator: "\n", omittingEmptySubsequences: false).count <= 250)
        for guide in Self.guideNames + ["json.md"] { #expect(readme.contains("(docs/\(guide))"), "the README links docs/\(guide)") }
        for document in Self.documents + ["ARCHITECTURE.md", "docs/json.md"] {
            let text = String(decoding: try readFile(Paths.packageRoot + "/" + document), as: UTF8.self)
            let base = document.contains("/") ? Paths.packageRoot + "/docs/" : Paths.packageRoot + "/"
            for match in text.matches(of: try Regex(#"\]\(([^)#: ]+)(#[^)]*)?\)"#)) {
                let target = String(match.output[1].substring ?? "")
                #expect(access(base + target, F_OK) == 0, "\(document) links \(target), which does not exist")
            }
        }
    }
}
