/// Where a stage stands after a step.
package enum StageProgress: Equatable, Sendable {
    /// The stage is over: the next one (or the payload) may use the socket.
    case done
    /// Step again when the socket is ready for this.
    case waiting(EventLoop.Interest)
}

/// One stage of setting up a connection — a non-blocking connect's outcome, a proxy
/// tunnel, a TLS handshake — stepped whenever its socket is ready, as swift-nio's
/// handlers are fed: `step` does what it can without blocking and says what it waits
/// for, or throws the stage's failure, explained. The same stage runs among thousands
/// on a server's loop (``EventLoop/drive(_:on:deadline:then:)`` or a connection's own
/// handler) and to its end for one `connect` (``run(on:deadline:)``), so its rules —
/// what a failure means, what a timeout says — are written once.
package protocol ConnectionStage: AnyObject {
    /// One step on `socket` (the connection's; a TLS session's own).
    func step(on socket: Socket) throws(SockscopeError) -> StageProgress

    /// The failure when `waited` passed before the stage ended (exit 75).
    func timedOut(after waited: Duration) -> SockscopeError

    /// When the stage must act even if its socket stays quiet (a DTLS flight to resend),
    /// or nil; read after each step that waits.
    var wakeTime: ContinuousClock.Instant? { get }

    /// That time has come: the stage acts on it (resends its last flight).
    func wake() throws(SockscopeError)
}

extension ConnectionStage {
    package var wakeTime: ContinuousClock.Instant? { nil }
    package func wake() throws(SockscopeError) {}
}

extension ConnectionStage {
    /// Runs the stage to its end on `socket`, each wait through the event loop's
    /// one-descriptor wait (`EventLoop.wait`: a signal ends it, 130/143), bounded by
    /// `deadline` (nil: as long as the peer takes).
    /// - Throws: the stage's failure, its timeout, the signal.
    package func run(on socket: Socket, deadline: ContinuousClock.Instant?) throws(SockscopeError) {
        let started = ContinuousClock.now
        var progress = try step(on: socket)
        while case .waiting(let interest) = progress {
            let wakeTime = self.wakeTime
            let until = [deadline, wakeTime].compactMap { $0 }.min()
            let ready: Bool
            do { ready = try EventLoop.wait(for: socket.descriptor, interest, deadline: until) } catch { throw SockscopeError(error) }
            if !ready, let deadline, ContinuousClock.now >= deadline { throw timedOut(after: .now - started) }
            if !ready, let wakeTime, ContinuousClock.now >= wakeTime { try wake() }
            progress = try step(on: socket)
        }
    }
}

extension EventLoop {
    /// Steps `stage` on `socket` in this loop whenever the socket is ready, until it
    /// ends; `then` gets nil when it is done, or the failure — its own, or its timeout
    /// when `deadline` passes first. The loop has forgotten the socket before `then`
    /// runs, so the next stage may register it again.
    package func drive(
        _ stage: any ConnectionStage, on socket: Socket, deadline: ContinuousClock.Instant,
        then: @escaping (SockscopeError?) throws(SockscopeError) -> Void
    ) throws(SockscopeError) {
        let started = ContinuousClock.now
        let descriptor = socket.descriptor
        var timer: Timer?
        var waker: Timer?
        var ended = false
        func end(_ failure: SockscopeError?) throws(SockscopeError) {
            guard !ended else { return }
            ended = true
            if let timer { cancel(timer) }
            if let waker { cancel(waker) }
            forget(descriptor)
            try then(failure)
        }
        func step() throws(SockscopeError) {
            let progress: StageProgress
            do { progress = try stage.step(on: socket) } catch { return try end(error) }
            switch progress {
            case .done: try end(nil)
            case .waiting(let interest):
                // A stage that reconnected (a proxy's 407) put a new file under the number.
                if socket.takeReplacedFile() { try renew(descriptor, interest) } else { try update(descriptor, interest) }
                if let waker { cancel(waker) }
                waker = stage.wakeTime.map { time in
                    schedule(at: time) { () throws(SockscopeError) in
                        waker = nil
                        do throws(SockscopeError) { try stage.wake() } catch { return try end(error) }
                        try step()
                    }
                }
            }
        }
        timer = schedule(at: deadline) { () throws(SockscopeError) in try end(stage.timedOut(after: .now - started)) }
        try register(descriptor, .readable) { _ throws(SockscopeError) in try step() }
        try step()  // what the stage needs may be there already
    }
}
