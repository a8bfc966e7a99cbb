import ArgumentParser
import Glibc
import SockscopeCore
import SystemPackage

extension FrameFormat: ExpressibleByArgument {}

/// `--frame` and `--max-frame`, for connect and listen.
struct FrameOptions: ParsableArguments {
    @Option(
        name: .customLong("frame"),
        help: ArgumentHelp(
            "Send each stdin line as one message and print each message received as one line: u32be or u16be (length-prefixed, as struct.pack('>I', n)) or line.",
            valueName: "format"))
    var format: FrameFormat?

    @Option(
        name: .customLong("max-frame"),
        help: ArgumentHelp("Refuse (and close on) a frame announcing more than this many bytes (default 16M).", valueName: "bytes"))
    var maximumFrame: ByteCount?

    @Flag(name: .customLong("frame-json"), help: "With --frame: print each message as a JSON record (bytes, text when UTF-8, hex).")
    var json = false

    @Flag(
        name: .customLong("raw"),
        help: """
            With --frame: write each message's bytes as they are, back to back (by default each is one line, \
            with non-printable bytes and newlines escaped as \\n, \\xNN).
            """)
    var raw = false

    func validate() throws {
        if maximumFrame != nil && format == nil { throw ValidationError("--max-frame goes with --frame") }
        if json && format == nil { throw ValidationError("--frame-json goes with --frame") }
        if raw && format == nil { throw ValidationError("--raw goes with --frame") }
        if raw && json { throw ValidationError("choose one of --raw and --frame-json") }
    }
}

extension FrameOptions.Values {
    var maximum: Int { maximumFrame?.value ?? 16 << 20 }

    /// Prints one received message: as a line, or as a JSON object.
    func deliver(_ message: [UInt8]) {
        if json {
            let record = MessageRecord(
                bytes: message.count, text: String(validating: message, as: UTF8.self), hex: message.withUnsafeBytes { HexDump.hex($0) })
            Diagnostics.output(JSONLine.text(record))
        } else if raw {
            Diagnostics.output(bytes: message)
        } else {
            // One message, one line, whatever bytes it holds: binary-safe and never split.
            Diagnostics.output(message.withUnsafeBytes { HexDump.escaped($0, limit: nil) } + "\n")
        }
    }

    /// Runs a framed relay on a connected socket; returns (sent, received) message counts.
    func relay(_ socket: Socket, session: SessionOptions.Values, tuning: SocketTuningOptions.Values, input: FileDescriptor? = .standardInput)
        throws(SockscopeError)
        -> FramedRelay.Report
    {
        guard let format else { throw .usage("no --frame format") }
        return try FramedRelay(
            socket: socket, format: format, maximumFrame: maximum, input: input,
            options: session.relayOptions(tuning: tuning), deliver: deliver
        ).run()
    }
}
