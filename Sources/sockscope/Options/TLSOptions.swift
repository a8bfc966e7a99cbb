import ArgumentParser
import SockscopeCore

/// `--tls` and what goes with it, on the client side (`connect`, `probe`).
struct ClientTLSOptions: ParsableArguments {
    @Flag(
        name: [.customLong("tls"), .customLong("ssl")],
        help: "Speak TLS over the connection (OpenSSL 3, loaded when needed); verifies the server by default. With -u: DTLS 1.2.")
    var tls = false

    @Option(
        name: .customLong("ca-file"), help: ArgumentHelp("Trust the CA certificates in this PEM file instead of the system's.", valueName: "file"),
        completion: .file())
    var caFile: String?

    @Flag(name: .customLong("insecure"), help: "Do not verify the server's certificate (the result is still reported).")
    var insecure = false

    @Option(
        name: .customLong("pin-sha256"),
        help: ArgumentHelp(
            "Trust the server only if its certificate has this SHA-256 fingerprint (hex, colons allowed, as listen --tls and "
                + "openssl x509 -fingerprint -sha256 print it), in place of CA and name checks; repeatable.",
            valueName: "hash"))
    var pins: [String] = []

    @Option(
        name: .customLong("sni"),
        help: ArgumentHelp("Send this server name (SNI) and verify the certificate against it (default: the host, when it is a name).", valueName: "name"))
    var sni: String?

    @Option(
        name: .customLong("client-cert"), help: ArgumentHelp("Present this certificate (PEM, with its chain) to the server.", valueName: "file"),
        completion: .file())
    var clientCert: String?

    @Option(
        name: .customLong("client-key"), help: ArgumentHelp("The client certificate's private key (PEM; default: in --client-cert).", valueName: "file"),
        completion: .file())
    var clientKey: String?

    @OptionGroup var common: CommonTLSOptions

    /// The options' values, as plain data.
    var values: TLSOptions.Values {
        var values = common.values
        values.enabled = tls
        values.caFile = caFile
        values.insecure = insecure
        values.pins = pins
        values.sni = sni
        values.certificate = clientCert
        values.key = clientKey
        return values
    }

    /// Every combination checked before anything runs: TLS options without --tls,
    /// a key without its certificate, versions that leave none, an empty cipher list.
    func validate() throws { try values.validate(role: .client) }
}

/// `--tls` and what goes with it, on the server side (`listen`).
struct ServerTLSOptions: ParsableArguments {
    @Flag(name: [.customLong("tls"), .customLong("ssl")], help: "Speak TLS with each client (OpenSSL 3, loaded when needed); listen -u: DTLS 1.2, one client.")
    var tls = false

    @Option(
        name: .customLong("cert"),
        help: ArgumentHelp(
            "Our certificate (PEM, with its chain); without it an ephemeral self-signed one is made and its SHA-256 fingerprint printed.", valueName: "file"),
        completion: .file())
    var cert: String?

    @Option(name: .customLong("key"), help: ArgumentHelp("The certificate's private key (PEM; default: in --cert).", valueName: "file"), completion: .file())
    var key: String?

    @Flag(name: .customLong("require-client-cert"), help: "Require each client to present a certificate signed by a CA in --ca-file (mutual TLS).")
    var requireClientCert = false

    @Option(
        name: .customLong("ca-file"), help: ArgumentHelp("The CA certificates (PEM) client certificates must chain to.", valueName: "file"), completion: .file()
    )
    var caFile: String?

    @OptionGroup var common: CommonTLSOptions

    /// The options' values, as plain data.
    var values: TLSOptions.Values {
        var values = common.values
        values.enabled = tls
        values.certificate = cert
        values.key = key
        values.requireClientCert = requireClientCert
        values.caFile = caFile
        return values
    }

    /// Every combination checked before anything runs (as on the client side, and
    /// --require-client-cert with its --ca-file).
    func validate() throws { try values.validate(role: .server) }
}

/// The TLS options both sides have.
struct CommonTLSOptions: ParsableArguments {
    @Option(
        name: .customLong("alpn"), help: ArgumentHelp("Application protocols to offer or accept (ALPN), comma-separated, e.g. h2,http/1.1.", valueName: "list"))
    var alpn: String?

    @Option(
        name: .customLong("tls-min"),
        help: ArgumentHelp(
            "The lowest TLS version to accept: 1.2 (the default) or 1.3; 1.0 or 1.1 to reach an old server, for diagnosis.", valueName: "version"))
    var minimum: TLSVersion?

    @Option(
        name: .customLong("tls-max"), help: ArgumentHelp("The highest TLS version to offer: 1.2 or 1.3 (1.0 and 1.1 with --tls-min).", valueName: "version"))
    var maximum: TLSVersion?

    @Option(
        name: .customLong("ciphers"),
        help: ArgumentHelp("OpenSSL cipher names (colon-separated): TLS_* names are TLS 1.3 suites, the rest TLS 1.2 ciphers.", valueName: "list"))
    var ciphers: String?

    @Option(
        name: .customLong("keylog"),
        help: ArgumentHelp("Append the session secrets to this file (SSLKEYLOGFILE format), so Wireshark or tshark can decrypt a capture.", valueName: "file"),
        completion: .file())
    var keylog: String?

    var values: TLSOptions.Values { TLSOptions.Values(alpn: alpn, minimum: minimum, maximum: maximum, ciphers: ciphers, keylog: keylog) }
}

/// Namespace for the TLS option values.
enum TLSOptions {
    /// Every TLS option either side has, as plain values (what a command's request holds).
    struct Values: Equatable, Sendable {
        var enabled = false
        var alpn: String?
        var minimum: TLSVersion?
        var maximum: TLSVersion?
        var ciphers: String?
        var keylog: String?
        var caFile: String?
        var insecure = false
        var sni: String?
        /// Our certificate and key: the client's (--client-cert) or the server's (--cert).
        var certificate: String?
        var key: String?
        var requireClientCert = false
        /// Client: `--pin-sha256`, the certificate fingerprints trusted in place of verification.
        var pins: [String] = []
    }
}

extension TLSOptions.Values {
    /// The names of the TLS options given, for "needs --tls" errors.
    var givenOptions: [String] {
        let given: [(Bool, String)] = [
            (alpn != nil, "--alpn"), (minimum != nil, "--tls-min"), (maximum != nil, "--tls-max"), (ciphers != nil, "--ciphers"), (keylog != nil, "--keylog"),
            (caFile != nil, "--ca-file"), (insecure, "--insecure"), (sni != nil, "--sni"), (requireClientCert, "--require-client-cert"),
            (!pins.isEmpty, "--pin-sha256"),
        ]
        return given.filter(\.0).map(\.1)
    }

    /// The parser's check of these options: the configuration they describe is made and
    /// dropped, so every contradiction is a usage error before anything runs.
    func validate(role: TLSConfiguration.Role) throws {
        try ValidationError.check { () throws(SockscopeError) in _ = try configurationIfEnabled(role: role) }
    }

    /// The configuration, when --tls is given; nil when no TLS option is.
    /// - Throws: a usage error for TLS options without --tls, or ones that contradict each other.
    func configurationIfEnabled(role: TLSConfiguration.Role) throws(SockscopeError) -> TLSConfiguration? {
        guard enabled || !givenOptions.isEmpty || certificate != nil || key != nil else { return nil }
        return try configuration(role: role)
    }

    /// `--pin-sha256`'s fingerprints as bytes.
    /// - Throws: a usage error for one that is not 32 bytes of hex, or beside --insecure
    ///   or --ca-file (the pin replaces what they change).
    func pinnedCertificates() throws(SockscopeError) -> [[UInt8]] {
        guard !pins.isEmpty else { return [] }
        if insecure { throw .usage("--pin-sha256 trusts the pinned certificate in place of verification: drop --insecure") }
        if caFile != nil { throw .usage("--pin-sha256 trusts the pinned certificate in place of the CAs: drop --ca-file") }
        return try pins.map { (pin: String) throws(SockscopeError) -> [UInt8] in
            let digits = Array(pin.filter { $0 != ":" && $0 != " " }.lowercased())
            let bytes = stride(from: 0, to: digits.count - 1, by: 2).compactMap { UInt8(String(digits[$0...$0 + 1]), radix: 16) }
            guard digits.count == 64, bytes.count == 32 else {
                throw .usage(
                    "--pin-sha256 takes a certificate's SHA-256 fingerprint, 64 hex digits (colons allowed), not '\(pin)' "
                        + "(listen --tls prints its own; openssl x509 -noout -fingerprint -sha256 -in CERT)")
            }
            return bytes
        }
    }

    /// The configuration these options describe, checked.
    /// - Throws: a usage error for options that contradict each other or a bad value.
    func configuration(role: TLSConfiguration.Role) throws(SockscopeError) -> TLSConfiguration {
        let certificateOption = role == .client ? "--client-cert" : "--cert"
        let keyOption = role == .client ? "--client-key" : "--key"
        guard enabled else {
            let given = givenOptions + (certificate != nil ? [certificateOption] : []) + (key != nil ? [keyOption] : [])
            throw .usage("\(given.joined(separator: ", ")) \(given.count == 1 ? "is" : "are") for TLS: add --tls")
        }
        if key != nil && certificate == nil { throw .usage("\(keyOption) is the key of a certificate: give \(certificateOption) too") }
        if requireClientCert && caFile == nil {
            throw .usage("--require-client-cert needs --ca-file: the CA certificates client certificates must chain to")
        }
        if role == .server && caFile != nil && !requireClientCert {
            throw .usage("--ca-file on listen names the CAs for client certificates: add --require-client-cert")
        }
        var configuration = TLSConfiguration(role: role, verify: role == .client ? !insecure && pins.isEmpty : requireClientCert)
        configuration.pinnedCertificates = try pinnedCertificates()
        configuration.caFile = caFile
        configuration.certificateFile = certificate
        configuration.keyFile = key
        configuration.alpn = alpn.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
        configuration.minimumVersion = minimum
        configuration.maximumVersion = maximum
        if let high = configuration.maximumVersion, high < (configuration.minimumVersion ?? .defaultMinimum) {
            let low = configuration.minimumVersion ?? .defaultMinimum
            throw .usage("--tls-max \(high.rawValue) is below the lowest version accepted (\(low.rawValue)): no version is left (--tls-min sets it)")
        }
        if let ciphers, ciphers.isEmpty { throw .usage("--ciphers needs at least one cipher name") }
        configuration.ciphers = ciphers
        configuration.keylogFile = keylog
        _ = try configuration.alpnWireFormat()
        return configuration
    }

}

/// A TLS version as an option's value: "1.0" to "1.3" (also "tls1.2", "TLSv1.3"), checked
/// by the parser like any other value.
extension TLSVersion: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// `forward --target-tls` and what goes with it: TLS to the target (the client's side of
/// a handshake), named apart from --tls, which is TLS with forward's own clients.
struct TargetTLSOptions: ParsableArguments {
    @Flag(name: .customLong("target-tls"), help: "Speak TLS to the target (verified by default), so its traffic can be watched in clear.")
    var tls = false

    @Option(
        name: .customLong("target-ca-file"), help: ArgumentHelp("Trust the CA certificates in this PEM file for the target.", valueName: "file"),
        completion: .file())
    var caFile: String?

    @Flag(name: .customLong("target-insecure"), help: "Do not verify the target's certificate (the result is still reported).")
    var insecure = false

    @Option(
        name: .customLong("target-sni"),
        help: ArgumentHelp("Send this name (SNI) to the target and verify against it (default: TARGET-HOST when it is a name).", valueName: "name"))
    var sni: String?

    var values: TLSOptions.Values {
        var values = TLSOptions.Values()
        values.enabled = tls
        values.caFile = caFile
        values.insecure = insecure
        values.sni = sni
        return values
    }

    func validate() throws {
        if !tls && (caFile != nil || insecure || sni != nil) {
            throw ValidationError("--target-ca-file, --target-insecure and --target-sni describe --target-tls; give it too")
        }
    }
}
