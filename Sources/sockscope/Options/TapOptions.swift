import ArgumentParser
import SockscopeCore

/// `--tap` and friends, for connect, listen and probe.
struct TapOptions: ParsableArguments {
    @Flag(
        name: .customLong("tap"),
        help: "Capture this connection's packets (libpcap; needs CAP_NET_RAW) and print them on stderr with the TCP states they cause.")
    var tap = false

    @Option(
        name: .customLong("tap-interface"),
        help: ArgumentHelp("Capture on this interface (implies --tap; default: lo for loopback, else the route's).", valueName: "iface"),
        completion: .shellCommand("ls /sys/class/net"))
    var interface: String?

    @Flag(name: .customLong("tap-payload"), help: "Keep payload bytes in the capture, not just the headers (implies --tap).")
    var payload = false

    @Option(
        name: .customLong("pcap-out"),
        help: ArgumentHelp(
            "Also write the captured packets to this file (implies --tap): pcap, or pcapng with each packet's "
                + "annotation for a .pcapng name.",
            valueName: "file"),
        completion: .file())
    var pcapOut: String?

    @Flag(
        name: .customLong("pcapng"),
        help: "Write --pcap-out as pcapng, each annotated packet with what the tap says of it as its comment (the default for a .pcapng name).")
    var pcapng = false

    @Flag(name: .customLong("follow-timewait"), help: "After the close, keep reporting the TIME-WAIT socket until the kernel drops it (60 s; implies --tap).")
    var followTimeWait = false

    /// --diagram and --plot (imply --tap): the first connection captured, drawn.
    @OptionGroup var pictures: PictureOptions

    /// Whether to capture: --tap, or any option that only makes sense with it.
    var enabled: Bool { values.enabled }

    func validate() throws {
        if pcapng && pcapOut == nil { throw ValidationError("--pcapng is the format of the --pcap-out file; give one") }
    }
}

extension TapOptions.Values {
    /// Whether to capture: --tap, or any option that only makes sense with it.
    var enabled: Bool { tap || interface != nil || pcapOut != nil || payload || followTimeWait || pictures.enabled }

    /// In a `-v` run writing pcapng, the log of socket calls whose packets the file's
    /// comments name ("call connect(fd 3, 127.0.0.1:80); client: SYN-SENT"); nil otherwise.
    func callLog(verbose: Bool) -> SocketCallLog? {
        verbose && enabled && CaptureOutput.requested(pcapOut, pcapng: pcapng)?.format == .pcapng ? SocketCallLog() : nil
    }

    func captureOptions(interface fallback: String, filter: String) -> PacketCapture.Options {
        PacketCapture.Options(
            interface: interface ?? fallback, filter: filter, snapLength: payload ? 65_535 : 128, pcapOut: .requested(pcapOut, pcapng: pcapng))
    }
}
