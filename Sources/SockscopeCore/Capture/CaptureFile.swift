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
    private var dumper: OpaquePointer?
    private let pcapOut: String?
    /// Set by `close` when the --pcap-out copy could not be written completely.
    package private(set) var writeFailure: SockscopeError?

    /// Opens `path` and installs `filter` (empty: everything; nil: tap's default, as much
    /// of it as compiles for the file's link type); with `pcapOut`, the packets that pass
    /// the filter are copied there (tcpdump -r IN -w OUT).
    /// - Throws: 72 without libpcap, 74 for a file libpcap cannot read (naming why),
    ///   64 for a bad filter, 73 when `pcapOut` cannot be created.
    package init(path: String, filter: String?, pcapOut: String? = nil) throws(SockscopeError) {
        self.path = path
        self.pcapOut = pcapOut
        try PacketCapture.loadLibpcap()
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline(path, &errorBuffer) else {
            let reason = String(decoding: errorBuffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw SockscopeError(
                "cannot read \(path): \(reason)", explanation: "tap --read takes pcap and pcapng files (tcpdump -w, tshark -w, dumpcap, --pcap-out)",
                status: .ioError)
        }
        dlt = pcap_datalink(handle)
        linkType = LinkType(dlt: dlt)
        do throws(SockscopeError) {
            filterText = try PacketCapture.installFilter(handle, filter)
            if let pcapOut {
                guard let dumper = pcap_dump_open(handle, pcapOut) else {
                    throw SockscopeError("cannot create \(pcapOut): \(String(cString: pcap_geterr(handle)))", status: .cannotCreate)
                }
                self.dumper = dumper
            }
        } catch {
            pcap_close(handle)
            throw error
        }
        self.handle = handle
    }

    deinit { close() }

    /// What the file's link type is called: sockscope's name, or libpcap's DLT number.
    package var linkTypeName: String { linkType?.name ?? "link type \(dlt), not decoded by sockscope" }

    /// Reads up to `limit` packets and hands each to `body` (decoded, nil when it is not
    /// IP or its link type is unknown; the length on the wire; the time it was captured,
    /// since the epoch). Returns how many were read, or nil at the end of the file.
    /// - Throws: 74 when the file is damaged or cut short (the packets before were handed over).
    /// Packets of a known link type that could not be decoded, counted by why.
    package private(set) var undecoded: [String: Int] = [:]

    package func read(limit: Int = 10_000, _ body: (Packet?, _ length: Int, _ time: Duration) -> Void) throws(SockscopeError) -> Int? {
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
            if let dumper { pcap_dump(UnsafeMutablePointer(dumper), header, data) }
            let time = Duration.seconds(header.pointee.ts.tv_sec) + .microseconds(header.pointee.ts.tv_usec)
            let frame = Array(UnsafeBufferPointer(start: data, count: Int(header.pointee.caplen)))
            let packet = linkType.flatMap { PacketDecoder.decode(frame, linkType: $0, timestamp: time, wireLength: Int(header.pointee.len)) }
            if packet == nil, let linkType { undecoded[PacketDecoder.whyNotDecoded(frame, linkType: linkType), default: 0] += 1 }
            body(packet, Int(header.pointee.len), time)
            count += 1
        }
        return count
    }

    /// Closes the file (and flushes the --pcap-out copy).
    package func close() {
        if let dumper {
            writeFailure = writeFailure ?? PacketCapture.closeDumper(dumper, path: pcapOut)
            self.dumper = nil
        }
        if let handle {
            pcap_close(handle)
            self.handle = nil
        }
    }
}
