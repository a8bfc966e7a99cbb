import ArgumentParser

/// Which clients a server admits, and how many at once: the one vocabulary for
/// --allow/--deny (and their files) and --max-clients, on every command that accepts
/// clients.
struct AccessOptions: ParsableArguments {
    @Option(
        name: .customLong("max-clients"),
        help: ArgumentHelp(
            "Serve at most N clients at once (0 refuses every client); more are refused and logged. On listen it implies --keep-open; with -u a client is a source (address and port): the first N are served, with --exec N programs at once.",
            valueName: "n"))
    var maxClients: Int?

    @Option(
        name: .customLong("allow"),
        help: ArgumentHelp(
            "Accept only these clients: addresses, CIDR blocks, ranges (10.0.0.1-20, 192.168.*.1) or host names, comma-separated (repeatable).",
            valueName: "addrs"))
    var allow: [String] = []

    @Option(name: .customLong("deny"), help: ArgumentHelp("Refuse these clients (written as for --allow; repeatable).", valueName: "addrs"))
    var deny: [String] = []

    @Option(
        name: .customLong("allow-file"), help: ArgumentHelp("Read --allow entries from a file (several per line, # comments).", valueName: "file"),
        completion: .file())
    var allowFile: String?

    @Option(
        name: .customLong("deny-file"),
        help: ArgumentHelp("Read --deny entries from a file (several per line, # comments).", valueName: "file"), completion: .file())
    var denyFile: String?

    /// Whether any address rule is given (they match IP clients only).
    var restrictsAddresses: Bool { !allow.isEmpty || !deny.isEmpty || allowFile != nil || denyFile != nil }

    func validate() throws {
        if let maxClients, maxClients < 0 { throw ValidationError("--max-clients must be 0 or more") }
    }
}
