import CPcap

/// Facts about the libpcap sockscope is linked against.
public enum Libpcap {
    /// libpcap's own version string, e.g. `libpcap version 1.10.3 (with TPACKET_V3)`.
    public static var version: String { String(cString: pcap_lib_version()) }
}
