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

    @Test("1,000 random captures of 40 hostile packets each through every tap formatter: no trap, every JSON record parses")
    func formatters() throws {
        var random = Generator(state: 28)
        for round in 0..<1000 {
            var annotator = PacketAnnotator()
            var recording = ConversationRecording(number: 0)
            var flows = UDPFlowTable()
            let stamper = Stamper(form: TapCommand.TimeForm.allCases[round % TapCommand.TimeForm.allCases.count])
            var last = Duration.seconds(1_700_000_000)
            var seen = 0
            for _ in 0..<40 {
                let time = Self.time(after: last, &random)
                last = time
                guard let packet = PacketDecoder.decode(Self.frame(&random), linkType: .raw, timestamp: time) else { continue }
                seen += 1
                flows.add(packet)
                guard let event = annotator.annotate(packet) else { continue }
                recording.add(event)
                _ = stamper.line(event, at: time)
                _ = TapTimeline.line(event)
                let json = TapCommand.json(event, capturedAt: time)
                #expect((try? JSONSerialization.jsonObject(with: Data(json.utf8))) != nil, "round \(round): \(json)")
            }
            let summary = ConversationSummary(conversations: annotator.tracker.conversations, flows: flows.flows)
            _ = summary.text
            for line in summary.json.split(separator: "\n") {
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "round \(round): \(line)")
            }
            _ = TapTimeline.summary(annotator.tracker.conversations, statistics: nil, packets: seen, fromFile: true)
            _ = LadderDiagram(recording: recording).svg
            _ = TimeSequencePlot(recording: recording).svg
        }
    }
}
