import ArgumentParser
import Glibc
import SockscopeCore

struct RecvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recv",
        abstract: "Receive UDP datagrams on [ADDR] PORT and show each: time, source, size, payload.",
        discussion: """
            Each datagram stands alone: it keeps its boundary, may be empty (shown as such), and is \
            truncated when it is larger than the buffer — then both sizes are shown (MSG_TRUNC), e.g. \
            "truncated: 2000 bytes arrived, 1024 kept". Binds 0.0.0.0 by default (-6: [::]) with \
            SO_REUSEADDR, so it also receives broadcasts; --group joins a multicast group.

            Examples:
              sockscope recv 127.0.0.1 9999
              sockscope recv --buffer 1024 --count 1 9999
              sockscope recv --upper 9999            # answer each sender, upper-cased
              sockscope recv --group 239.1.2.3 9999
            """
    )

    @Argument(help: ArgumentHelp("Local address to bind (optional: default 0.0.0.0, or :: with -6), then the port.", valueName: "addr"))
    var first: String?

    @Argument(help: ArgumentHelp("The port, when an address is given first.", valueName: "port"))
    var second: String?

    @OptionGroup(title: "Address family") var family: FamilyOptions

    @Option(name: .customLong("buffer"), help: ArgumentHelp("Bytes kept of each datagram, like recvfrom(N) (default 65535).", valueName: "bytes"))
    var buffer: Int = 65535

    @Option(
        name: .customLong("recv-buffer"),
        help: ArgumentHelp("SO_RCVBUF: the kernel's queue for this socket (K/M suffixes; default 4M, so bursts are not dropped).", valueName: "bytes"))
    var receiveBuffer: ByteCount?

    @Option(name: .customLong("reply"), help: ArgumentHelp("Answer each datagram with this text.", valueName: "text"))
    var reply: String?

    @Flag(name: .customLong("echo"), help: "Answer each datagram with itself.")
    var echo = false

    @Flag(name: .customLong("upper"), help: "Answer each datagram with itself upper-cased.")
    var upper = false

    @Option(name: .customLong("count"), help: ArgumentHelp("Stop after this many datagrams.", valueName: "n"))
    var count: Int?

    @Option(
        name: [.customShort("w"), .customLong("idle-timeout")],
        help: ArgumentHelp("Stop after this many seconds without a datagram (nc's -w).", valueName: "secs"))
    var timeout: Seconds?

    @Flag(name: .customLong("reuseport"), help: "Set SO_REUSEPORT, so several receivers can share the port.")
    var reusePort = false

    @Option(name: .customLong("group"), help: ArgumentHelp("Join this multicast group (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP).", valueName: "addr"))
    var group: String?

    @Option(
        name: .customLong("interface"), help: ArgumentHelp("The interface to join the group on (default: the route's).", valueName: "name"),
        completion: .shellCommand("ls /sys/class/net"))
    var interface: String?

    @OptionGroup(title: "Output") var output: DatagramOutputOptions

    @Flag(name: .shortAndLong, help: "Narrate every socket call on stderr.")
    var verbose = false

    static let defaultReceiveBuffer = 4 << 20

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        try ValidationError.check { () throws(SockscopeError) in _ = try bindAddress() }
        if buffer < 0 || buffer > 65535 { throw ValidationError("--buffer takes 0 to 65535 bytes") }
        if [reply != nil, echo, upper].filter({ $0 }).count > 1 { throw ValidationError("choose one of --reply, --echo, --upper") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if interface != nil && group == nil { throw ValidationError("--interface goes with --group") }
    }

    func run() throws {
        color.values.apply()
        try CommandRunner.run(json: output.json) { () throws(SockscopeError) -> ExitStatus in
            guard try receive() > 0 else {
                Diagnostics.nothingCame("no datagram", within: timeout?.duration, json: output.json)
                return .nothingFound
            }
            return .success
        }
    }

    private func receive() throws(SockscopeError) -> Int {
        let tracer = Diagnostics.tracer(verbose: verbose)
        let (address, groupAddress) = try bindAddress()
        var options: [SocketOption] = []
        if reusePort { options.append(.reusePort(true)) }
        // A generous queue: a burst that outruns us waits instead of being dropped.
        options.append(.receiveBufferSize(receiveBuffer?.value ?? Self.defaultReceiveBuffer))
        let bound = try BoundSocket(ListenRequest(address: address, type: .datagram, options: options), tracer: tracer)
        if let groupAddress {
            var index: UInt32 = 0
            if let interface {
                guard let found = NetworkInterface.named(interface) else { throw .usage("no interface named '\(interface)'") }
                index = found.index
            }
            do { try bound.socket.set(.joinGroup(groupAddress, interfaceIndex: index)) } catch { throw SockscopeError(error) }
        }
        if verbose || address.port == 0 { Diagnostics.line("sockscope: receiving on \(bound.address)") }
        let printer = output.values.printer()
        defer { printer.flush() }
        let answer: [UInt8]? = reply.map { Array($0.utf8) }
        let socket = bound.socket
        return try DatagramListening.receive(on: socket, bufferSize: buffer, idle: timeout?.duration, count: count) { datagram throws(SockscopeError) in
            printer.print(datagram)
            guard let source = datagram.source, echo || upper || answer != nil else { return }
            var response = answer ?? Array(datagram.payload)
            if upper { ByteTransform.asciiUppercase.apply(to: &response) }
            do throws(SocketCallError) {
                try socket.sendDatagram(response, to: source)
            } catch {
                throw SockscopeError(error)
            }
        }
    }

    /// The address to bind and the group to join, from the positionals and --group,
    /// without any lookup — validate() reads them (its usage errors are the parser's).
    private func bindAddress() throws(SockscopeError) -> (SocketAddress, IPAddress?) {
        guard let first else { throw .usage("recv needs a PORT ([ADDR] PORT; port 0 picks a free one)") }
        let split = second == nil ? Habits.hostAndPort(first) : nil  // recv 127.0.0.1:5353
        let addressText = split?.host ?? (second == nil ? nil : first)
        let port = try PortNumber.parse(split?.port ?? second ?? first, allowZero: true, protocolName: "udp")
        var groupAddress: IPAddress?
        if let group {
            guard let parsed = IPAddress(group), parsed.isMulticast else {
                throw .usage("--group takes a multicast address (224.0.0.0/4 or ff00::/8), not '\(group)'")
            }
            groupAddress = parsed
        }
        let wanted = family.family
        for address in [addressText.flatMap(IPAddress.init), groupAddress].compactMap({ $0 }) where wanted != nil && address.family != wanted {
            throw .usage("\(address) is not an \(wanted == .inet ? "IPv4" : "IPv6") address (-\(wanted == .inet ? "4" : "6"))")
        }
        if let addressText {
            guard let address = IPAddress(addressText) else { throw .usage("bad address '\(addressText)': give a numeric IPv4 or IPv6 address") }
            return (SocketAddress(address, port: port), groupAddress)
        }
        if groupAddress?.family == .inet6 || wanted == .inet6 { return (.ipv6(.any, port: port), groupAddress) }
        return (.ipv4(.any, port: port), groupAddress)
    }
}
