/// The order in which a scan visits its probes, and the share of them one shard takes:
/// zmap's construction, a walk around the multiplicative group of integers modulo a
/// prime p just above the number of probes.
///
/// With S probes and p the smallest prime over S, a primitive root g of p generates
/// every number 1 … p − 1 exactly once as x₀·gᵏ mod p for k = 0 … p − 2. Numbers over
/// S are skipped; the rest, minus one, are the probe indices, each visited exactly once
/// in an order that looks random (consecutive probes land on different hosts). The seed
/// picks g and x₀, so the same seed gives the same order on every machine. Shard i of n
/// takes the steps k ≡ i (mod n): the n shards are disjoint, their union is the whole
/// space, and each costs one multiplication per step whatever the size — nothing is
/// materialised, so a /8 costs no more memory than a /24.
package struct ProbeOrder: Sendable, Sequence {
    /// How many probes the whole space holds.
    package let size: UInt64
    /// The prime modulus (the smallest prime over `size`).
    package let prime: UInt64
    /// The primitive root the seed chose.
    package let generator: UInt64
    /// Where this shard's walk starts (x₀·gⁱ) and its step (gⁿ).
    private let first: UInt64
    private let step: UInt64
    /// How many steps of the cycle this shard takes (some land over `size` and are skipped).
    package let steps: UInt64

    /// The largest space a scan may have: 2^48 probes (every IPv4 address × every port).
    package static let maximumSize: UInt64 = 1 << 48

    /// - Parameters:
    ///   - size: the number of probes (targets × ports), 1 … 2^48.
    ///   - seed: picks the generator and the starting point.
    ///   - shard: this part, 0 ..< `shards`.
    /// - Throws: usage (64) for an empty or oversized space or a bad shard.
    package init(size: UInt64, seed: UInt64, shard: Int = 0, of shards: Int = 1) throws(SockscopeError) {
        guard size >= 1 else { throw .usage("nothing to probe") }
        guard size <= Self.maximumSize else {
            throw .usage("\(size) probes are more than one scan takes (at most 2^48, every IPv4 address × every port): split the targets")
        }
        guard shards >= 1, (0..<shards).contains(shard) else { throw .usage("bad shard \(shard + 1)/\(shards)") }
        self.size = size
        prime = Self.nextPrime(after: size)
        var random = SplitMix64(seed: seed)
        generator = Self.primitiveRoot(of: prime, using: &random)
        let start = prime == 2 ? 1 : 1 + random.next() % (prime - 1)
        first = Self.multiply(start, Self.power(generator, UInt64(shard), prime), prime)
        step = Self.power(generator, UInt64(shards), prime)
        let cycle = prime - 1
        steps = UInt64(shard) < cycle ? (cycle - UInt64(shard) + UInt64(shards) - 1) / UInt64(shards) : 0
    }

    package struct Iterator: IteratorProtocol {
        fileprivate let order: ProbeOrder
        fileprivate var current: UInt64
        fileprivate var left: UInt64

        /// The next probe index of this shard, 0 ..< size.
        package mutating func next() -> UInt64? {
            while left > 0 {
                let value = current
                current = ProbeOrder.multiply(current, order.step, order.prime)
                left -= 1
                if value <= order.size { return value - 1 }
            }
            return nil
        }
    }

    package func makeIterator() -> Iterator { Iterator(order: self, current: first, left: steps) }

    // MARK: Arithmetic modulo p (p < 2^49, so products need 98 bits)

    static func multiply(_ a: UInt64, _ b: UInt64, _ modulus: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return modulus.dividingFullWidth((product.high, product.low)).remainder
    }

    static func power(_ base: UInt64, _ exponent: UInt64, _ modulus: UInt64) -> UInt64 {
        var result: UInt64 = 1 % modulus
        var base = base % modulus
        var exponent = exponent
        while exponent > 0 {
            if exponent & 1 == 1 { result = multiply(result, base, modulus) }
            base = multiply(base, base, modulus)
            exponent >>= 1
        }
        return result
    }

    /// Miller–Rabin with the first twelve primes as bases: exact for every 64-bit number.
    static func isPrime(_ n: UInt64) -> Bool {
        if n < 2 { return false }
        let bases: [UInt64] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
        for base in bases {
            if n == base { return true }
            if n % base == 0 { return false }
        }
        var odd = n - 1
        var twos = 0
        while odd & 1 == 0 {
            odd >>= 1
            twos += 1
        }
        witness: for base in bases {
            var x = power(base, odd, n)
            if x == 1 || x == n - 1 { continue }
            for _ in 1..<Swift.max(twos, 1) {
                x = multiply(x, x, n)
                if x == n - 1 { continue witness }
            }
            return false
        }
        return true
    }

    static func nextPrime(after n: UInt64) -> UInt64 {
        var candidate = n + 1
        while !isPrime(candidate) { candidate += 1 }
        return candidate
    }

    /// The distinct prime factors of `n`, by trial division (n < 2^49: at most 2^24.5 divisions).
    static func primeFactors(of n: UInt64) -> [UInt64] {
        var factors: [UInt64] = []
        var rest = n
        var divisor: UInt64 = 2
        while divisor * divisor <= rest {
            if rest % divisor == 0 {
                factors.append(divisor)
                while rest % divisor == 0 { rest /= divisor }
            }
            divisor += divisor == 2 ? 1 : 2
        }
        if rest > 1 { factors.append(rest) }
        return factors
    }

    /// A primitive root of `p` chosen by the seed: g generates the whole group when
    /// g^((p−1)/q) ≠ 1 for every prime q dividing p − 1.
    static func primitiveRoot(of p: UInt64, using random: inout SplitMix64) -> UInt64 {
        guard p > 3 else { return p == 3 ? 2 : 1 }
        let factors = primeFactors(of: p - 1)
        while true {
            let candidate = 2 + random.next() % (p - 3)
            if factors.allSatisfy({ power(candidate, (p - 1) / $0, p) != 1 }) { return candidate }
        }
    }
}

/// SplitMix64 (Steele, Lea and Flood): a small seeded generator, the same numbers on
/// every machine for the same seed.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
