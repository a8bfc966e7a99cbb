import Glibc
import SystemPackage

/// The packet comments of a pcapng file (`opt_comment` on enhanced and obsolete packet
/// blocks), one per packet block in file order, read beside libpcap.
///
/// libpcap reads pcapng packets but gives no access to their options, so this walks the
/// same file's blocks on a descriptor of its own: each call to ``next()`` moves past
/// the next packet block (enhanced, simple or obsolete — the blocks `pcap_next_ex`
/// returns, one each) and returns its comment, if any. Sections may change byte order
/// (each section header's byte-order magic says which); other blocks are skipped.
/// Memory is one buffer of the largest block.
package final class PcapngComments {
    private let file: OwnedDescriptor
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0
    private var end = 0
    private var swapped = false
    private var finished = false

    private enum Block {
        static let section: UInt32 = 0x0A0D_0D0A
        static let packet: UInt32 = 2
        static let simplePacket: UInt32 = 3
        static let enhancedPacket: UInt32 = 6
    }

    /// Opens `path` when it is a pcapng file (its first block a section header); nil
    /// for any other file (classic pcap has no comments).
    package init?(path: String) {
        guard let file = OwnedDescriptor.open(path, O_RDONLY) else { return nil }
        self.file = file
        guard fill(12), load32(at: start) == Block.section else { return nil }
    }

    /// The comment of the next packet block (nil when it has none), past the blocks that
    /// carry no packet. At the end of the file, or at damage, nil from then on.
    package func next() -> String? {
        while !finished {
            guard fill(12) else { break }
            let type = load32(at: start)
            if type == Block.section {
                // The byte-order magic 0x1A2B3C4D, read in this machine's order.
                let magic: UInt32 = loadRaw(at: start + 8)
                swapped = magic == 0x4D3C_2B1A
            }
            let length = Int(load32(at: start + 4))
            guard length >= 12, length % 4 == 0, fill(length) else { break }
            defer { start += length }
            switch type {
            case Block.enhancedPacket: return comment(inBlockAt: start, dataLengthAt: 20, dataAt: 28, length: length)
            case Block.packet: return comment(inBlockAt: start, dataLengthAt: 20, dataAt: 28, length: length)
            case Block.simplePacket: return nil
            default: continue
            }
        }
        finished = true
        return nil
    }

    /// The `opt_comment` among a packet block's options (after its padded data).
    private func comment(inBlockAt block: Int, dataLengthAt lengthOffset: Int, dataAt dataOffset: Int, length: Int) -> String? {
        let captured = Int(load32(at: block + lengthOffset))
        var offset = block + dataOffset + ((captured + 3) & ~3)
        let optionsEnd = block + length - 4
        while offset + 4 <= optionsEnd {
            let code = load16(at: offset)
            let size = Int(load16(at: offset + 2))
            guard code != 0, offset + 4 + size <= optionsEnd else { return nil }
            if code == 1 { return String(decoding: buffer[offset + 4..<offset + 4 + size], as: UTF8.self) }
            offset += 4 + ((size + 3) & ~3)
        }
        return nil
    }

    /// Makes `count` bytes from `start` available in the buffer (moving what is left to
    /// the front and reading more, growing the buffer for a larger block); false at the
    /// end of the file or on a read error.
    private func fill(_ count: Int) -> Bool {
        if end - start >= count { return true }
        guard count <= 1 << 28 else { return false }
        if start > 0 {
            buffer.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return }
                memmove(base, base + start, end - start)
            }
            end -= start
            start = 0
        }
        if buffer.count < count { buffer += [UInt8](repeating: 0, count: count - buffer.count) }
        while end < count {
            let read = buffer.withUnsafeMutableBytes { raw in
                try? SystemCall.read(file.rawValue, into: UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
            }
            guard let got = read, got > 0 else { return false }
            end += got
        }
        return true
    }

    private func loadRaw<Integer: FixedWidthInteger>(at offset: Int) -> Integer {
        buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Integer.self) }
    }

    private func load32(at offset: Int) -> UInt32 {
        let value: UInt32 = loadRaw(at: offset)
        return swapped ? value.byteSwapped : value
    }

    private func load16(at offset: Int) -> UInt16 {
        let value: UInt16 = loadRaw(at: offset)
        return swapped ? value.byteSwapped : value
    }
}
