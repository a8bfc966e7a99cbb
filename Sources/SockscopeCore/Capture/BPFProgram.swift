import CPcap

/// A compiled BPF filter (`pcap_compile`), freed with it (`pcap_freecode`): installed
/// on a live capture (`pcap_setfilter`), or run on each packet read from a file
/// (`pcap_offline_filter`), so the reader sees every packet and keeps in step with
/// what else it reads of the file.
final class BPFProgram {
    private var program = bpf_program()

    /// Compiles `expression` for `handle`'s link type; nil for the empty expression.
    /// - Throws: exit 64 naming libpcap's complaint when it does not compile.
    init?(_ handle: OpaquePointer, _ expression: String) throws(SockscopeError) {
        guard !expression.isEmpty else { return nil }
        // A filter of thousands of terms can take minutes to compile: Ctrl-C ends it.
        let compiled = Interruption.immediately { pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) }
        guard compiled == 0 else {
            throw SockscopeError("bad capture filter '\(expression)': \(String(cString: pcap_geterr(handle)))", status: .usage)
        }
    }

    deinit { pcap_freecode(&program) }

    /// Installs the program on a live capture; false when libpcap refused it.
    func install(on handle: OpaquePointer) -> Bool { pcap_setfilter(handle, &program) == 0 }

    /// Whether the packet passes the filter.
    func matches(_ header: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>) -> Bool {
        pcap_offline_filter(&program, header, data) != 0
    }
}
