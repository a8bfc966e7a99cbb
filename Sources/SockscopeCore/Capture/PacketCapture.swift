import CPcap
import Glibc
import SystemPackage

/// A live capture through libpcap on one interface, with a BPF filter.
///
/// Opened with pcap_create + immediate mode + pcap_activate (not pcap_open_live), and
/// read without blocking: libpcap's read timeout does not bound a blocking read on
/// Linux, so callers poll `selectableDescriptor` with their own deadline and then `drain`.
package final class PacketCapture {
    package struct Options: Sendable {
        package var interface: String
        /// A BPF filter expression (tcpdump syntax); empty for everything; nil for tap's
        /// default (``PacketCapture/defaultFilters``).
        package var filter: String?
        /// Bytes kept of each packet: enough for headers by default.
        package var snapLength: Int32
        /// Write every captured packet to this file too (pcap or pcapng).
        package var pcapOut: CaptureOutput?

        package init(interface: String, filter: String?, snapLength: Int32 = 128, pcapOut: CaptureOutput? = nil) {
            self.interface = interface
            self.filter = filter
            self.snapLength = snapLength
            self.pcapOut = pcapOut
        }
    }

    /// Packets seen and dropped, as pcap_stats reports them.
    package struct Statistics: Sendable {
        package var received: UInt32
        package var droppedByKernel: UInt32
        package var droppedByInterface: UInt32
    }

    private var handle: OpaquePointer?
    private var writer: CaptureWriter?
    /// pcapng keeps nanoseconds: the capture is opened with that precision for it.
    private let nanoseconds: Bool
    /// Set by `close` when the pcap file could not be written completely.
    package private(set) var writeFailure: SockscopeError?
    package let linkType: LinkType
    package let options: Options
    /// The filter installed: the one given, or the default that compiled for the link
    /// type ("" when none did: every frame comes, and what is not IP is skipped).
    package private(set) var filterText = ""

    /// Opens and activates the capture.
    /// - Throws: `SockscopeError` — exit 77 without CAP_NET_RAW (naming the fixes),
    ///   64 for a bad filter or unknown interface, 74 otherwise.
    package init(_ options: Options) throws(SockscopeError) {
        self.options = options
        nanoseconds = options.pcapOut?.format == .pcapng
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        try Self.loadLibpcap()
        guard let handle = pcap_create(options.interface, &errorBuffer) else {
            throw SockscopeError("cannot open \(options.interface) for capture: \(Self.text(errorBuffer))", status: .ioError)
        }
        do throws(SockscopeError) {
            if nanoseconds { pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO)) }
            try Self.activate(handle, options)
            let dlt = pcap_datalink(handle)
            guard let linkType = LinkType(dlt: dlt) else {
                throw SockscopeError("cannot decode the link type of \(options.interface) (DLT \(dlt))", status: .ioError)
            }
            filterText = try Self.installFilter(handle, options.filter)
            guard pcap_setnonblock(handle, 1, &errorBuffer) == 0 else {
                throw SockscopeError("cannot make the capture non-blocking: \(Self.text(errorBuffer))", status: .ioError)
            }
            if let output = options.pcapOut {
                writer = try CaptureWriter(output, handle: handle, interface: options.interface, nanoseconds: nanoseconds)
            }
            self.linkType = linkType
            self.handle = handle
        } catch {
            pcap_close(handle)
            throw error
        }
    }

    /// Immediate mode, the snap length, a 16 MiB buffer, then `pcap_activate`, whose
    /// failures are explained (CAP_NET_RAW, an unknown interface).
    private static func activate(_ handle: OpaquePointer, _ options: Options) throws(SockscopeError) {
        pcap_set_snaplen(handle, options.snapLength)
        pcap_set_immediate_mode(handle, 1)
        pcap_set_promisc(handle, 0)
        pcap_set_buffer_size(handle, 16 << 20)
        let status = pcap_activate(handle)
        guard status < 0 else { return }
        let message = String(cString: pcap_geterr(handle))
        switch status {
        case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
            throw SockscopeError(
                "capturing on \(options.interface) needs the CAP_NET_RAW capability: \(message)",
                explanation: "run as root, or give the binary the capability once: sudo setcap cap_net_raw,cap_net_admin+ep \(Self.executablePath)",
                status: .noPermission)
        case PCAP_ERROR_NO_SUCH_DEVICE:
            throw SockscopeError(
                "no interface named '\(options.interface)' to capture on: \(message)",
                explanation: "see `ip link` for the names", status: .usage)
        default:
            throw SockscopeError("cannot capture on \(options.interface): \(message)", status: .ioError)
        }
    }

    /// tap's default, most to least: IP traffic — GRE tunnels (protocol 47) over IPv4 and
    /// IPv6, IPv6 with extension headers too (a jumbogram's hop-by-hop header hides its
    /// TCP from `tcp`) — also behind an 802.1Q or
    /// QinQ tag (a plain `tcp` never matches a tagged frame; each `vlan` moves the offsets
    /// of everything after it, so the second tag is nested in the first); without the
    /// tags where the link type has none (libpcap refuses `vlan` there); nothing, where
    /// no filter compiles for the link type at all (IP over InfiniBand): reading a file
    /// must not depend on it.
    package static let defaultFilters = [
        "\(ipTraffic) or (vlan and (\(ipTraffic) or (vlan and (\(ipTraffic)))))", ipTraffic, "",
    ]

    private static let ipTraffic =
        "tcp or udp or icmp or icmp6 or ip proto 47 or "
        + "(ip6 and (ip6[6] == 0 or ip6[6] == 43 or ip6[6] == 44 or ip6[6] == 47 or ip6[6] == 60))"

    /// Installs `filter`, or (nil) the first of ``defaultFilters`` that compiles for the
    /// handle's link type; returns the expression installed.
    static func installFilter(_ handle: OpaquePointer, _ filter: String?) throws(SockscopeError) -> String {
        let (text, program) = try chooseFilter(handle, filter)
        guard let program else { return text }
        guard program.install(on: handle) else {
            throw SockscopeError("cannot set the capture filter: \(String(cString: pcap_geterr(handle)))", status: .ioError)
        }
        return text
    }

    /// Compiles `filter`, or (nil) the first of ``defaultFilters`` that compiles for the
    /// handle's link type: the expression and its program (nil for no filter).
    static func chooseFilter(_ handle: OpaquePointer, _ filter: String?) throws(SockscopeError) -> (String, BPFProgram?) {
        if let filter { return (filter, try BPFProgram(handle, filter)) }
        // PPP may leave out its address and control bytes (RFC 1661 §6.6), which libpcap's
        // compiled offsets take for granted: a default filter would drop those frames.
        if [9, 50].contains(pcap_datalink(handle)) { return ("", nil) }
        for candidate in defaultFilters {
            do throws(SockscopeError) {
                return (candidate, try BPFProgram(handle, candidate))
            } catch  where error.status == .usage {
                continue  // does not compile for this link type
            }
        }
        return ("", nil)
    }

    deinit { close() }

    /// A descriptor that becomes readable when packets wait (for poll/epoll).
    package var selectableDescriptor: FileDescriptor { FileDescriptor(rawValue: handle.map { pcap_get_selectable_fd($0) } ?? -1) }

    /// Reads every packet waiting, without blocking; hands each to `body` decoded
    /// (nil when it is not IP) with its timestamp since the epoch, then saves it (with
    /// the annotation `body` returns, in a pcapng file). Returns the count.
    @discardableResult
    package func drain(_ body: (Packet?, _ length: Int) -> String?) -> Int {
        guard let handle else { return 0 }
        var count = 0
        while count < 10_000 {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(handle, &header, &data)
            guard status == 1, let header, let data else { break }
            let captured = Int(header.pointee.caplen)
            let frame = Array(UnsafeBufferPointer(start: data, count: captured))
            let time = CaptureWriter.time(header.pointee.ts, nanoseconds: nanoseconds)
            let comment = body(
                PacketDecoder.decode(frame, linkType: linkType, timestamp: time, wireLength: Int(header.pointee.len)), Int(header.pointee.len))
            writer?.write(header, data, comment: comment)
            count += 1
        }
        return count
    }

    /// Waits (through the event loop) until packets are ready or `deadline` passes,
    /// then drains them. Returns how many were handed to `body`.
    /// - Throws: EINTR when SIGINT or SIGTERM arrived (drain what is left, then stop).
    @discardableResult
    package func waitAndDrain(until deadline: ContinuousClock.Instant, _ body: (Packet?, Int) -> String?) throws(SocketCallError) -> Int {
        _ = try EventLoop.wait(for: selectableDescriptor, .readable, deadline: deadline)
        return drain(body)
    }

    /// pcap_stats: how many packets the filter passed and how many were dropped.
    package var statistics: Statistics? {
        guard let handle else { return nil }
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return nil }
        return Statistics(received: stats.ps_recv, droppedByKernel: stats.ps_drop, droppedByInterface: stats.ps_ifdrop)
    }

    /// Flushes the pcap file and releases the capture.
    package func close() {
        if let writer {
            writeFailure = writeFailure ?? writer.close()
            self.writer = nil
        }
        if let handle {
            pcap_close(handle)
            self.handle = nil
        }
    }

    /// Loads libpcap (dlopen, once: see CPcap) — the first thing every capture does.
    /// - Throws: `SockscopeError` with exit 72 naming the package when it is not installed.
    package static func loadLibpcap() throws(SockscopeError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard cpcap_load(&errorBuffer) == 0 else { throw SockscopeError(text(errorBuffer), status: .missingLibrary) }
    }

    /// Compiles a BPF filter without capturing (pcap_open_dead): nil when it is valid,
    /// else libpcap's complaint (or why libpcap could not be loaded).
    package static func filterProblem(_ expression: String, linkType dlt: Int32 = 1) -> String? {
        do { try loadLibpcap() } catch { return error.message }
        guard let dead = pcap_open_dead(dlt, 128) else { return "libpcap could not open a dead handle" }
        defer { pcap_close(dead) }
        var program = bpf_program()
        guard pcap_compile(dead, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            return String(cString: pcap_geterr(dead))
        }
        pcap_freecode(&program)
        return nil
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// This program's path, for the setcap hint.
    static var executablePath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "sockscope"
    }
}
