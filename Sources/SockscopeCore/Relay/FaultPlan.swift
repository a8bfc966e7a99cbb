/// Network faults applied to one direction of a relayed connection (`forward --delay`,
/// `--rate`, …), the kinds toxiproxy offers, made in user space so they need no netem.
package struct FaultPlan: Sendable, Equatable {
    /// Each chunk is held this long after it was read (latency), plus or minus `jitter`
    /// (uniformly drawn; order is kept, so a chunk never overtakes the one before).
    package var delay: Duration = .zero
    package var jitter: Duration = .zero
    /// At most this many bytes per second leave (a token bucket holding 50 ms of them).
    package var rate: Int?
    /// Each `send()` carries at most this many bytes, `sliceGap` apart, with TCP_NODELAY
    /// on the receiving leg, so the peer's `recv()` sees them one by one.
    package var slice: Int?
    package var sliceGap: Duration = .milliseconds(1)
    /// What happens after `limit.bytes` have been passed on: a reset, a FIN, or silence.
    package var limit: Limit?

    /// The end a direction comes to after a number of bytes.
    package struct Limit: Sendable, Equatable {
        package var bytes: Int
        package var action: FaultOutcome

        package init(bytes: Int, action: FaultOutcome) {
            self.bytes = bytes
            self.action = action
        }
    }

    package init() {}

    /// No fault at all: the plain `Pump` carries such a direction.
    package var isEmpty: Bool { self == FaultPlan() }
}

/// What a `FaultPlan`'s limit did to a direction.
package enum FaultOutcome: String, Sendable, Equatable {
    /// Both legs were reset (SO_LINGER 0, close) once the bytes had reached the peer.
    case reset
    /// The receiving leg got a FIN; what the sender sends after is read and dropped.
    case close
    /// Nothing more is passed on and no FIN is sent; what the sender sends is dropped.
    case stall
}

/// The faults of a forward: one plan per direction, and the share of new connections
/// refused.
package struct Faults: Sendable, Equatable {
    /// Client to target.
    package var upstream = FaultPlan()
    /// Target to client.
    package var downstream = FaultPlan()
    /// The fraction (0…1) of accepted clients reset at once instead of forwarded.
    package var refuse = 0.0

    package init(upstream: FaultPlan = FaultPlan(), downstream: FaultPlan = FaultPlan(), refuse: Double = 0) {
        self.upstream = upstream
        self.downstream = downstream
        self.refuse = refuse
    }

    package var isEmpty: Bool { upstream.isEmpty && downstream.isEmpty && refuse == 0 }
}
