import SockscopeCore

// The records of forward and proxy (schema: forward_*, fault_plan, proxy_request).

/// `forward_connected`: client `client`'s target leg is up.
struct ForwardConnectedRecord: JSONRecord {
    static let type = "forward_connected"
    var client: Int
    var peerAddress: String?
    var peerPort: Int?
    var targetAddress: String?
    var targetPort: Int?

    init(client: Int, peer: SocketAddress?, target: SocketAddress?) {
        let (theirs, target) = (JSONEndpoint(peer), JSONEndpoint(target))
        self.client = client
        (peerAddress, peerPort) = (theirs?.address, theirs?.port)
        (targetAddress, targetPort) = (target?.address, target?.port)
    }
}

/// `forward_failed`: the target leg failed (the client was reset), described as every
/// failure is: `error` and `explanation`.
struct ForwardFailedRecord: JSONRecord {
    static let type = "forward_failed"
    var client: Int
    var peerAddress: String?
    var peerPort: Int?
    var error: String
    var explanation: String?

    init(client: Int, peer: SocketAddress?, failure: SockscopeError) {
        let endpoint = JSONEndpoint(peer)
        self.client = client
        (peerAddress, peerPort) = (endpoint?.address, endpoint?.port)
        error = failure.message
        explanation = failure.explanation
    }
}

/// `forward_half_closed`: one leg sent FIN (`by`: client or target).
struct ForwardHalfClosedRecord: JSONRecord {
    static let type = "forward_half_closed"
    var client: Int
    var by: String
}

/// `forward_finished`: a connection is over.
struct ForwardFinishedRecord: JSONRecord {
    static let type = "forward_finished"
    var client: Int
    var peerAddress: String?
    var peerPort: Int?
    var bytesToTarget: Int
    var bytesToClient: Int
    var closedFirst: String?
    var resetBy: String?
    var durationMs: Double
}

/// `fault_plan`: the faults of one direction.
struct FaultPlanObject: Codable, Sendable {
    var delayMs: Double
    var jitterMs: Double
    var rate: Int?
    var slice: Int?
    var sliceGapMs: Double?
    var limit: String?
    var bytesLimit: Int?

    init(_ plan: FaultPlan) {
        delayMs = plan.delay.jsonMilliseconds
        jitterMs = plan.jitter.jsonMilliseconds
        rate = plan.rate
        slice = plan.slice
        sliceGapMs = plan.slice == nil ? nil : plan.sliceGap.jsonMilliseconds
        limit = plan.limit?.action.rawValue
        bytesLimit = plan.limit?.bytes
    }
}

/// `forward_faults`: the faults in force (null for a direction without any).
struct ForwardFaultsRecord: JSONRecord {
    static let type = "forward_faults"
    var upstream: FaultPlanObject?
    var downstream: FaultPlanObject?
    var refuse: Double

    init(_ faults: Faults) {
        upstream = faults.upstream.isEmpty ? nil : FaultPlanObject(faults.upstream)
        downstream = faults.downstream.isEmpty ? nil : FaultPlanObject(faults.downstream)
        refuse = faults.refuse
    }
}

/// `forward_fault`: a byte limit acted.
struct ForwardFaultRecord: JSONRecord {
    static let type = "forward_fault"
    var client: Int
    var direction: String
    var fault: String
    var bytesAfter: Int
}

/// `forward_refused`: --refuse reset a new client.
struct ForwardRefusedRecord: JSONRecord {
    static let type = "forward_refused"
    var client: Int
    var peerAddress: String?
    var peerPort: Int?

    init(client: Int, peer: SocketAddress?) {
        let endpoint = JSONEndpoint(peer)
        self.client = client
        (peerAddress, peerPort) = (endpoint?.address, endpoint?.port)
    }
}

/// `proxy_request`: one proxy client's request — the proxy protocol it spoke
/// (`proxy_type`, as in the `proxy` record; `protocol` is always the transport), the
/// user and destination it gave, and whether it was let through.
struct ProxyRequestRecord: JSONRecord {
    static let type = "proxy_request"
    var client: Int
    var peerAddress: String?
    var peerPort: Int?
    var proxyType: String?
    var method: String?
    var user: String?
    var destination: String?
    var allowed: Bool
    var refusal: String?
}
