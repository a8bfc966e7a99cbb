import ArgumentParser
import Glibc
import SockscopeCore

struct ResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Resolve names exactly as the C library does: getaddrinfo, gethostbyname, getnameinfo, services.",
        discussion: """
            With NAME [SERVICE], prints the whole getaddrinfo() result in the order the C library \
            returns it — which is the order a program tries the addresses in: family, socket type, \
            protocol, address, port and canonical name (AI_CANONNAME), with the call's duration. What \
            it consults (/etc/hosts, DNS, …) and in which order is nsswitch.conf's business, as for \
            every program on this machine.

            --json prints one "address" record per entry: name, service, family, socket_type, protocol, \
            address, port, canonname, duration_ms (the other modes print "host", "fqdn", "reverse" and \
            "service" records).

            Exit status: 0, 68 when the name does not exist, 75 on a temporary failure (EAI_AGAIN), \
            64 for a malformed name (empty, over 253 bytes, a label over 63 bytes) or bad flags, \
            1 when a service lookup finds nothing.

            Examples:
              sockscope resolve localhost
              sockscope resolve -4 --type stream localhost http
              sockscope resolve --passive --numeric-service "" 8080
              sockscope resolve --gethostbyname localhost
              sockscope resolve --reverse 127.0.0.1
              sockscope resolve --service ssh
              sockscope resolve --port 53/udp
            """
    )

    @Argument(help: ArgumentHelp("The host name or address to resolve.", valueName: "name"))
    var name: String?

    @Argument(help: ArgumentHelp("A service name or port for getaddrinfo.", valueName: "service"))
    var service: String?

    @OptionGroup(title: "Address family") var family: FamilyOptions

    @Option(name: .customLong("type"), help: ArgumentHelp("Socket type hint: stream, dgram or raw (default: any).", valueName: "type"))
    var socketType: SocketTypeHint?

    @Flag(name: .customLong("passive"), help: "AI_PASSIVE: addresses to bind a server to (with no NAME: the wildcard addresses).")
    var passive = false

    @Flag(name: .customLong("numeric-host"), help: "AI_NUMERICHOST: NAME must be a numeric address; never ask DNS.")
    var numericHost = false

    @Flag(name: .customLong("numeric-service"), help: "AI_NUMERICSERV: SERVICE must be a port number.")
    var numericService = false

    @Flag(name: .customLong("addrconfig"), help: "AI_ADDRCONFIG: only families this machine has a (non-loopback) address of.")
    var addressConfig = false

    @Flag(name: .customLong("v4mapped"), help: "AI_V4MAPPED: with -6, return IPv4 addresses as ::ffff:a.b.c.d when there is no IPv6 one.")
    var v4Mapped = false

    @Flag(
        name: [.customLong("ai-all"), .customLong("all")],
        help: "AI_ALL (with --v4mapped): IPv6 and mapped IPv4 addresses both (--all is the older spelling).")
    var all = false

    @Flag(name: .customLong("gethostbyname"), help: "Use the legacy gethostbyname() instead (IPv4 only; official name, aliases, addresses).")
    var legacy = false

    @Flag(name: .customLong("fqdn"), help: "Print this host's name and fully qualified name as Python's socket.getfqdn() computes it.")
    var fqdn = false

    @Flag(name: .customLong("reverse"), help: "Look up the name of the address given (getnameinfo()): resolve --reverse ADDR.")
    var reverse = false

    @Flag(name: .customLong("name-required"), help: "With --reverse: NI_NAMEREQD, fail when the address has no name.")
    var nameRequired = false

    @Option(name: .customLong("service"), help: ArgumentHelp("Look up a service by name in the services database (ssh, ssh/tcp).", valueName: "name"))
    var serviceName: String?

    @Option(name: .customLong("port"), help: ArgumentHelp("Look up a service by port (22, 22/tcp).", valueName: "port"))
    var servicePort: String?

    @OptionGroup(title: "Output") var jsonOutput: OutputOptions

    var json: Bool { jsonOutput.json }

    enum SocketTypeHint: String, ExpressibleByArgument, CaseIterable {
        case stream, dgram, raw
        var value: Int32 {
            switch self {
            case .stream: Int32(SOCK_STREAM.rawValue)
            case .dgram: Int32(SOCK_DGRAM.rawValue)
            case .raw: Int32(SOCK_RAW.rawValue)
            }
        }
    }

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        let modes = [legacy, fqdn, reverse, serviceName != nil, servicePort != nil].filter { $0 }.count
        if modes > 1 { throw ValidationError("choose one of --gethostbyname, --fqdn, --reverse, --service, --port") }
        if nameRequired && !reverse { throw ValidationError("--name-required goes with --reverse") }
        if reverse && (name == nil || service != nil) { throw ValidationError("--reverse takes one address: resolve --reverse ADDR") }
        if (fqdn || serviceName != nil || servicePort != nil) && (name != nil || service != nil) {
            throw ValidationError("this mode takes no NAME or SERVICE argument")
        }
        try ValidationError.check { () throws(SockscopeError) in try request.checkArguments() }
    }

    func run() throws { try request.run() }
}

extension ResolveCommand.Request {
    /// --json: JSON Lines instead of text.
    var json: Bool { jsonOutput.json }

    /// Resolves and prints, through the command runner.
    func run() throws {
        color.apply()
        try CommandRunner.run(json: json) { () throws(SockscopeError) -> ExitStatus in
            if reverse, let name { return try printReverse(name) }
            if fqdn {
                printFQDN()
            } else if let serviceName {
                try printServices(lookup: serviceName, byPort: false)
            } else if let servicePort {
                try printServices(lookup: servicePort, byPort: true)
            } else if legacy {
                try printGethostbyname()
            } else {
                try printAddressInfo()
            }
            return .success
        }
    }

    // MARK: getaddrinfo

    /// What each mode needs from the command line, read without any lookup — validate()
    /// reads it too: a NAME (getaddrinfo, gethostbyname), an address (--reverse), a service.
    func checkArguments() throws(SockscopeError) {
        if reverse {
            _ = try Self.reverseAddress(name ?? "")
        } else if let serviceName {
            _ = try Self.serviceQuery(serviceName, byPort: false)
        } else if let servicePort {
            _ = try Self.serviceQuery(servicePort, byPort: true)
        } else if legacy {
            _ = try legacyName()
        } else if !fqdn {
            try checkName()
        }
    }

    private func checkName() throws(SockscopeError) {
        if name == nil && !passive { throw SockscopeError.usage("resolve needs a NAME (or --passive for the wildcard addresses)") }
        if let name, !name.isEmpty || !passive { try Resolver.validateHostName(name) }
    }

    private func printAddressInfo() throws(SockscopeError) {
        try checkName()
        let host = name.flatMap { $0.isEmpty ? nil : $0 }
        var flags = host == nil ? 0 : AI_CANONNAME  // a canonical name needs a name (else EAI_BADFLAGS)
        if passive { flags |= AI_PASSIVE }
        if numericHost { flags |= AI_NUMERICHOST }
        if numericService { flags |= AI_NUMERICSERV }
        if addressConfig { flags |= AI_ADDRCONFIG }
        if v4Mapped { flags |= AI_V4MAPPED }
        if all { flags |= AI_ALL }
        let query = AddressInfoQuery(name: host, service: service, family: family.family, socketType: socketType?.value ?? 0, flags: flags)
        let result: (entries: [AddressInfoEntry], duration: Duration)
        do {
            result = try Resolver.addressInfo(query)
        } catch {
            throw SockscopeError(resolving: host ?? "(null)", error)
        }
        if json {
            var text = ""
            for entry in result.entries {
                let record = AddressRecord(
                    name: host, service: service, family: entry.family.name, socketType: entry.socketTypeName, protocol: entry.protocolName,
                    address: entry.address.ipAddress.map { "\($0)" }, port: Int(entry.address.port ?? 0), canonname: entry.canonicalName,
                    durationMs: result.duration.jsonMilliseconds)
                text += JSONLine.text(record)
            }
            Diagnostics.output(text)
            return
        }
        let style = Style(enabled: Diagnostics.usesColour(1))
        // The address column as wide as its widest address (IPv4 rows fit 80 columns).
        let addresses = result.entries.map { entry in entry.address.ipAddress.map { "\($0)" } ?? "?" }
        let addressWidth = max(7, addresses.map(\.count).max() ?? 0) + 2
        var text =
            style.dim(
                "FAMILY".padded(to: 10) + "TYPE".padded(to: 13) + "PROTOCOL".padded(to: 10) + "ADDRESS".padded(to: addressWidth) + "PORT".padded(to: 7)
                    + "CANONNAME")
            + "\n"
        for (entry, address) in zip(result.entries, addresses) {
            text +=
                entry.family.name.padded(to: 10) + entry.socketTypeName.padded(to: 13) + entry.protocolName.padded(to: 10)
                + address.padded(to: addressWidth) + String(entry.address.port ?? 0).padded(to: 7)
                + (entry.canonicalName.map(PrintableBytes.escaped) ?? "-") + "\n"
        }
        let call =
            "getaddrinfo(\(host.map { "\"\($0)\"" } ?? "NULL"), \(service.map { "\"\($0)\"" } ?? "NULL"), "
            + "{\(family.family?.name ?? "AF_UNSPEC"), \(AddressInfoEntry.socketTypeName(query.socketType)), \(query.flagNames)})"
        let count = result.entries.count
        text += style.dim("\(call) → \(count) entr\(count == 1 ? "y" : "ies") in \(Timestamp.shortMilliseconds(result.duration))") + "\n"
        Diagnostics.output(text)
    }

    // MARK: Legacy calls

    private func legacyName() throws(SockscopeError) -> String {
        guard let name else { throw SockscopeError.usage("--gethostbyname needs a NAME") }
        try Resolver.validateHostName(name)
        return name
    }

    private func printGethostbyname() throws(SockscopeError) {
        let name = try legacyName()
        let result: (entry: HostEntry, duration: Duration)
        do {
            result = try Resolver.hostByName(name)
        } catch {
            let status: ExitStatus = error.code == 2 ? .timedOut : .unknownHost
            throw SockscopeError("gethostbyname(\"\(name)\") failed: \(error)", status: status)
        }
        let entry = result.entry
        if json {
            let record = HostRecord(
                name: name, officialName: entry.officialName, aliases: entry.aliases, addresses: entry.addresses.map(\.description),
                durationMs: result.duration.jsonMilliseconds)
            Diagnostics.output(JSONLine.text(record))
            return
        }
        // Names from DNS or /etc/hosts are other people's text: escaped, one line each.
        var text = "official name  \(PrintableBytes.escaped(entry.officialName))\n"
        text += "aliases        \(entry.aliases.isEmpty ? "-" : entry.aliases.map(PrintableBytes.escaped).joined(separator: " "))\n"
        text += "addresses      \(entry.addresses.map(\.description).joined(separator: " "))\n"
        text += "gethostbyname(\"\(name)\") in \(Timestamp.shortMilliseconds(result.duration)) — legacy and IPv4-only; programs should use getaddrinfo\n"
        Diagnostics.output(text)
    }

    private func printFQDN() {
        let (hostName, fqdn) = Resolver.fullyQualifiedName()
        if json {
            Diagnostics.output(JSONLine.text(FQDNRecord(hostname: hostName, fqdn: fqdn)))
            return
        }
        Diagnostics.output("hostname  \(PrintableBytes.escaped(hostName))\nfqdn      \(PrintableBytes.escaped(fqdn))\n")
    }

    /// getnameinfo's answer, or exit 1 with "no name" when it could only give the
    /// address back (no PTR record, nothing in /etc/hosts).
    private static func reverseAddress(_ text: String) throws(SockscopeError) -> IPAddress {
        guard let address = IPAddress(text) else {
            throw SockscopeError.usage("--reverse takes a numeric IPv4 or IPv6 address, not '\(text)'")
        }
        return address
    }

    private func printReverse(_ text: String) throws(SockscopeError) -> ExitStatus {
        let address = try Self.reverseAddress(text)
        let result: (name: String, duration: Duration)
        do {
            result = try Resolver.nameInfo(address, nameRequired: nameRequired)
        } catch {
            if error.code == EAI_NONAME && nameRequired {
                throw SockscopeError("no name for \(address): \(error)", explanation: "neither /etc/hosts nor a PTR record names it", status: .unknownHost)
            }
            throw SockscopeError(resolving: "\(address)", error)
        }
        // Without NI_NAMEREQD, getnameinfo answers an unnamed address with its numeric form.
        let named = IPAddress(result.name) == nil
        if json {
            let record = ReverseRecord(address: "\(address)", name: named ? result.name : nil, durationMs: result.duration.jsonMilliseconds)
            Diagnostics.output(JSONLine.text(record))
        } else if named {
            Diagnostics.output("\(address)  \(PrintableBytes.escaped(result.name))\n")
        } else {
            Diagnostics.output("\(address)  (no name: getnameinfo gave the address back; neither /etc/hosts nor a PTR record names it)\n")
        }
        return named ? .success : .nothingFound
    }

    /// `NAME[/PROTOCOL]` or `PORT[/PROTOCOL]` read: the name (or the port's digits), the
    /// protocol when given, and the port number for a lookup by port.
    private static func serviceQuery(_ text: String, byPort: Bool) throws(SockscopeError) -> (key: String, protocolName: String?, port: UInt16?) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let key = parts.first, !key.isEmpty else { throw SockscopeError.usage("empty service") }
        let protocolName = parts.count == 2 ? parts[1] : nil
        if let protocolName, protocolName != "tcp" && protocolName != "udp" {
            throw SockscopeError.usage("unknown protocol '\(protocolName)': use tcp or udp")
        }
        guard byPort else {
            if key.allSatisfy(\.isNumber) {
                throw SockscopeError.usage("--service looks up a name; for the service on port \(key) give --port \(text)")
            }
            return (key, protocolName, nil)
        }
        guard let port = UInt16(key), port > 0 else {
            if !key.allSatisfy(\.isNumber) { throw SockscopeError.usage("--port takes a number; for the service named '\(key)' give --service \(text)") }
            throw SockscopeError.usage("bad port '\(key)': a number from 1 to 65535")
        }
        return (key, protocolName, port)
    }

    private func printServices(lookup text: String, byPort: Bool) throws(SockscopeError) {
        let (key, protocolName, port) = try Self.serviceQuery(text, byPort: byPort)
        let entries: [ServiceEntry]
        if let port {
            entries = Resolver.services(port: port, protocolName: protocolName)
        } else {
            entries = Resolver.services(named: key, protocolName: protocolName)
        }
        if entries.isEmpty {
            throw SockscopeError("no service \(text) in the services database", status: .nothingFound)
        }
        var output = ""
        for entry in entries {
            if json {
                output += JSONLine.text(ServiceRecord(name: entry.name, port: Int(entry.port), protocol: entry.protocolName, aliases: entry.aliases))
            } else {
                output +=
                    entry.name.padded(to: 22) + "\(entry.port)/\(entry.protocolName)"
                    + (entry.aliases.isEmpty ? "" : "  " + entry.aliases.joined(separator: " ")) + "\n"
            }
        }
        Diagnostics.output(output)
    }
}
