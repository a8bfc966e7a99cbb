import SockscopeCore
import Testing

/// The scan order: zmap's cyclic-group permutation, shards, windows of whole hosts,
/// and target spaces that are never materialised.
@Suite("probe: order, shards and target spaces")
struct ProbeOrderTests {
    @Test("every probe index exactly once, for sizes 1 to 300 and several seeds")
    func permutation() throws {
        for size in UInt64(1)...300 {
            for seed: UInt64 in [0, 1, 42, 0xDEAD_BEEF] {
                let order = Array(try ProbeOrder(size: size, seed: seed))
                #expect(order.count == Int(size) && Set(order) == Set(0..<size), "size \(size), seed \(seed)")
            }
        }
    }

    @Test("shards 1, 3 and 7 are disjoint and together complete; the same seed gives the same order, another seed another")
    func shards() throws {
        for size: UInt64 in [1, 2, 6, 7, 100, 4096 * 3, 65_537] {
            for shards in [1, 3, 7] {
                var union: [UInt64] = []
                for shard in 0..<shards { union += try ProbeOrder(size: size, seed: 9, shard: shard, of: shards) }
                #expect(union.count == Int(size) && Set(union) == Set(0..<size), "size \(size) in \(shards) shards")
            }
        }
        let first = Array(try ProbeOrder(size: 1000, seed: 5))
        #expect(first == Array(try ProbeOrder(size: 1000, seed: 5)))
        #expect(first != Array(try ProbeOrder(size: 1000, seed: 6)))
        #expect(first != Array(0..<1000), "not the natural order")
    }

    @Test("primes and primitive roots: Miller–Rabin agrees with a sieve; the modulus is the next prime")
    func arithmetic() throws {
        var composite = [Bool](repeating: false, count: 20_000)
        for n in 2..<composite.count where !composite[n] {
            for multiple in Swift.stride(from: n * n, to: composite.count, by: n) { composite[multiple] = true }
        }
        for n in 2..<composite.count {
            let order = try ProbeOrder(size: UInt64(n - 1), seed: 3)
            if !composite[n] { #expect(order.prime == UInt64(n), "\(n) is prime") }
        }
        let large = try ProbeOrder(size: ProbeOrder.maximumSize, seed: 1)
        #expect(large.prime == 281_474_976_710_677)  // the first prime over 2^48
        #expect(throws: SockscopeError.self) { try ProbeOrder(size: ProbeOrder.maximumSize + 1, seed: 1) }
        #expect(throws: SockscopeError.self) { try ProbeOrder(size: 10, seed: 1, shard: 3, of: 3) }
    }

    @Test("a scan plan: windows of whole hosts (every port), every probe once, shards complete and disjoint")
    func plan() throws {
        let targets = try TargetSpace.parse(["10.77.0.0/22"], family: nil)
        let space = ProbeSpace(targets: targets, ports: [22, 80, 443])
        let plan = try ScanPlan(space: space, seed: 11, windowProbes: 300)
        #expect(plan.hostsPerWindow == 100)
        var all: [UInt64] = []
        for window in plan {
            let hosts = Set(window.map { $0 / 3 })
            #expect(window.count == hosts.count * 3, "each host of a window has all three ports in it")
            #expect(window != window.sorted(), "a window is not probed in address order")
            all += window
        }
        #expect(all.count == 3072 && Set(all).count == 3072)
        for shards in [3, 7] {
            var union: [UInt64] = []
            for shard in 0..<shards { union += try ScanPlan(space: space, seed: 11, shard: shard, of: shards, windowProbes: 300).joined() }
            #expect(union.count == 3072 && Set(union) == Set(all), "\(shards) shards")
        }
    }

    @Test("target spaces: blocks, ranges and addresses as segments; exclusions cut; overlaps merged; names of the space kept")
    func targetSpaces() throws {
        let space = try TargetSpace.parse(["10.0.0.0/30", "10.0.0.2", "10.0.1.5-10.0.1.7", "fd00::1"], excluding: ["10.0.0.1", "10.0.1.6"], family: nil)
        let addresses = (0..<space.count).map { "\(space.target(at: $0).address)" }
        #expect(addresses == ["10.0.0.0", "10.0.0.2", "10.0.0.3", "10.0.1.5", "10.0.1.7", "fd00::1"])
        #expect(space.hostCount == 6)
        let wide = try TargetSpace.parse(["10.0.0.0/8"], excluding: ["10.128.0.0/9"], family: nil)
        #expect(wide.count == 1 << 23 && wide.segments.count == 1)
        #expect("\(wide.target(at: (1 << 23) - 1).address)" == "10.127.255.255")
        let v6 = try TargetSpace.parse(["fd00::/112"], family: nil)
        #expect(v6.count == 65536 && "\(v6.target(at: 65535).address)" == "fd00::ffff")
        #expect(try TargetSpace.parse(["10.0.0.1", "::1"], family: .inet6).count == 1)
        let consecutive = try TargetSpace.parse((0..<1000).map { "10.1.\($0 / 256).\($0 % 256)" }, family: nil)
        #expect(consecutive.segments.count == 1 && consecutive.count == 1000, "consecutive addresses share one segment")
        #expect(throws: SockscopeError.self) { try TargetSpace.parse(["fd00::/64"], family: nil) }
        #expect(throws: SockscopeError.self) { try TargetSpace.parse(["10.0.0.9-10.0.0.1"], family: nil) }
    }
}
