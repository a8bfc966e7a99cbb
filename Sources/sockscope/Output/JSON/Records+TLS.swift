import Glibc
import SockscopeCore

// The TLS records (schema: tls, certificate, tls_identity).

/// `tls`: what a handshake settled and what the peer showed. The verification fields
/// only when a certificate was verified; the failure fields only when it failed;
/// `target`, `speaks_tls` and `answer` only from probe --tls.
struct TLSRecord: JSONRecord {
    static let type = "tls"
    var role: String
    @Omitted var client: Int?
    var peerAddress: String?
    var peerPort: Int?
    var established: Bool
    var version: String?
    var cipher: String?
    var group: String?
    var alpn: String?
    var resumed: Bool
    var serverName: String?
    var handshakeMs: Double
    @Omitted var verifyResult: String?
    @Omitted var verifyCode: Int?
    @Omitted var verifyText: String?
    @Omitted var verifyEnforced: Bool?
    @Omitted var verifyName: String??
    var alertSent: String?
    var alertReceived: String?
    var certificates: [CertificateObject]
    @Omitted var error: String?
    @Omitted var explanation: String??
    @Omitted var exitStatus: Int?
    @Omitted var target: String?
    /// probe --tls: false for a port that answered but not in TLS, null when unreachable.
    @Omitted var speaksTls: Bool??
    @Omitted var answer: String??

    init(_ facts: TLSHandshake, peer: SocketAddress?, client: Int? = nil, failure: SockscopeError?) {
        let endpoint = JSONEndpoint(peer)
        role = facts.role == .client ? "client" : "server"
        self.client = client
        (peerAddress, peerPort) = (endpoint?.address, endpoint?.port)
        established = failure == nil
        (version, cipher, group, alpn) = (facts.version, facts.cipher, facts.group, facts.alpn)
        resumed = facts.resumed
        serverName = facts.serverName
        handshakeMs = facts.duration.jsonMilliseconds
        if let verification = facts.verification {
            verifyResult = verification.name
            verifyCode = verification.code
            verifyText = verification.text
            verifyEnforced = verification.enforced
            verifyName = .some(verification.expectedName)
        }
        alertSent = facts.alertSent?.name
        alertReceived = facts.alertReceived?.name
        let now = Int64(time(nil))
        certificates = facts.chain.map { CertificateObject($0, now: now) }
        if let failure {
            error = failure.message
            explanation = .some(failure.explanation)
            exitStatus = Int(failure.status.rawValue)
        }
    }
}

/// `certificate`: one certificate of a peer's chain.
struct CertificateObject: Codable, Sendable {
    var subject: String
    var issuer: String
    var commonName: String?
    var altNames: [String]
    var notBefore: String
    var notAfter: String
    var daysLeft: Int
    var keyType: String
    var keyBits: Int
    var keyCurve: String?
    var signatureAlgorithm: String
    var sha256: String
    var selfIssued: Bool

    init(_ certificate: TLSCertificate, now: Int64) {
        subject = certificate.subject
        issuer = certificate.issuer
        commonName = certificate.commonName
        altNames = certificate.alternativeNames
        notBefore = Timestamp.rfc3339(seconds: Int(certificate.notBefore), microseconds: 0)
        notAfter = Timestamp.rfc3339(seconds: Int(certificate.notAfter), microseconds: 0)
        daysLeft = Int(certificate.daysLeft(now: now))
        keyType = certificate.keyType
        keyBits = certificate.keyBits
        keyCurve = certificate.keyCurve
        signatureAlgorithm = certificate.signatureAlgorithm
        sha256 = colonHex(certificate.sha256)
        selfIssued = certificate.selfIssued
    }
}

/// `tls_identity`: a listener's ephemeral certificate, for clients to check.
struct TLSIdentityRecord: JSONRecord {
    static let type = "tls_identity"
    var ephemeral: Bool
    var subject: String
    var altNames: [String]
    var sha256: String
}
