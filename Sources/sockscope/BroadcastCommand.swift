import ArgumentParser
import Glibc
import SockscopeCore

struct BroadcastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcast",
        abstract: "Broadcast a UDP datagram to PORT (SO_BROADCAST) and collect who answers.",
        discussion: """
            Sends MESSAGE to 255.255.255.255, to the broadcast address of --interface IF, or to --to \
            ADDR, from a socket with SO_BROADCAST set. Without SO_BROADCAST the kernel refuses a \
            broadcast destination with EACCES — --no-so-broadcast shows exactly that. --wait SECS \
            prints the replies (who answered, from where) until none has come for SECS.

            Every machine on the segment receives a broadcast: try it between network namespaces, or \
            on loopback with --to 127.255.255.255.

            Examples:
              sockscope broadcast --to 127.255.255.255 --wait 1 9999 "who is there?"
              sockscope broadcast --interface eth0 --wait 2 9999 discover
            """
    )

    @Argument(help: ArgumentHelp("Destination port.", valueName: "port"))
    var port: String

    @Argument(help: ArgumentHelp("The message.", valueName: "message"))
    var message: String

    @Option(name: .customLong("to"), help: ArgumentHelp("Send to this address instead of 255.255.255.255.", valueName: "addr"))
    var to: String?

    @Option(
        name: .customLong("interface"), help: ArgumentHelp("Send to this interface's broadcast address (from getifaddrs).", valueName: "name"),
        completion: .shellCommand("ls /sys/class/net"))
    var interface: String?

    @Option(name: .customLong("wait"), help: ArgumentHelp("Print replies until none has come for this many seconds.", valueName: "secs"))
    var wait: Seconds?

    @Option(
        name: [.customLong("replies"), .customLong("count")],
        help: ArgumentHelp("With --wait: stop after this many replies (--count is the older spelling).", valueName: "n"))
    var count: Int?

    @Flag(name: .customLong("no-so-broadcast"), help: "Do not set SO_BROADCAST (see the kernel's EACCES).")
    var noBroadcastOption = false

    @Option(name: [.customShort("s"), .customLong("source")], help: ArgumentHelp("Send from this local IPv4 address.", valueName: "addr"))
    var source: String?

    @OptionGroup(title: "Output") var output: DatagramOutputOptions

    @Flag(name: .shortAndLong, help: "Narrate every socket call on stderr.")
    var verbose = false

    @OptionGroup(title: "Output") var color: ColorOptions

    func validate() throws {
        if to != nil && interface != nil { throw ValidationError("--to and --interface cannot be used together") }
        if count != nil && wait == nil { throw ValidationError("--replies goes with --wait") }
        if let to, IPv4Address(to) == nil { throw ValidationError("--to takes an IPv4 address, not '\(to)'") }
        if let source, IPv4Address(source) == nil { throw ValidationError("bad source address '\(source)': give an IPv4 address") }
    }

    func run() throws {
        color.values.apply()
        try CommandRunner.run(json: output.json) { () throws(SockscopeError) -> ExitStatus in
            let replies = try broadcast()
            guard wait == nil || replies > 0 else {
                Diagnostics.nothingCame("no reply", within: wait?.duration, json: output.json)
                return .nothingFound
            }
            return .success
        }
    }

    private func broadcast() throws(SockscopeError) -> Int {
        let tracer = Diagnostics.tracer(verbose: verbose)
        let number = try PortNumber.parse(port, allowZero: false, protocolName: "udp")
        let destination = SocketAddress.ipv4(try destinationAddress(), port: number)
        let socket = try SockscopeError.converting {
            let socket = try Socket(family: .inet, type: .datagram, tracer: tracer)
            if !noBroadcastOption { try socket.set(.broadcast(true)) }
            if let source {
                guard case .v4(let address)? = IPAddress(source) else { throw SockscopeError.usage("bad source address '\(source)': give an IPv4 address") }
                try socket.bind(to: .ipv4(address, port: 0))
            }
            try socket.sendDatagram(Array(message.utf8), to: destination)
            return socket
        }
        defer { socket.close() }
        tracer.record("sent \(counted(message.utf8.count, "byte")) to \(destination)")
        guard let wait else { return 0 }
        return try output.values.printReplies(on: socket, idle: wait.duration, count: count)
    }

    private func destinationAddress() throws(SockscopeError) -> IPv4Address {
        if let to {
            guard case .v4(let address)? = IPAddress(to) else { throw .usage("--to takes an IPv4 address, not '\(to)'") }
            return address
        }
        if let interface {
            guard let found = NetworkInterface.named(interface) else { throw .usage("no interface named '\(interface)'") }
            guard let address = found.ipv4.compactMap(\.broadcast).first else {
                throw .usage("interface \(interface) has no IPv4 broadcast address")
            }
            return address
        }
        return .broadcast
    }
}
