import CPcap
import Glibc
import SystemPackage

/// Where a capture's packets are saved (`--pcap-out`), and in which format.
package struct CaptureOutput: Sendable, Equatable {
    /// The two formats a capture is saved in.
    package enum Format: Sendable, Equatable {
        /// Classic pcap, written by libpcap (`pcap_dump`): what every tool reads.
        case pcap
        /// pcapng, written by sockscope: nanosecond times, and a comment on each packet
        /// the tap annotated.
        case pcapng
    }

    package var path: String
    package var format: Format
    /// The section comment of a pcapng file: the command line that made it.
    package var comment: String
    /// The program and its version, for the section header's `shb_userappl`.
    package var application: String

    /// pcapng when asked for (`--pcapng`) or when `path` ends in `.pcapng`; else pcap.
    package init(path: String, pcapng: Bool = false, comment: String = "", application: String = "sockscope") {
        self.path = path
        format = pcapng || path.lowercased().hasSuffix(".pcapng") ? .pcapng : .pcap
        self.comment = comment
        self.application = application
    }
}

/// Saves the packets of a capture or a file being read: classic pcap through libpcap's
/// dumper, pcapng through ``PcapngWriter`` (which keeps each packet's annotation).
package final class CaptureWriter {
    private enum Sink {
        case pcap(OpaquePointer)
        case pcapng(PcapngWriter)
    }

    private var sink: Sink?
    private let output: CaptureOutput
    /// Whether the handle's times are in nanoseconds (`pcap_pkthdr.ts.tv_usec` holds them).
    private let nanoseconds: Bool

    /// Opens `output.path` for packets of `handle`'s link type and snap length, from
    /// `interface` (its name, for pcapng's interface description).
    /// - Throws: exit 73 when the file cannot be created.
    package init(_ output: CaptureOutput, handle: OpaquePointer, interface: String?, nanoseconds: Bool) throws(SockscopeError) {
        self.output = output
        self.nanoseconds = nanoseconds
        switch output.format {
        case .pcap:
            guard let dumper = pcap_dump_open(handle, output.path) else {
                throw SockscopeError("cannot create \(output.path): \(String(cString: pcap_geterr(handle)))", status: .cannotCreate)
            }
            sink = .pcap(dumper)
        case .pcapng:
            let description = PcapngWriter.Interface(
                linkType: pcap_datalink(handle), snapLength: UInt32(clamping: pcap_snapshot(handle)), name: interface)
            sink = .pcapng(try PcapngWriter(path: output.path, comment: output.comment, application: output.application, interfaces: [description]))
        }
    }

    deinit { _ = close() }

    /// Saves one packet (as libpcap handed it over), with `comment` in a pcapng file.
    package func write(_ header: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>, comment: String?) {
        switch sink {
        case .pcap(let dumper): pcap_dump(UnsafeMutablePointer(dumper), header, data)
        case .pcapng(let writer):
            let time = CaptureWriter.time(header.pointee.ts, nanoseconds: nanoseconds)
            writer.write(
                UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen)), originalLength: Int(header.pointee.len), time: time,
                comment: comment)
        case nil: return
        }
    }

    /// Flushes and closes the file; the failure when it is short (the file then holds
    /// the packets before it). Later calls do nothing.
    package func close() -> SockscopeError? {
        defer { sink = nil }
        switch sink {
        case .pcap(let dumper): return Self.closeDumper(dumper, path: output.path)
        case .pcapng(let writer): return writer.close()
        case nil: return nil
        }
    }

    /// A packet header's time since the epoch (`tv_usec` holds nanoseconds when the
    /// handle was opened with nanosecond precision).
    package static func time(_ stamp: timeval, nanoseconds: Bool) -> Duration {
        .seconds(stamp.tv_sec) + (nanoseconds ? .nanoseconds(stamp.tv_usec) : .microseconds(stamp.tv_usec))
    }

    /// Flushes and closes a pcap file being written; the failure when it is short. A
    /// write that failed (ENOSPC, EIO) leaves the stream in error; the flush reports what
    /// was still buffered. Either means the file holds only the packets before it.
    private static func closeDumper(_ dumper: OpaquePointer, path: String) -> SockscopeError? {
        let file = pcap_dump_file(dumper)
        let flushed = pcap_dump_flush(dumper) == 0
        let failed = !flushed || (file.map { ferror($0) != 0 } ?? false)
        let error = Errno.current
        pcap_dump_close(dumper)
        guard failed else { return nil }
        return SockscopeError(
            "cannot write \(path): \(error.nameAndText)", explanation: "the file holds only the packets written before the failure", status: .ioError)
    }
}
