import Synchronization

/// The nonces a proxy server hands out in its Digest challenges (RFC 7616 §3.3): 16
/// random bytes each, valid for `lifetime`; a request counts once per nonce count (`nc`
/// above the last one seen for that nonce), and a nonce answered without qop once, so
/// a captured request replayed is refused. Shared by every client of one server.
package final class DigestNonces: Sendable {
    /// What a nonce presented with a request came to.
    package enum Use: Equatable, Sendable {
        case fresh
        /// Ours, but past its lifetime: the client should ask again (`stale=true`).
        case stale
        /// Not one this server gave (or forgotten).
        case unknown
        /// Its count was not above the last one seen: a replay.
        case replayed
    }

    package let realm: String
    private let lifetime: Duration
    private let issued = Mutex<[String: (expires: ContinuousClock.Instant, lastCount: UInt64)]>([:])

    package init(realm: String = "sockscope", lifetime: Duration = .seconds(300)) {
        self.realm = realm
        self.lifetime = lifetime
    }

    /// The most nonces remembered: every unauthenticated request gets one, so a flood of
    /// them must not grow the table without bound (the oldest quarter then goes; a client
    /// answering one of those is challenged again).
    static let capacity = 4096

    /// A new nonce; expired ones are forgotten meanwhile (the table stays small).
    package func make() -> String {
        let nonce = HTTPAuthorization.clientNonce()
        let now = ContinuousClock.now
        issued.withLock { table in
            if table.count >= Self.capacity {
                table = table.filter { $0.value.expires > now }
                if table.count >= Self.capacity {
                    for (old, _) in table.sorted(by: { $0.value.expires < $1.value.expires }).prefix(Self.capacity / 4) { table[old] = nil }
                }
            }
            table[nonce] = (now + lifetime, 0)
        }
        return nonce
    }

    /// How many nonces are remembered (for tests).
    package var count: Int { issued.withLock { $0.count } }

    /// Records a request's use of `nonce` with nonce count `count` (nil without qop: the
    /// nonce is then used up).
    package func use(_ nonce: String, count: UInt64?) -> Use {
        let now = ContinuousClock.now
        return issued.withLock { table in
            guard let entry = table[nonce] else { return .unknown }
            guard entry.expires > now else {
                table[nonce] = nil
                return .stale
            }
            guard let count else {
                table[nonce] = nil
                return .fresh
            }
            guard count > entry.lastCount else { return .replayed }
            table[nonce] = (entry.expires, count)
            return .fresh
        }
    }

    /// The challenges a 407 carries: Digest (MD5, qop auth, as ncat's) and Basic.
    package func challenges(stale: Bool = false) -> String {
        "Proxy-Authenticate: Digest realm=\"\(realm)\", nonce=\"\(make())\", qop=\"auth\", algorithm=MD5\(stale ? ", stale=true" : "")\r\n"
            + "Proxy-Authenticate: Basic realm=\"\(realm)\"\r\n"
    }
}
