import Glibc
import SockscopeCore
import SystemPackage

/// A scan read back from what probe wrote: JSON Lines (`--json`: its `port` records) or
/// nmap's XML (`-oX`, probe's or nmap's own: `<port>`s, and `<extraports>` expanded from
/// their `<extrareasons ports=…>`). For `merge` and `probe --diff`.
struct ScanFile {
    var results: [ProbeResult] = []
    /// The name a target was given by, where it was one.
    var names: [IPAddress: String] = [:]
    /// Lines of other records (`tls`, …) of JSON Lines input, as they were.
    var otherRecords: [String] = []
    /// What a port said first (--banner), by `key(address, port)`: the JSON record's
    /// escaped text, or banner.nse's output in XML.
    var banners: [String: String] = [:]
    /// The leaf certificate's fingerprint, by `key(address, port)`: `sha256:AB:CD:…`
    /// from a `tls` record, `sha1:abcd…` from an ssl-cert script.
    var certificates: [String: String] = [:]
    /// Whether it was nmap's XML (banners as banner.nse formats them).
    var isXML = false

    static func key(_ address: IPAddress, _ port: UInt16) -> String { "\(address) \(port)" }

    /// Reads FILE (`-`: stdin), telling the format from its first character.
    /// - Throws: exit 74 when it cannot be read, 64 when it is neither format, 130/143
    ///   when a signal stops the wait for a pipe or terminal.
    static func read(_ path: String) throws(SockscopeError) -> ScanFile {
        let bytes = try contents(of: path)
        let text = String(decoding: bytes, as: UTF8.self)
        switch text.first(where: { !$0.isWhitespace }) {
        case "<": return try NmapXMLReader.scan(text, path: path)
        case "{": return try jsonLines(text, path: path)
        case nil: return ScanFile()
        default: throw .usage("\(path) is neither JSON Lines (probe --json) nor nmap's XML (probe -oX)")
        }
    }

    /// The whole file (`-`: stdin): a pipe or terminal is waited on through the event
    /// loop (`EventLoop.wait`), so Ctrl-C ends the wait at once.
    private static func contents(of path: String) throws(SockscopeError) -> [UInt8] {
        let opened = path == "-" ? nil : OwnedDescriptor.open(path, O_RDONLY | O_NONBLOCK)
        if path != "-" && opened == nil { throw SockscopeError("cannot read \(path): \(Errno.current.nameAndText)", status: .ioError) }
        defer { opened?.close() }  // standard input is borrowed, not closed
        let fd = opened?.descriptor ?? .standardInput
        var status = stat()
        let regular = fstat(fd.rawValue, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            try Interruption.check()
            // stdin may block (its flags are not ours to change): wait for it first.
            if !regular { try waitReadable(fd) }
            var count: Int?
            var failure: Errno?
            chunk.withUnsafeMutableBytes { buffer in
                do throws(Errno) { count = try SystemCall.read(fd.rawValue, into: buffer) } catch { failure = error }
            }
            if let failure { throw SockscopeError("cannot read \(path == "-" ? "stdin" : path): \(failure.nameAndText)", status: .ioError) }
            guard let count else {
                try waitReadable(fd)
                continue
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }

    private static func waitReadable(_ fd: FileDescriptor) throws(SockscopeError) {
        do { _ = try EventLoop.wait(for: fd, .readable, deadline: nil) } catch { throw SockscopeError(error) }
    }

    /// The `port` records of probe --json; other records kept as they are.
    static func jsonLines(_ text: String, path: String) throws(SockscopeError) -> ScanFile {
        var scan = ScanFile()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let record = JSONValue.parse(line), let type = record["type"]?.string else {
                throw .usage("\(path) line \(number + 1) is not a JSON record")
            }
            guard type == "port" else {
                if type != "probe_host" { scan.otherRecords.append(String(line)) }  // host lines are recomputed
                if type == "tls", let address = record["peer_address"]?.string.flatMap(IPAddress.init), let port = record["peer_port"]?.int,
                    case .array(let chain) = record["certificates"], let leaf = chain.first?["sha256"]?.string, let port = UInt16(exactly: port)
                {
                    scan.certificates[key(address, port)] = "sha256:" + leaf
                }
                continue
            }
            guard let result = portResult(record) else { throw .usage("\(path) line \(number + 1) is not a whole port record") }
            scan.results.append(result)
            if let banner = record["banner"]?.string { scan.banners[key(result.target, result.port)] = banner }
            if let target = record["target"]?.string, target != "\(result.target)" { scan.names[result.target] = target }
        }
        return scan
    }

    /// A `port` record as the result it reports.
    static func portResult(_ record: JSONValue) -> ProbeResult? {
        guard let address = record["peer_address"]?.string.flatMap(IPAddress.init), let port = record["peer_port"]?.int.flatMap(UInt16.init(exactly:)),
            let transport = record["protocol"]?.string.flatMap(ProbeResult.Transport.init(rawValue:)),
            let state = record["state"]?.string.flatMap(PortState.init(rawValue:)), let code = record["code"]?.int, let reason = record["reason"]?.string
        else { return nil }
        let milliseconds = record["rtt_ms"]?.double ?? 0
        return ProbeResult(
            target: address, port: port, transport: transport, state: state, error: code == 0 ? nil : Errno(rawValue: Int32(code)), reason: reason,
            elapsed: .microseconds(Int64((milliseconds * 1000).rounded())), attempts: record["attempts"]?.int ?? 1,
            answer: record["answer"]?.string)
    }
}

/// The tags of nmap's XML, read one after another: enough of XML for the files nmap
/// and probe write (no DTD, no CDATA; entities and character references undone).
enum NmapXMLReader {
    /// One tag: its name ("/host" for an end tag) and attributes.
    typealias Tag = (name: String, attributes: [String: String])

    static func scan(_ text: String, path: String) throws(SockscopeError) -> ScanFile {
        var scan = ScanFile()
        scan.isXML = true
        var address: IPAddress?
        var extraState: PortState?
        var script: String?
        guard text.contains("<nmaprun") else { throw .usage("\(path) is XML but not nmap's (no <nmaprun>)") }
        for (name, attributes) in tags(text) {
            switch name {
            case "host": (address, extraState) = (nil, nil)
            case "address" where attributes["addrtype"] != "mac":
                guard let parsed = attributes["addr"].flatMap(IPAddress.init) else {
                    throw .usage("\(path): a host's address '\(PrintableBytes.escaped(Array((attributes["addr"] ?? "").utf8)))' is not an IP address")
                }
                address = parsed
            case "hostname" where attributes["type"] == "user": if let address, let given = attributes["name"] { scan.names[address] = given }
            case "port":
                guard let address, let result = portResult(address, attributes) else { continue }
                scan.results.append(result)
            case "state":
                // The state of the port just read.
                guard var last = scan.results.popLast() else { continue }
                let (state, reason) = (attributes["state"] ?? "", attributes["reason"] ?? "")
                (last.state, last.error) = verdict(state, reason, last.transport)
                last.reason = reason
                scan.results.append(last)
            case "service" where attributes["method"] == "probed": if let info = attributes["extrainfo"] { scan.results[scan.results.count - 1].answer = info }
            case "/script": script = nil
            case "script":
                script = attributes["id"]
                guard script == "banner", let address, let last = scan.results.last, last.target == address, let output = attributes["output"] else { continue }
                scan.banners[ScanFile.key(address, last.port)] = output
            case "elem" where script == "ssl-cert" && attributes["key"] == "sha1":
                guard let address, let last = scan.results.last, let text = attributes["#text"] else { continue }
                scan.certificates[ScanFile.key(address, last.port)] = "sha1:" + text
            case "extraports": extraState = attributes["state"].flatMap(PortState.init(rawValue:))
            case "extrareasons":
                guard let address, extraState != nil else { continue }
                scan.results += extraResults(address, extraState: attributes, state: extraState)
            default: continue
            }
        }
        return scan
    }

    /// A `<port>`'s result, its state to come from the `<state>` after it.
    private static func portResult(_ address: IPAddress, _ attributes: [String: String]) -> ProbeResult? {
        guard let port = attributes["portid"].flatMap(UInt16.init), let transport = attributes["protocol"].flatMap(ProbeResult.Transport.init(rawValue:))
        else { return nil }
        return ProbeResult(target: address, port: port, transport: transport, state: .filtered, error: nil, reason: "", elapsed: .zero, attempts: 1)
    }

    /// `<extrareasons reason= proto= ports=>`: a result per port of its ranges.
    private static func extraResults(_ address: IPAddress, extraState attributes: [String: String], state: PortState?) -> [ProbeResult] {
        guard let ports = attributes["ports"], let transport = attributes["proto"].flatMap(ProbeResult.Transport.init(rawValue:)), let state else {
            return []
        }
        let reason = attributes["reason"] ?? ""
        let (verdictState, error) = verdict(state.rawValue, reason, transport)
        var results: [ProbeResult] = []
        for range in ports.split(separator: ",") {
            let ends = range.split(separator: "-").compactMap { UInt16($0) }
            guard let first = ends.first, let last = ends.last, first <= last else { continue }
            for port in first...last {
                results.append(
                    ProbeResult(
                        target: address, port: port, transport: transport, state: verdictState, error: error, reason: reason, elapsed: .zero, attempts: 1))
            }
        }
        return results
    }

    /// nmap's state and reason as ours: `filtered` with an ICMP reason is unreachable;
    /// the errno the reason stands for.
    static func verdict(_ state: String, _ reason: String, _ transport: ProbeResult.Transport) -> (PortState, Errno?) {
        let errors: [String: Errno] = [
            "conn-refused": .connectionRefused, "port-unreach": .connectionRefused, "no-response": .timedOut, "host-unreach": .noRouteToHost,
            "net-unreach": .networkUnreachable, "admin-prohibited": .permissionDenied,
        ]
        var ours = PortState(rawValue: state) ?? .filtered
        if ours == .filtered, ["host-unreach", "net-unreach", "admin-prohibited"].contains(reason) { ours = .unreachable }
        let error = transport == .udp && reason == "no-response" ? nil : errors[reason]
        return (ours, error)
    }

    /// Every start (or empty) and end tag, in order; comments, declarations and text skipped.
    static func tags(_ text: String) -> [Tag] {
        var tags: [Tag] = []
        let bytes = Array(text.utf8)
        var index = 0
        while let open = bytes[index...].firstIndex(of: UInt8(ascii: "<")) {
            guard let close = bytes[open...].firstIndex(of: UInt8(ascii: ">")) else { break }
            index = close + 1
            let inside = bytes[(open + 1)..<close]
            guard let first = inside.first, first != UInt8(ascii: "!"), first != UInt8(ascii: "?") else { continue }
            var parsed = tag(String(decoding: inside, as: UTF8.self))
            if parsed.name == "elem" {
                // An element's text (an ssl-cert digest): up to the next tag.
                let end = bytes[index...].firstIndex(of: UInt8(ascii: "<")) ?? bytes.endIndex
                parsed.attributes["#text"] = unescaped(Substring(String(decoding: bytes[index..<end], as: UTF8.self)))
            }
            tags.append(parsed)
        }
        return tags
    }

    private static func tag(_ text: String) -> Tag {
        var rest = Substring(text)
        let isEnd = rest.first == "/"
        if isEnd { rest = rest.dropFirst() }
        let word = rest.prefix { !$0.isWhitespace && $0 != "/" }
        rest = rest.dropFirst(word.count)
        let name = (isEnd ? "/" : "") + word
        var attributes: [String: String] = [:]
        while let equals = rest.firstIndex(of: "=") {
            let key = rest[..<equals].filter { !$0.isWhitespace }  // a name holds none
            let afterEquals = rest[rest.index(after: equals)...]
            guard let quote = afterEquals.first, quote == "\"" || quote == "'" else { break }
            let value = afterEquals.dropFirst()
            guard let end = value.firstIndex(of: quote) else { break }
            attributes[String(key)] = unescaped(value[..<end])
            rest = value[value.index(after: end)...]
        }
        return (name, attributes)
    }

    /// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#N;` and `&#xH;` undone.
    static func unescaped(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var result = ""
        var rest = text
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            let entity = rest[ampersand...]
            guard let semicolon = entity.firstIndex(of: ";") else { break }
            let name = entity[entity.index(after: ampersand)..<semicolon]
            let named: [Substring: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'"]
            if let character = named[name] {
                result += character
            } else if name.hasPrefix("#x") || name.hasPrefix("#X"), let code = UInt32(name.dropFirst(2), radix: 16), let scalar = UnicodeScalar(code) {
                result.unicodeScalars.append(scalar)
            } else if name.hasPrefix("#"), let code = UInt32(name.dropFirst()), let scalar = UnicodeScalar(code) {
                result.unicodeScalars.append(scalar)
            } else {
                result += entity[...semicolon]
            }
            rest = entity[entity.index(after: semicolon)...]
        }
        return result + rest
    }
}
