/// How a scan walks its probes: in windows of whole hosts, each window's probes in a
/// ProbeOrder of their own, the windows themselves in a random order.
///
/// The targets are cut into blocks of `hostsPerWindow` consecutive hosts (every port
/// of each); the blocks are visited in one cyclic-group order and the probes of a block
/// in another, both chosen by the seed — so consecutive probes land on different hosts
/// of the block, a window holds every probe of its hosts (a host's summary is complete
/// when its window ends), and memory is one window's, whatever the size of the space.
/// Shard i of n takes the steps ≡ i (mod n) of every block's order: the shards are
/// disjoint and together complete, and each sees every block.
package struct ScanPlan: Sendable, Sequence {
    package let space: ProbeSpace
    package let seed: UInt64
    package let shard: Int
    package let shards: Int
    /// Hosts per window: as many as `windowProbes` probes allow (at least one).
    package let hostsPerWindow: UInt64
    private let blockOrder: ProbeOrder

    /// - Throws: usage (64) for a space over 2^48 probes or a bad shard.
    package init(space: ProbeSpace, seed: UInt64, shard: Int = 0, of shards: Int = 1, windowProbes: Int = 1 << 16) throws(SockscopeError) {
        guard space.count <= ProbeOrder.maximumSize else {
            throw .usage("\(space.count) probes are more than one scan takes (at most 2^48, every IPv4 address × every port): split the targets")
        }
        self.space = space
        self.seed = seed
        self.shard = shard
        self.shards = shards
        hostsPerWindow = Swift.max(1, UInt64(windowProbes / Swift.max(1, space.ports.count)))
        let blocks = (space.targets.count + hostsPerWindow - 1) / hostsPerWindow
        blockOrder = try ProbeOrder(size: Swift.max(1, blocks), seed: seed)
        _ = try ProbeOrder(size: 1, seed: seed, shard: shard, of: shards)  // checks the shard
    }

    /// About how many probes this shard sends (exact without shards).
    package var probes: UInt64 { (space.count + UInt64(shards) - 1 - UInt64(shard)) / UInt64(shards) }

    package struct Iterator: IteratorProtocol {
        fileprivate let plan: ScanPlan
        fileprivate var blocks: ProbeOrder.Iterator
        /// How many blocks of the order it has passed (the windows handed out and the
        /// empty ones between): where a resumed scan starts again.
        package private(set) var blocksTaken: UInt64 = 0

        /// The next window: global probe indices in the order to send them (never empty).
        package mutating func next() -> [UInt64]? {
            while let block = blocks.next() {
                blocksTaken += 1
                let window = plan.window(block)
                if !window.isEmpty { return window }
            }
            return nil
        }

        /// Passes over the first `count` blocks without making their windows (a resumed
        /// scan's done part).
        package mutating func skip(blocks count: UInt64) {
            while blocksTaken < count, blocks.next() != nil { blocksTaken += 1 }
        }
    }

    package func makeIterator() -> Iterator { Iterator(plan: self, blocks: blockOrder.makeIterator()) }

    /// This shard's probes of block `block`, in the block's own order.
    func window(_ block: UInt64) -> [UInt64] {
        let ports = UInt64(space.ports.count)
        let firstHost = block * hostsPerWindow
        let hosts = Swift.min(hostsPerWindow, space.targets.count - firstHost)
        var mixer = SplitMix64(seed: seed ^ (block &* 0x9E37_79B9_7F4A_7C15))
        // The block's size and the shard were checked; a failure here cannot happen.
        guard let order = try? ProbeOrder(size: hosts * ports, seed: mixer.next(), shard: shard, of: shards) else { return [] }
        var window: [UInt64] = []
        window.reserveCapacity(Int(Swift.min(order.steps, hosts * ports)))
        let base = firstHost * ports
        for index in order { window.append(base + index) }
        return window
    }
}
