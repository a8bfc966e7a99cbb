/// A connection's set-up as one stage: its stages — connect, a proxy tunnel, a TLS
/// handshake — one after another on one socket, under the one deadline of whoever
/// drives it (``EventLoop/drive(_:on:deadline:then:)`` on a server's or a prober's loop,
/// ``ConnectionStage/run(on:deadline:)`` for one connection). Each stage that ends is
/// handed to `ended` before the next is stepped (a caller's events: connected,
/// tunnelled, secured); when the sequence fails or runs out of time, ``current`` is the
/// stage that did, so a caller answers each kind of failure its own way.
package final class StageSequence: ConnectionStage {
    package let stages: [any ConnectionStage]
    private var position = 0
    private let ended: (any ConnectionStage) -> Void
    /// True once the deadline cut the sequence (``timedOut(after:)`` was asked).
    package private(set) var expired = false

    /// - Parameter ended: told of each stage that ends, in order, before the next starts.
    package init(_ stages: [any ConnectionStage], ended: @escaping (any ConnectionStage) -> Void = { _ in }) {
        self.stages = stages
        self.ended = ended
    }

    /// The stage running: the one that failed or was cut when the sequence ended so;
    /// nil once every stage is done.
    package var current: (any ConnectionStage)? { position < stages.count ? stages[position] : nil }

    /// Steps the running stage, and the next when it ends at once, until one waits.
    package func step(on socket: Socket) throws(SockscopeError) -> StageProgress {
        while let stage = current {
            let progress = try stage.step(on: socket)
            guard progress == .done else { return progress }
            position += 1
            ended(stage)
        }
        return .done
    }

    /// The running stage's own timeout (ETIMEDOUT for a connect, the handshake's words for TLS).
    package func timedOut(after waited: Duration) -> SockscopeError {
        expired = true
        guard let stage = current else {
            return SockscopeError("the connection was not set up within \(SockscopeError.seconds(waited))", status: .timedOut)
        }
        return stage.timedOut(after: waited)
    }
}
