import CPcap
import Glibc
import SystemPackage

/// A capture file read through libpcap (`pcap_open_offline`: pcap and pcapng, any link
/// type libpcap reads), with a BPF filter, a packet at a time so memory stays bounded
/// however large the file. Packets of a link type the decoder does not know are handed
/// over undecoded (nil), to be counted, not refused.
package final class CaptureFile {
    package let path: String
    /// The file's link type when sockscope decodes it.
    package let linkType: LinkType?
    /// libpcap's DLT number for the file's link type.
    package let dlt: Int32
    /// The filter installed (see ``PacketCapture/installFilter(_:_:)``).
    package private(set) var filterText = ""
    private var handle: OpaquePointer?
    private var program: BPFProgram?
    private var writer: CaptureWriter?
    /// A pcapng file's packet comments, read in step with libpcap's packets.
    private let comments: PcapngComments?
    /// Times are read in nanoseconds when they are saved in pcapng (which keeps them).
    private let nanoseconds: Bool
    /// Set by `close` when the --pcap-out copy could not be written completely.
    package private(set) var writeFailure: SockscopeError?
    /// Packets of a known link type that could not be decoded, counted by why.
    package private(set) var undecoded: [String: Int] = [:]

    /// What the reader is handed for each packet that passes the filter.
    package struct Record {
        /// The packet decoded; nil when it is not IP or its link type is unknown.
        package var packet: Packet?
        /// Its length on the wire.
        package var length: Int
        /// When it was captured, since the epoch.
        package var time: Duration
        /// The comment the file holds for it (pcapng), if any.
        package var comment: String?
    }

    /// Opens `path` and installs `filter` (empty: everything; nil: tap's default, as much
    /// of it as compiles for the file's link type); with `pcapOut`, the packets that pass
    /// the filter are copied there (tcpdump -r IN -w OUT), in pcapng with each packet's
    /// annotation (or, without one, the comment it had).
    /// - Throws: 72 without libpcap, 74 for a file libpcap cannot read (naming why),
    ///   64 for a bad filter, 73 when `pcapOut` cannot be created.
    package init(path: String, filter: String?, pcapOut: CaptureOutput? = nil) throws(SockscopeError) {
        self.path = path
        nanoseconds = pcapOut?.format == .pcapng
        try PacketCapture.loadLibpcap()
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        let precision = UInt32(nanoseconds ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO)
        guard let handle = pcap_open_offline_with_tstamp_precision(path, precision, &errorBuffer) else {
            let reason = String(decoding: errorBuffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw SockscopeError(
                "cannot read \(path): \(reason)", explanation: "tap --read takes pcap and pcapng files (tcpdump -w, tshark -w, dumpcap, --pcap-out)",
                status: .ioError)
        }
        dlt = pcap_datalink(handle)
        linkType = LinkType(dlt: dlt)
        comments = PcapngComments(path: path)
        do throws(SockscopeError) {
            (filterText, program) = try PacketCapture.chooseFilter(handle, filter)
            if let pcapOut { writer = try CaptureWriter(pcapOut, handle: handle, interface: nil, nanoseconds: nanoseconds) }
        } catch {
            pcap_close(handle)
            throw error
        }
        self.handle = handle
    }

    deinit { close() }

    /// What the file's link type is called: sockscope's name, or libpcap's DLT number.
    package var linkTypeName: String { linkType?.name ?? "link type \(dlt), not decoded by sockscope" }

    /// Reads up to `limit` packets and hands each that passes the filter to `body`, then
    /// copies it to --pcap-out with the comment `body` returns (or the file's own).
    /// Returns how many were read, or nil at the end of the file.
    /// - Throws: 74 when the file is damaged or cut short (the packets before were handed over).
    package func read(limit: Int = 10_000, _ body: (Record) -> String?) throws(SockscopeError) -> Int? {
        guard let handle else { return nil }
        var count = 0
        while count < limit {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(handle, &header, &data)
            if status == PCAP_ERROR_BREAK { return count == 0 ? nil : count }
            guard status == 1, let header, let data else {
                throw SockscopeError(
                    "cannot read \(path) past packet \(count): \(String(cString: pcap_geterr(handle)))",
                    explanation: "the file is cut short or damaged; the packets before this point were read", status: .ioError)
            }
            let comment = comments?.next()
            if let program, !program.matches(header, data) { continue }
            let time = CaptureWriter.time(header.pointee.ts, nanoseconds: nanoseconds)
            let frame = Array(UnsafeBufferPointer(start: data, count: Int(header.pointee.caplen)))
            let packet = linkType.flatMap { PacketDecoder.decode(frame, linkType: $0, timestamp: time, wireLength: Int(header.pointee.len)) }
            if packet == nil, let linkType { undecoded[PacketDecoder.whyNotDecoded(frame, linkType: linkType), default: 0] += 1 }
            let annotation = body(Record(packet: packet, length: Int(header.pointee.len), time: time, comment: comment))
            writer?.write(header, data, comment: Self.merged(comment, annotation))
            count += 1
        }
        return count
    }

    /// The comment a copied packet carries: the file's, with the tap's annotation after
    /// it unless the file's already says it (a file sockscope wrote, or `demo`'s calls).
    static func merged(_ comment: String?, _ annotation: String?) -> String? {
        guard let comment, !comment.isEmpty else { return annotation }
        guard let annotation, !comment.contains(annotation) else { return comment }
        return comment + "; " + annotation
    }

    /// Closes the file (and flushes the --pcap-out copy).
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
}
