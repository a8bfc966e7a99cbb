import ArgumentParser
import Glibc
import SockscopeCore

struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send UDP datagrams to HOST PORT: MESSAGE, or stdin whole, per line or per N bytes.",
        discussion: """
            With MESSAGE, sends it as one datagram. Without, sends all of stdin as one datagram, or one \
            per line (--lines, the newline kept) or per --size N bytes, as the input arrives. UDP has no \
            connection: a datagram to a port nobody listens on is "sent" and silently lost — unless the \
            socket is connected (--connect), when the ICMP port-unreachable that comes back is reported \
            as ECONNREFUSED (exit 69): send waits 0.2 s after the last datagram for it (with --wait, as \
            long as it waits for replies). A datagram over 65,507 bytes (IPv4) fails with EMSGSIZE.

            --wait SECS prints replies (source, size, payload) until none has come for SECS; exit 1 when \
            none came.

            Examples:
              sockscope send 127.0.0.1 9999 hello
              printf 'a\\nb\\nc\\n' | sockscope send --lines 127.0.0.1 9999
              sockscope send --connect --wait 1 127.0.0.1 9999 ping
              sockscope send --group 239.1.2.3 9999 "to everyone who joined"
            """
    )

    @Argument(help: ArgumentHelp("Destination host (omit with --group).", valueName: "host"))
    var host: String?

    @Argument(help: ArgumentHelp("Destination port.", valueName: "port"))
    var port: String?

    @Argument(help: ArgumentHelp("The message: one datagram. Without it, stdin is read.", valueName: "message"))
    var message: String?

    @Flag(name: .customLong("lines"), help: "One datagram per line of stdin (the newline kept).")
    var lines = false

    @Option(name: .customLong("size"), help: ArgumentHelp("One datagram per N bytes of stdin.", valueName: "n"))
    var size: Int?

    @Flag(
        name: .customLong("connect"),
        help: "connect() the socket first, so ICMP errors come back as ECONNREFUSED (waited for 0.2 s after the last datagram, or with --wait).")
    var connect = false

    @Option(name: .customLong("wait"), help: ArgumentHelp("Print replies until none has come for this many seconds.", valueName: "secs"))
    var wait: Seconds?

    @Option(
        name: [.customLong("replies"), .customLong("count")],
        help: ArgumentHelp("With --wait: stop after this many replies (--count is the older spelling).", valueName: "n"))
    var count: Int?

    @OptionGroup(title: "Address family") var family: FamilyOptions

    @Option(name: [.customShort("s"), .customLong("source")], help: ArgumentHelp("Send from this local address.", valueName: "addr"))
    var source: String?

    @Option(name: .customLong("ttl"), help: ArgumentHelp("IP_TTL (multicast: IP_MULTICAST_TTL, default 1).", valueName: "hops"))
    var ttl: Int?

    @Option(name: .customLong("group"), help: ArgumentHelp("Send to this multicast group (then give only PORT [MESSAGE]).", valueName: "addr"))
    var group: String?

    @Flag(
        name: .customLong("loop"),
        help:
            "With --group: IP_MULTICAST_LOOP, deliver to receivers on this host too when the datagram leaves by a real interface (sent by lo, it reaches them anyway)."
    )
    var loop = false

    @Option(
        name: .customLong("interface"), help: ArgumentHelp("With --group: the interface to send by (IP_MULTICAST_IF).", valueName: "name"),
        completion: .shellCommand("ls /sys/class/net"))
    var interface: String?

    @OptionGroup(title: "Output") var output: DatagramOutputOptions

    @Flag(name: .shortAndLong, help: "Narrate every socket call on stderr.")
    var verbose = false

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        if lines && size != nil { throw ValidationError("--lines and --size cannot be used together") }
        if let size, size < 1 || size > 65_527 {
            throw ValidationError("--size takes 1 to 65507 bytes (65527 over IPv6): a UDP datagram holds no more")
        }
        if let ttl, ttl < 1 || ttl > 255, group == nil { throw ValidationError("--ttl takes 1 to 255 (IP_TTL 0 is refused by the kernel)") }
        if let ttl, ttl < 0 || ttl > 255 { throw ValidationError("--ttl takes 0 to 255 with --group (IP_MULTICAST_TTL)") }
        if count != nil && wait == nil { throw ValidationError("--replies goes with --wait") }
        if (loop || interface != nil) && group == nil { throw ValidationError("--loop and --interface go with --group") }
        try ValidationError.check { () throws(SockscopeError) in _ = try request.destination() }
    }

    func run() throws { try request.run() }
}

extension SendCommand.Request {
    /// Runs the command, through the command runner.
    func run() throws {
        color.apply()
        try CommandRunner.run(json: output.json) { () throws(SockscopeError) -> ExitStatus in
            let replies = try send()
            guard wait == nil || replies > 0 else {
                Diagnostics.nothingCame("no reply", within: wait?.duration, json: output.json)
                return .nothingFound
            }
            return .success
        }
    }

    /// Sends, then collects replies with --wait; returns how many replies came.
    private func send() throws(SockscopeError) -> Int {
        let tracer = Diagnostics.tracer(verbose: verbose)
        let (destination, text) = try destinationAndMessage()
        if let size, destination.family == .inet, size > 65_507 {
            throw .usage("--size \(size) is over 65507, the most an IPv4 UDP datagram holds")
        }
        let socket = try SockscopeError.converting {
            let socket = try Socket(family: destination.family, type: .datagram, tracer: tracer)
            if let source {
                guard let address = IPAddress(source), address.family == destination.family else {
                    throw SockscopeError.usage("bad source address '\(source)' for \(destination)")
                }
                try socket.bind(to: SocketAddress(address, port: 0))
            }
            if let group = destination.ipAddress, group.isMulticast {
                try socket.set(.multicastTTL(ttl ?? 1))
                try socket.set(.multicastLoop(loop))
                if let interface {
                    guard let found = NetworkInterface.named(interface) else { throw SockscopeError.usage("no interface named '\(interface)'") }
                    try socket.set(.multicastInterface(found.index))
                }
            } else if let ttl {
                try socket.set(.timeToLive(ttl))
            }
            if connect { try socket.connect(to: destination, timeout: nil) }
            return socket
        }
        defer { socket.close() }

        var datagrams = 0
        var bytes = 0
        let to: SocketAddress? = connect ? nil : destination
        func deliver(_ group: [ArraySlice<UInt8>]) throws(SockscopeError) {
            do {
                try DatagramBatchSender.send(group, on: socket, to: to)
            } catch {
                throw SockscopeError(error, peer: destination)
            }
            datagrams += group.count
            bytes += group.reduce(0) { $0 + $1.count }
        }
        if let text {
            try deliver([Array(text.utf8)[...]])
        } else {
            let cutting: DatagramSource.Cutting = lines ? .lines : size.map { .size($0) } ?? .whole
            try DatagramSource(fd: 0, cutting: cutting).forEachGroup(deliver)
        }
        tracer.record("sent \(counted(datagrams, "datagram")) (\(counted(bytes, "byte"))) to \(destination)")
        guard let wait else {
            if connect { try awaitRefusal(on: socket, destination: destination) }
            return 0
        }
        return try output.printReplies(on: socket, idle: wait.duration, count: count)
    }

    /// How long `--connect` without --wait waits after the last datagram for the ICMP
    /// error a closed port answers with (it arrives after send() has returned).
    static let refusalGrace: Duration = .milliseconds(200)

    /// --connect: waits up to `refusalGrace` for the socket to turn readable (a reply, or
    /// a pending ICMP error), and reports the error if one came.
    private func awaitRefusal(on socket: Socket, destination: SocketAddress) throws(SockscopeError) {
        do {
            _ = try EventLoop.wait(for: socket.descriptor, .readable, deadline: .now + Self.refusalGrace)
        } catch {
            throw SockscopeError(error)
        }
        if let refused = socket.pendingError() { throw SockscopeError(SocketCallError(.send, refused, address: destination), peer: destination) }
    }

    /// Where the positionals say to send, read without any lookup — validate() reads
    /// them too: a multicast group and its port (--group), or a host as given and a port;
    /// and the message, if one is given.
    enum Destination {
        case group(SocketAddress, message: String?)
        case host(String, port: UInt16, message: String?)
    }

    func destination() throws(SockscopeError) -> Destination {
        if let group {
            // With --group the positionals shift: PORT [MESSAGE].
            guard let portText = host else { throw .usage("send --group GROUP needs a PORT") }
            if message != nil { throw .usage("with --group give PORT [MESSAGE], not a HOST") }
            guard let address = IPAddress(group), address.isMulticast else {
                throw .usage("--group takes a multicast address (224.0.0.0/4 or ff00::/8), not '\(group)'")
            }
            return .group(SocketAddress(address, port: try PortNumber.parse(portText, allowZero: false, protocolName: "udp")), message: port)
        }
        if let host, let split = Habits.hostAndPort(host) {
            // send HOST:PORT [MESSAGE]: the word after it is the message.
            if message != nil { throw .usage("send \(host) takes one MESSAGE after it (HOST:PORT MESSAGE or HOST PORT MESSAGE)") }
            return .host(split.host, port: try PortNumber.parse(split.port, allowZero: false, protocolName: "udp"), message: port)
        }
        guard let host, let port else { throw .usage("send needs HOST and PORT (or HOST:PORT)") }
        return .host(host, port: try PortNumber.parse(port, allowZero: false, protocolName: "udp"), message: message)
    }

    private func destinationAndMessage() throws(SockscopeError) -> (SocketAddress, String?) {
        switch try destination() {
        case .group(let address, let message): return (address, message)
        case .host(let host, let number, let message):
            guard let first = try HostResolver.resolve(host, port: number, family: family.family, type: .datagram).first else {
                throw .usage("no address for '\(host)'")
            }
            return (first, message)
        }
    }
}
