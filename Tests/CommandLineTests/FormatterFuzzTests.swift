import Foundation
import SockscopeCore
import Testing

@testable import sockscope

/// The formatters fed hostile packets (issue 28): the text timeline in each time form,
/// the JSON records, the summary, the sequence diagram and the time-sequence graph, over
/// random IPv4 frames whose times, lengths, sequence numbers and flags are extreme
/// (times before the first packet, at 0, near Int64's limits; lengths 0 and 65,535;
/// numbers 0 and 2^32−1). None may trap; every JSON record must parse. The generator is
/// seeded, so a failure repeats.
@Suite("Formatter fuzzing")
struct FormatterFuzzTests {
    /// SplitMix64: a small, seeded generator.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// One raw IPv4 frame: TCP (most), UDP or ICMP, between two of a few endpoints, with
    /// extreme fields, sometimes cut short.
    static func frame(_ random: inout Generator) -> [UInt8] {
        let extremes: [UInt32] = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff]
        func number() -> UInt32 { Bool.random(using: &random) ? extremes.randomElement(using: &random) ?? 0 : UInt32.random(in: 0...20, using: &random) }
        func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
        let proto: UInt8 = [6, 6, 6, 6, 17, 1].randomElement(using: &random) ?? 6
        let payload = [UInt8](repeating: 0x16, count: [0, 1, 5, 100, 1400].randomElement(using: &random) ?? 0)
        let (sport, dport): (UInt16, UInt16) = Bool.random(using: &random) ? (40_000, 80) : (80, 40_000)
        var transport: [UInt8]
        switch proto {
        case 6:
            let flags = UInt8.random(in: 0...0x3f, using: &random)
            let window: UInt16 = [0, 1, 65_535].randomElement(using: &random) ?? 0
            transport = [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff)] + be32(number()) + be32(number())
            transport += [0x50, flags, UInt8(window >> 8), UInt8(window & 0xff), 0, 0, 0, 0] + payload
        case 17:
            let length = UInt16(truncatingIfNeeded: [0, 8, 65_535, payload.count + 8].randomElement(using: &random) ?? 8)
            transport =
                [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff), UInt8(length >> 8), UInt8(length & 0xff), 0, 0] + payload
        default:
            transport = [3, UInt8.random(in: 0...15, using: &random), 0, 0, 0, 0, 0, 0] + Array(repeating: 0x45, count: 28)
        }
        let totalLength = UInt16(truncatingIfNeeded: Bool.random(using: &random) ? 20 + transport.count : Int(UInt16.max))
        var header: [UInt8] = [0x45, 0, UInt8(totalLength >> 8), UInt8(totalLength & 0xff), 0, 0, 0x40, 0, 64, proto, 0, 0]
        header += Bool.random(using: &random) ? [127, 0, 0, 1, 127, 0, 0, 2] : [127, 0, 0, 2, 127, 0, 0, 1]
        let frame = header + transport
        return Int.random(in: 0..<8, using: &random) == 0 ? Array(frame.prefix(Int.random(in: 0...frame.count, using: &random))) : frame
    }

    /// A capture time: mostly a little after the last, sometimes before it, at 0, or absurd.
    static func time(after last: Duration, _ random: inout Generator) -> Duration {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return last - .microseconds(Int.random(in: 1...999, using: &random))
        case 1: return .zero
        case 2: return .seconds(Int64(UInt32.max))
        case 3: return .seconds(-1) - .microseconds(1)
        case 4: return .seconds(Int64.max / 4)
        default: return last + .microseconds(Int.random(in: 0...5_000_000, using: &random))
        }
    }

    /// The corpus format: records of a frame length (1 byte), a capture time in
    /// microseconds (8 bytes, big-endian, signed) and the raw IPv4 frame.
    static func records(_ bytes: [UInt8]) -> [(time: Duration, frame: [UInt8])] {
        var records: [(Duration, [UInt8])] = []
        var index = 0
        while index + 9 <= bytes.count {
            let length = Int(bytes[index])
            let micro = bytes[(index + 1)..<(index + 9)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            index += 9
            let frame = Array(bytes[index..<min(bytes.count, index + length)])
            index += length
            records.append((.microseconds(Int64(bitPattern: micro)), frame))
        }
        return records
    }

    /// A random capture in the corpus format: 40 hostile packets.
    static func capture(_ random: inout Generator) -> [UInt8] {
        var bytes: [UInt8] = []
        var last = Duration.seconds(1_700_000_000)
        for _ in 0..<40 {
            last = time(after: last, &random)
            let frame = Array(Self.frame(&random).prefix(255))
            let micro = UInt64(bitPattern: last.components.seconds &* 1_000_000 &+ last.components.attoseconds / 1_000_000_000_000)
            bytes += [UInt8(frame.count)] + (0..<8).map { UInt8(truncatingIfNeeded: micro >> (56 - 8 * UInt64($0))) } + frame
        }
        return bytes
    }

    /// One capture through every tap formatter, in the time form `form`.
    static func format(_ capture: [UInt8], form: TapCommand.TimeForm) -> [String] {
        var annotator = PacketAnnotator()
        var recording = ConversationRecording(number: 0)
        var flows = UDPFlowTable()
        let stamper = Stamper(form: form, style: .plain)
        var records: [String] = []
        var seen = 0
        for (time, frame) in Self.records(capture) {
            guard let packet = PacketDecoder.decode(frame, linkType: .raw, timestamp: time) else { continue }
            seen += 1
            flows.add(packet)
            guard let event = annotator.annotate(packet) else { continue }
            recording.add(event)
            _ = stamper.line(event, at: time)
            _ = TapTimeline.line(event)
            records.append(TapCommand.json(event, capturedAt: time))
        }
        let summary = ConversationSummary(conversations: annotator.tracker.conversations, flows: flows.flows)
        _ = summary.text
        records += summary.json.split(separator: "\n").map(String.init)
        _ = TapTimeline.summary(annotator.tracker.conversations, statistics: nil, packets: seen, fromFile: true)
        _ = LadderDiagram(recording: recording).svg
        _ = TimeSequencePlot(recording: recording).svg
        return records
    }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/formatters")

    @Test(
        "random captures of 40 hostile packets each through every tap formatter (1,000, or SOCKSCOPE_FUZZ_ROUNDS from make fuzz): no trap, every JSON record parses"
    )
    func formatters() throws {
        let rounds = ProcessInfo.processInfo.environment["SOCKSCOPE_FUZZ_ROUNDS"].flatMap(Int.init) ?? 1000
        var random = Generator(state: ProcessInfo.processInfo.environment["SOCKSCOPE_FUZZ_SEED"].flatMap(UInt64.init) ?? 28)
        // Under make fuzz, each round's capture is written first: after a trap, the file
        // holds the input that caused it, ready for the corpus.
        let last =
            ProcessInfo.processInfo.environment["SOCKSCOPE_FUZZ_ROUNDS"] == nil
            ? nil : Self.corpus.appendingPathComponent("../../../.build/fuzz-crashes/formatters-last").standardized
        if let last { try? FileManager.default.createDirectory(at: last.deletingLastPathComponent(), withIntermediateDirectories: true) }
        for round in 0..<rounds {
            let capture = Self.capture(&random)
            if let last { try Data(capture).write(to: last) }
            for record in Self.format(capture, form: TapCommand.TimeForm.allCases[round % TapCommand.TimeForm.allCases.count]) {
                #expect((try? JSONSerialization.jsonObject(with: Data(record.utf8))) != nil, "round \(round): \(record)")
            }
        }
    }

    @Test("the formatters' seed corpus (Tests/Fuzz/formatters: the hostile captures that once trapped) replays in every time form")
    func corpusReplays() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
        #expect(!files.isEmpty)
        for file in files {
            let capture = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent(file)))
            for form in TapCommand.TimeForm.allCases {
                for record in Self.format(capture, form: form) {
                    #expect((try? JSONSerialization.jsonObject(with: Data(record.utf8))) != nil, "\(file): \(record)")
                }
            }
        }
    }
}
