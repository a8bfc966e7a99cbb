import Glibc
import SockscopeCore

/// What nmap's scripts put under a port, for what probe learns itself: `banner` (what
/// an open port said first, as banner.nse formats it) and `ssl-cert` (the certificate of
/// a TLS handshake, as ssl-cert.nse shows it in nmap 7.93's XML).
enum NmapScripts {
    /// banner.nse's output as nmap 7.93 writes it into its XML (where scripts run at
    /// verbosity 1): the banner without surrounding whitespace, bytes outside 0x20–0x7E
    /// as `\xHH`, cut to 134 characters (ending in "..."), in lines of 63 then 71.
    /// Nil for an empty banner (nmap writes no script then).
    static func banner(_ bytes: [UInt8]) -> String? {
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
        guard let first = bytes.firstIndex(where: { !whitespace.contains($0) }),
            let last = bytes.lastIndex(where: { !whitespace.contains($0) })
        else { return nil }
        let (firstLine, otherLines) = (63, 71)
        let total = firstLine + otherLines
        var text: [Character] = []
        for byte in bytes[first...last] {
            if (0x20...0x7E).contains(byte) {
                text.append(Character(UnicodeScalar(byte)))
            } else {
                text += "\\x" + hex(byte, uppercase: true)
            }
            if text.count >= total + 1 { break }
        }
        if text.count > total {
            // banner.nse drops a whole \xHH at a time, else a character, then cuts for "...".
            while text.count > total {
                let tail = text.suffix(4)
                let escape = tail.count == 4 && tail.first == "\\" && tail.dropFirst().first == "x" && tail.suffix(2).allSatisfy(\.isHexDigit)
                text.removeLast(escape ? 4 : 1)
            }
            text = Array(text.prefix(total - 3)) + Array("...")
        }
        var lines: [String] = []
        var rest = text[...]
        var width = firstLine
        while rest.count >= width {
            lines.append(String(rest.prefix(width)))
            rest = rest.dropFirst(width)
            width = otherLines
        }
        lines.append(String(rest))
        return lines.joined(separator: "\n")
    }

    /// ssl-cert.nse's result for a certificate: the `output` text and the elements
    /// (subject, issuer, pubkey, sig_algo, validity, md5, sha1, pem), both as nmap 7.93
    /// writes them into `<script id="ssl-cert">` (its extensions and RSA modulus tables
    /// are not given).
    static func sslCert(_ certificate: TLSCertificate) -> (output: String, elements: String) {
        let names = ["rsaEncryption": "rsa", "dsaEncryption": "dsa", "dhKeyAgreement": "dh"]  // OpenSSL's short names, nmap's
        let keyType = names[certificate.keyType] ?? certificate.keyType.lowercased()
        var lines = ["Subject: " + shown(certificate.subjectEntries)]
        if !certificate.alternativeNames.isEmpty { lines.append("Subject Alternative Name: " + certificate.alternativeNames.joined(separator: ", ")) }
        lines += [
            "Issuer: " + shown(certificate.issuerEntries), "Public Key type: \(keyType)", "Public Key bits: \(certificate.keyBits)",
            "Signature Algorithm: \(certificate.signatureAlgorithm)", "Not valid before: \(timestamp(certificate.notBefore))",
            "Not valid after:  \(timestamp(certificate.notAfter))", "MD5:   \(hexString(certificate.md5))", "SHA-1: \(hexString(certificate.sha1))",
        ]
        var elements = table("subject", certificate.subjectEntries) + table("issuer", certificate.issuerEntries)
        elements += "<table key=\"pubkey\">\n" + element("type", keyType) + element("bits", "\(certificate.keyBits)")
        if let curve = certificate.keyCurve {
            elements += "<table key=\"ecdhparams\">\n<table key=\"curve_params\">\n" + element("ec_curve_type", "namedcurve") + element("curve", curve)
            elements += "</table>\n</table>\n"
        }
        elements += "</table>\n" + element("sig_algo", certificate.signatureAlgorithm)
        elements += "<table key=\"validity\">\n" + element("notBefore", timestamp(certificate.notBefore))
        elements += element("notAfter", timestamp(certificate.notAfter)) + "</table>\n"
        elements += element("md5", hexString(certificate.md5)) + element("sha1", hexString(certificate.sha1))
        if !certificate.der.isEmpty { elements += element("pem", pem(certificate.der)) }
        return (lines.joined(separator: "\n"), elements)
    }

    /// The fields ssl-cert shows of a name, in its order: `commonName=…/organizationName=…`.
    private static func shown(_ entries: [TLSCertificate.NameEntry]) -> String {
        let fields = ["commonName", "organizationName", "stateOrProvinceName", "countryName"]
        return fields.compactMap { field in entries.last { $0.key == field }.map { "\(field)=\($0.value)" } }.joined(separator: "/")
    }

    /// A name's entries as an nmap table, sorted by key (a repeated key: its last value).
    private static func table(_ key: String, _ entries: [TLSCertificate.NameEntry]) -> String {
        var values: [String: String] = [:]
        for entry in entries { values[entry.key] = entry.value }
        return "<table key=\"\(key)\">\n" + values.keys.sorted().map { element($0, values[$0] ?? "") }.joined() + "</table>\n"
    }

    private static func element(_ key: String, _ value: String) -> String {
        "<elem key=\"\(NmapXMLOutput.attribute(key))\">\(NmapXMLOutput.escaped(value))</elem>\n"
    }

    /// `2026-12-06T05:03:13`: datetime.format_timestamp's UTC form.
    static func timestamp(_ seconds: Int64) -> String {
        var value = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&value, &parts) != nil else { return "MISSING" }
        func two(_ number: Int32) -> String { number < 10 ? "0\(number)" : "\(number)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    /// The certificate as PEM: base64 in lines of 64, between the BEGIN and END lines.
    static func pem(_ der: [UInt8]) -> String {
        let encoded = Array(Base64.encode(der))
        var text = "-----BEGIN CERTIFICATE-----\n"
        var start = 0
        while start < encoded.count {
            text += String(encoded[start..<min(encoded.count, start + 64)]) + "\n"
            start += 64
        }
        return text + "-----END CERTIFICATE-----\n"
    }

    private static func hexString(_ bytes: [UInt8]) -> String { bytes.map { hex($0, uppercase: false) }.joined() }

    private static func hex(_ byte: UInt8, uppercase: Bool) -> String {
        let digits = Array(uppercase ? "0123456789ABCDEF" : "0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
