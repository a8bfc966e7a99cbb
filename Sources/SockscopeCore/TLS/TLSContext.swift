import COpenSSL
import Glibc
import SystemPackage

/// An OpenSSL context (`SSL_CTX`): the certificates, trust and protocol settings every
/// session of one side shares. Making one loads OpenSSL (libssl.so.3, with dlopen) the
/// first time; without it, the error names the package to install (exit 72).
///
/// Sessions may be made from several threads at once (OpenSSL's contexts allow it).
package final class TLSContext: @unchecked Sendable {
    let handle: OpaquePointer
    package let configuration: TLSConfiguration
    /// The SHA-256 fingerprint of our own certificate (given or made), if we have one.
    package let fingerprint: [UInt8]?
    /// Whether the certificate was made in memory for this run (a server without --cert).
    package let isEphemeral: Bool
    private let keylog: OwnedDescriptor?

    /// Makes the context (`SSL_CTX_new`, then the certificate, trust store, versions,
    /// ciphers, ALPN and key log the configuration names).
    /// - Throws: exit 72 when libssl3 is missing; a usage error for a file or setting
    ///   OpenSSL refuses; exit 73 for a key log file that cannot be created.
    package init(_ configuration: TLSConfiguration) throws(SockscopeError) {
        try TLSContext.load()
        self.configuration = configuration
        let keylog = try TLSContext.openKeylog(configuration.keylogFile)
        self.keylog = keylog
        let ephemeral = configuration.role == .server && configuration.certificateFile == nil
        let alpn = try configuration.alpnWireFormat()
        let (minimum, maximum) = try configuration.versionCodes()
        let (list, suites) = configuration.cipherLists
        var digest = [UInt8](repeating: 0, count: 32)
        var error = [CChar](repeating: 0, count: 1024)
        let made: OpaquePointer? = withOptionalCStrings(
            [configuration.caFile, configuration.certificateFile, configuration.keyFile, list, suites]
        ) { strings in
            alpn.withUnsafeBufferPointer { alpnBytes in
                var options = cossl_context_options()
                options.server = configuration.role == .server ? 1 : 0
                options.verify = configuration.verify ? 1 : 0
                options.ca_file = strings[0]
                options.cert_file = strings[1]
                options.key_file = strings[2]
                options.self_signed = ephemeral ? 1 : 0
                options.min_version = minimum
                options.max_version = maximum
                options.datagram = configuration.datagram ? 1 : 0
                options.ciphers = strings[3]
                options.ciphersuites = strings[4]
                options.alpn = alpnBytes.isEmpty ? nil : alpnBytes.baseAddress
                options.alpn_length = UInt32(alpnBytes.count)
                options.keylog_fd = keylog?.rawValue ?? -1
                options.exact_reads = configuration.readAhead ? 0 : 1
                return cossl_context_new(&options, &digest, &error, error.count)
            }
        }
        guard let made else {
            throw SockscopeError(TLSContext.text(error), status: .usage)
        }
        handle = made
        isEphemeral = ephemeral
        fingerprint = digest.allSatisfy { $0 == 0 } ? nil : digest
    }

    deinit {
        cossl_context_free(handle)  // before the key log closes (a stored property, after deinit)
    }

    /// Loads OpenSSL if it is not loaded yet.
    /// - Throws: exit 72, naming the libssl3 package, when it cannot be loaded.
    package static func load() throws(SockscopeError) {
        var error = [CChar](repeating: 0, count: 512)
        guard cossl_load(&error, error.count) == 0 else { throw SockscopeError(text(error), status: .missingLibrary) }
    }

    /// Opens the key log for appending (0600: it holds secrets), as browsers treat SSLKEYLOGFILE.
    private static func openKeylog(_ path: String?) throws(SockscopeError) -> OwnedDescriptor? {
        guard let path else { return nil }
        guard let file = OwnedDescriptor.open(path, O_WRONLY | O_CREAT | O_APPEND, mode: 0o600) else {
            throw SockscopeError("cannot open the key log \(path): \(Errno(rawValue: errno).nameAndText)", status: .cannotCreate)
        }
        return file
    }

    static func text(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Calls `body` with C strings for each optional string (nil stays nil), valid during the call.
func withOptionalCStrings<Result>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> Result) -> Result {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { for copy in copies { free(copy) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
