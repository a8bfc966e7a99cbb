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
              130 stopped by SIGINT (Ctrl-C), after writing out what had arrived
              143 stopped by SIGTERM, likewise

            JSON
              --json prints one object per result (JSON Lines); each command's help lists its fields.

            FILES
              /etc/hosts, /etc/nsswitch.conf, /etc/resolv.conf  name resolution, as for every program
              /etc/services                                     service names for ports
              /proc/net/tcp, /proc/net/unix, netlink sock_diag  the kernel's socket tables

            PRIVILEGES
              Capturing (--tap, tap, demo's packets) needs CAP_NET_RAW: run as root, or once
              `sudo setcap cap_net_raw,cap_net_admin+ep $(which sockscope)`. Ports below 1024
              need CAP_NET_BIND_SERVICE. Everything else runs as any user.

            EXAMPLES
              sockscope demo
              sockscope listen --upper 127.0.0.1 5599 & echo hi | sockscope connect 127.0.0.1 5599
              sockscope probe 127.0.0.1 1-1024
              sockscope resolve --reverse 127.0.0.1
              sudo sockscope tap 'tcp port 5599'
            """,
        version: "0.1.0",
        subcommands: [ConnectCommand.self, ListenCommand.self, SendCommand.self, RecvCommand.self, BroadcastCommand.self, ProbeCommand.self, ResolveCommand.self, TapCommand.self, SocketsCommand.self, DemoCommand.self]
    )
}
