/// The link-layer header types sockscope decodes (libpcap's DLT_/LINKTYPE_ numbers).
package enum LinkType: Sendable, Hashable, CaseIterable {
    /// Ethernet (and `lo`, which has a zeroed 14-byte Ethernet header).
    case ethernet
    /// BSD loopback: a 4-byte address family in host byte order (NULL) or network order (LOOP).
    case null
    case loop
    /// Raw IP: no link header.
    case raw
    /// Linux "cooked" captures (`any`): version 1 (16 bytes) and 2 (20 bytes).
    case linuxSLL
    case linuxSLL2
    /// Raw IPv4 or IPv6 only.
    case ipv4
    case ipv6
    /// PPP (RFC 1661/1662: address 0xFF and control 0x03, unless compressed, then the
    /// protocol) and PPP in HDLC-like framing (Cisco HDLC frames are not PPP's).
    case ppp
    case pppHDLC
    /// IP over InfiniBand (RFC 4391): 40 bytes (the destination address, or a GRH), a
    /// 2-byte EtherType and 2 reserved bytes, as tcpdump and Wireshark read it.
    case ipOverInfiniBand

    /// From a data-link type as pcap_datalink() or a file header gives it.
    package init?(dlt: Int32) {
        switch dlt {
        case 1: self = .ethernet
        case 0: self = .null
        case 108: self = .loop
        case 12, 14, 101: self = .raw
        case 113: self = .linuxSLL
        case 276: self = .linuxSLL2
        case 228: self = .ipv4
        case 229: self = .ipv6
        case 9: self = .ppp
        case 50: self = .pppHDLC
        case 242: self = .ipOverInfiniBand
        default: return nil
        }
    }

    package var name: String {
        switch self {
        case .ethernet: "EN10MB"
        case .null: "NULL"
        case .loop: "LOOP"
        case .raw: "RAW"
        case .linuxSLL: "LINUX_SLL"
        case .linuxSLL2: "LINUX_SLL2"
        case .ipv4: "IPV4"
        case .ipv6: "IPV6"
        case .ppp: "PPP"
        case .pppHDLC: "PPP_HDLC"
        case .ipOverInfiniBand: "IPOIB"
        }
    }
}
