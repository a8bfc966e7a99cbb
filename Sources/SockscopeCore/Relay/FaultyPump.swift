import Glibc

/// One direction of a relayed connection as `ForwardServer` drives it: the plain `Pump`,
/// or a `FaultyPump` that delays, paces, slices or cuts what passes.
protocol RelayDirection: AnyObject {
    var wantsRead: Bool { get }
    var wantsWrite: Bool { get }
    var finished: Bool { get }
    var bytesWritten: Int { get }
    var observer: ((UnsafeRawBufferPointer) -> Void)? { get set }
    /// When the direction can move again without readiness (a delayed chunk falls due,
    /// the rate allows more); nil when only readiness can move it.
    var wake: ContinuousClock.Instant? { get }
    /// What the fault plan's limit did, once it did.
    var outcome: FaultOutcome? { get }
    func step(sourceReadable: Bool, sinkWritable: Bool) throws(PumpFailure) -> Bool
    /// Bytes written to the sink before anything read from the source (a proxy's
    /// rewritten request and what its client sent with it), as the sink takes them.
    func sendFirst(_ bytes: [UInt8])
}

extension Pump: RelayDirection {
    var wake: ContinuousClock.Instant? { nil }
    var outcome: FaultOutcome? { nil }
}

/// Moves bytes one way like `Pump`, through a `FaultPlan`: each chunk read waits in a
/// queue until its delay has passed, then leaves as fast as the rate and the slice size
/// let it, until the plan's limit ends the direction. Reading stops while 1 MiB waits,
/// so a slow direction pushes back on its sender as a slow network would.
final class FaultyPump: RelayDirection {
    typealias Instant = ContinuousClock.Instant

    let source: RelayEndpoint
    let sink: RelayEndpoint
    let plan: FaultPlan
    var observer: ((UnsafeRawBufferPointer) -> Void)?

    private let scratch: UnsafeMutableRawBufferPointer
    private var chunks: [(due: Instant, bytes: [UInt8])] = []
    private var head = 0
    private var offset = 0
    private var queuedBytes = 0
    private var lastDue: Instant = .now
    private var tokens: Double
    private var refilled: Instant = .now
    private var nextSlice: Instant?
    private var blocked = false
    /// Past the limit (close or stall): what the source sends is read and dropped.
    private var discarding = false
    private var resetDeadline: Instant?
    private static let queueLimit = 1 << 20

    private(set) var sourceEnded = false
    private(set) var finished = false
    private(set) var bytesWritten = 0
    private(set) var wake: Instant?
    private(set) var outcome: FaultOutcome?

    init(from source: RelayEndpoint, to sink: RelayEndpoint, plan: FaultPlan, bufferSize: Int) {
        self.source = source
        self.sink = sink
        self.plan = plan
        scratch = .allocate(byteCount: bufferSize, alignment: 16)
        tokens = Double(plan.rate.map(Self.burst) ?? 0)
    }

    deinit { scratch.deallocate() }

    /// The token bucket's size: 50 ms of the rate, at least one byte.
    private static func burst(_ rate: Int) -> Int { max(1, rate / 20) }

    func sendFirst(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        chunks.insert((.now, bytes), at: head)
        queuedBytes += bytes.count
    }

    var wantsRead: Bool { !sourceEnded && (discarding || (queuedBytes < Self.queueLimit && outcome == nil && resetDeadline == nil)) }
    var wantsWrite: Bool { blocked }

    func step(sourceReadable: Bool, sinkWritable: Bool) throws(PumpFailure) -> Bool {
        let now = ContinuousClock.now
        if sinkWritable { blocked = false }
        wake = nil
        var progressed = try read(sourceReadable: sourceReadable, now: now)
        progressed = try drain(now: now) || progressed
        if sourceEnded && !finished && (discarding || (queuedBytes == 0 && outcome == nil && resetDeadline == nil)) {
            if !discarding { _ = sink.finishSending() }
            finished = true
            progressed = true
        }
        return progressed
    }

    /// Reads what is ready into the queue, each chunk stamped with when it may leave.
    private func read(sourceReadable: Bool, now: Instant) throws(PumpFailure) -> Bool {
        var progressed = false
        var round = 0
        while round < 8 && wantsRead && (sourceReadable || round > 0) {
            round += 1
            let result: Int?
            do { result = try source.read(into: scratch) } catch { throw .source(error) }
            guard let count = result else { break }
            progressed = true
            if count == 0 {
                sourceEnded = true
                break
            }
            if discarding { continue }
            let bytes = UnsafeRawBufferPointer(rebasing: scratch[0..<count])
            observer?(bytes)
            lastDue = max(lastDue, now + plan.delay + jitter())
            chunks.append((lastDue, Array(bytes)))
            queuedBytes += count
        }
        return progressed
    }

    private func jitter() -> Duration {
        guard plan.jitter > .zero else { return .zero }
        let spread = Double(plan.jitter.components.seconds) + Double(plan.jitter.components.attoseconds) * 1e-18
        return .nanoseconds(Int64(Double.random(in: -spread...spread) * 1e9))
    }

    /// Writes what is due, as the rate, the slices and the limit allow.
    private func drain(now: Instant) throws(PumpFailure) -> Bool {
        var progressed = false
        while !blocked && outcome == nil {
            if let limit = plan.limit, bytesWritten >= limit.bytes {
                reachLimit(limit.action, now: now)
                break
            }
            guard head < chunks.count else { break }
            let due = max(chunks[head].due, nextSlice ?? chunks[head].due)
            guard due <= now else {
                wake = due
                break
            }
            guard let allowance = allowance(now: now), allowance > 0 else { break }
            let start = offset
            let result = chunks[head].bytes.withUnsafeBytes { bytes in
                Result { () throws(SocketCallError) in try sink.write(UnsafeRawBufferPointer(rebasing: bytes[start..<start + allowance])) }
            }
            let written: Int?
            do { written = try result.get() } catch { throw .sink(error) }
            guard let written, written > 0 else {
                blocked = true
                break
            }
            progressed = true
            consume(written)
            if plan.slice != nil { nextSlice = now + plan.sliceGap }
        }
        return progressed
    }

    /// How many bytes the next write may carry; nil (with `wake` set) when the rate
    /// allows none yet.
    private func allowance(now: Instant) -> Int? {
        var allowance = chunks[head].bytes.count - offset
        if let slice = plan.slice { allowance = min(allowance, slice) }
        if let limit = plan.limit { allowance = min(allowance, limit.bytes - bytesWritten) }
        guard let rate = plan.rate else { return allowance }
        let elapsed = now - refilled
        refilled = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        tokens = min(Double(Self.burst(rate)), tokens + seconds * Double(rate))
        if tokens < 1 {
            let wanted = Double(min(allowance, Self.burst(rate)))
            wake = now + .nanoseconds(Int64(max(1e6, (wanted - tokens) / Double(rate) * 1e9)))
            return nil
        }
        return min(allowance, Int(tokens))
    }

    private func consume(_ written: Int) {
        offset += written
        bytesWritten += written
        queuedBytes -= written
        if plan.rate != nil { tokens -= Double(written) }
        guard offset == chunks[head].bytes.count else { return }
        head += 1
        offset = 0
        if head == chunks.count || head >= 64 {
            chunks.removeFirst(head)
            head = 0
        }
    }

    /// The limit's bytes have been passed on: reset (once the peer has them all), FIN,
    /// or silence; the rest of the queue is dropped.
    private func reachLimit(_ action: FaultOutcome, now: Instant) {
        if action == .reset {
            let deadline = resetDeadline ?? now + .seconds(2)
            resetDeadline = deadline
            if let unacknowledged = sink.unacknowledgedBytes, unacknowledged > 0, now < deadline {
                wake = now + .milliseconds(1)
                return
            }
        } else if action == .close {
            _ = sink.finishSending()
        }
        outcome = action
        discarding = action != .reset
        chunks.removeAll()
        head = 0
        offset = 0
        queuedBytes = 0
    }
}

extension RelayEndpoint {
    /// Bytes sent that the peer has not acknowledged (`SIOCOUTQ` on the socket).
    var unacknowledgedBytes: Int? {
        switch self {
        case .socket(let socket): socket.unacknowledgedBytes
        case .tls(let session): session.socket.unacknowledgedBytes
        case .descriptor: nil
        }
    }
}
