import SockscopeCore

// The records of probe (schema: port, probe_attempt, probe_statistics, probe_host).

/// `port`: one port's state, with the connect() (or ICMP) outcome that decided it —
/// a failure described as every failure is: `errno` (its symbolic name) and `error`
/// (its text), null for an open port. `banner` with --banner, `answer` for UDP.
struct PortRecord: JSONRecord {
    static let type = "port"
    var target: String
    var peerAddress: String
    var peerPort: Int
    var `protocol`: String
    var state: String
    var code: Int
    var errno: String?
    var error: String?
    var reason: String
    var service: String?
    var rttMs: Double
    var attempts: Int
    @Omitted var banner: String??
    @Omitted var answer: String??
}

extension PortRecord: JSONDirectRecord {
    func appendFields(to fields: inout JSONFieldWriter) {
        fields.field("target", target)
        fields.field("peer_address", peerAddress)
        fields.field("peer_port", peerPort)
        fields.field("protocol", `protocol`)
        fields.field("state", state)
        fields.field("code", code)
        fields.field("errno", errno)
        fields.field("error", error)
        fields.field("reason", reason)
        fields.field("service", service)
        fields.field("rtt_ms", rttMs)
        fields.field("attempts", attempts)
        fields.field("banner", _banner)
        fields.field("answer", _answer)
    }
}

/// `probe_attempt`: one timed attempt of probe --count (a TLS handshake with --tls).
struct ProbeAttemptRecord: JSONRecord {
    static let type = "probe_attempt"
    var target: String
    var peerAddress: String
    var peerPort: Int
    var `protocol`: String
    var sequence: Int
    var state: String
    var code: Int
    var errno: String?
    var reason: String
    var rttMs: Double?
    /// --tls: the version the handshake settled, or null.
    @Omitted var tlsVersion: String??
    /// --tls: why the handshake failed, or null.
    @Omitted var error: String??
}

/// `probe_statistics`: ping's summary of probe --count.
struct ProbeStatisticsRecord: JSONRecord {
    static let type = "probe_statistics"
    var target: String
    var peerAddress: String
    var peerPort: Int
    var sent: Int
    var answered: Int
    var open: Int
    var closed: Int
    var lossPercent: Double
    var rttMinMs: Double?
    var rttAvgMs: Double?
    var rttMaxMs: Double?
    var rttMdevMs: Double?
}

/// `probe_host`: one host of a scan, after its window.
/// `port_change`: with probe --diff, one difference from the old scan.
struct PortChangeRecord: JSONRecord {
    static let type = "port_change"
    var target: String
    var peerAddress: String
    var peerPort: Int
    var `protocol`: String
    var state: String
    var change: String
    var old: String?
    var new: String?

    init(_ change: ScanDiff.Change) {
        target = change.target.name ?? "\(change.target.address)"
        peerAddress = "\(change.target.address)"
        peerPort = Int(change.result.port)
        `protocol` = change.result.transport.rawValue
        state = change.result.state.rawValue
        self.change = change.what
        old = change.old
        new = change.new
    }
}

struct ProbeHostRecord: JSONRecord {
    static let type = "probe_host"
    var target: String
    var address: String
    var answering: Bool
    var open: Int
    var closed: Int
    var notAnswered: Int
    var openPorts: [Int]
    var rttMedianMs: Double?
}
