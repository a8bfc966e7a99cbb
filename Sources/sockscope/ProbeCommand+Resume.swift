import ArgumentParser
import Glibc
import SockscopeCore

/// A scan kept resumable in a file (`probe --resume FILE`): its checkpoint, brought up
/// to date after every window.
struct ScanResume {
    let path: String
    var checkpoint: ScanCheckpoint

    /// The targets and ports must still make the scan FILE describes (a new scan's
    /// FILE takes their count).
    mutating func check(_ space: ProbeSpace) throws(SockscopeError) {
        if checkpoint.blocksDone == 0 { checkpoint.probes = space.count }
        guard checkpoint.probes == space.count else {
            throw .usage(
                "the targets and ports now make \(space.count) probes, and the scan in \(path) has \(checkpoint.probes): a target list (-iL, --exclude-file) changed since it started; remove \(path) to start again"
            )
        }
    }

    /// Records the scan's state: the blocks done, the totals, how far each nmap-format
    /// file has got (after `fsync`, as stdout when it is a file), then replaces FILE.
    /// Nothing is recorded once stdout has failed: those windows are probed again.
    mutating func save(_ run: ScanRun, blocks: UInt64, finished: Bool = false) throws(SockscopeError) {
        guard Diagnostics.outputFailure.withLock({ $0 == nil }) else { return }
        checkpoint.blocksDone = blocks
        checkpoint.probed = run.probed
        checkpoint.openCount = run.openCount
        checkpoint.answering = run.answeringCount
        checkpoint.hostsProbed = run.hostsProbed
        checkpoint.anyOpen = run.anyOpen
        checkpoint.states = run.states
        checkpoint.elapsedMilliseconds = Int64((ContinuousClock.now - run.started + run.before).milliseconds)
        checkpoint.finished = finished
        if !finished {
            var outputs: [String: ScanCheckpoint.Output] = [:]
            outputs["xml"] = try run.xml?.checkpoint()
            outputs["grepable"] = try run.grepable?.checkpoint()
            outputs["nmap"] = try run.tableCopy?.checkpoint()
            checkpoint.outputs = outputs
            _ = fsync(1)  // stdout, when it is a file (a pipe or terminal: EINVAL, nothing to do)
        }
        try checkpoint.save(to: path)
    }
}

extension ProbeCommand.Request {
    /// `--resume FILE`: continues the scan FILE holds (the arguments given, if any, must
    /// be its own), or starts one that FILE will hold. A finished scan is not run again.
    func resumable(_ path: String) throws(SockscopeError) -> Bool {
        let given = ScanCheckpoint.givenArguments()
        guard let saved = try ScanCheckpoint.load(path) else {
            guard targets != nil else {
                throw .usage("\(path) does not exist: give the targets and ports of the scan to start (probe TARGETS PORTS --resume \(path))")
            }
            var request = self
            request.seed = seed ?? UInt64.random(in: 0...UInt64.max)
            let start = ScanCheckpoint(arguments: given, seed: request.seed ?? 0, probes: 0)
            return try request.probe(resuming: ScanResume(path: path, checkpoint: start))
        }
        if !given.isEmpty && given != saved.arguments {
            throw .usage(
                "\(path) holds another scan (\(saved.arguments.joined(separator: " "))): continue it with 'probe --resume \(path)' alone, or remove it to start this one"
            )
        }
        if saved.finished {
            Diagnostics.line("sockscope: the scan in \(path) is finished; nothing is left to probe (remove \(path) to scan again)")
            return saved.anyOpen
        }
        var request = try Self.parsed(saved.arguments, from: path)
        request.seed = saved.seed
        if !request.quiet && !request.nmapFormatOnStdout && !request.json {
            Diagnostics.line("sockscope: resuming the scan in \(path) after \(counted(saved.probed, "probe")): \(saved.arguments.joined(separator: " "))")
        }
        return try request.probe(resuming: ScanResume(path: path, checkpoint: saved))
    }

    /// The request a saved command line makes, through the parser (and its checks).
    private static func parsed(_ arguments: [String], from path: String) throws(SockscopeError) -> Self {
        do {
            return try ProbeCommand.parse(arguments).request
        } catch {
            throw .usage("\(path) holds arguments probe no longer takes: \(ProbeCommand.message(for: error))")
        }
    }
}
