import ArgumentParser
import Glibc
import SockscopeCore

struct Sockscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sockscope",
        abstract: "Connect, listen and pipe data through sockets, and see what the kernel does underneath.",
        discussion: """
            Data flows on stdout; diagnostics and -v narration of every socket call on stderr.

            EXIT STATUS
              0   success
              1   the operation ran but found nothing
              64  usage error (bad option, port, address or path)
              68  unknown host
              69  connection refused, host or network unreachable, or address in use
              70  internal error
              74  I/O error (connection reset, failed read or write)
              75  timed out, or temporary failure
              77  missing privilege or permission (a port below 1024; broadcast without SO_BROADCAST)
            """,
        version: "0.1.0",
        subcommands: [ConnectCommand.self, ListenCommand.self, SendCommand.self, RecvCommand.self, BroadcastCommand.self, ProbeCommand.self, ResolveCommand.self, TapCommand.self, SocketsCommand.self, DemoCommand.self]
    )
}
