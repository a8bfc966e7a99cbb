import ArgumentParser
import Glibc
import SockscopeCore

struct Sockscope: ParsableCommand {
    /// The version `--version` prints (the light path prints it without building the
    /// configuration, whose help texts and command list it does not need).
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "sockscope",
        abstract: "Connect, listen and pipe data through sockets, and see what the kernel does underneath.",
        discussion: """
            Data flows on stdout; diagnostics and -v narration of every socket call
            on stderr.

            \(ExitStatusTable.help())

            JSON
              --json prints one object per result or event (JSON Lines): on
              stdout for results (probe, resolve, recv, send, broadcast, tap,
              sockets, demo), on stderr for the events of connect and listen,
              whose stdout carries the data. Every record has "type" and "time"
              (RFC 3339, UTC); durations are numbers in *_ms fields, endpoints
              are ROLE_address + ROLE_port, byte counts bytes_*. With --json a
              failure is an "error" record (message, explanation, exit_status)
              on stderr. The schema: schema/sockscope.schema.json.

            SHORT OPTIONS
              Long names mean the same in every command. Short letters follow
              the tool each command replaces, one meaning within a command:
                connect, listen (ncat)  -4 -6 -u -U path -s addr -p port
                                        -w connect timeout -i idle timeout
                                        -k keep open -e exec -c sh-exec
                                        -C crlf -o output file -v
                send, recv, broadcast   -4 -6 (recv) -s source -v
                  (nc)                  -w idle timeout (recv)
                probe (nmap)            -u UDP -a all ports -q quiet -p ports
                tap (tcpdump)           -i interface -c count -w pcap file
                                        -n numeric -q brief -t…-ttttt time
                sockets (ss)            -t TCP -u UDP -x Unix -l listening
                                        -a all -n numeric -p processes -4 -6
              So -i is the idle timeout in connect and listen but the interface
              in tap; -c is --sh-exec in listen but the packet count in tap; -w
              is the connect timeout in connect, the idle timeout in recv (as
              nc's -w) and the pcap file in tap.

            FILES
              /etc/hosts, /etc/nsswitch.conf, /etc/resolv.conf
                                  name resolution, as for every program
              /etc/services       service names for ports
              /proc/net/tcp, /proc/net/unix, netlink sock_diag, /proc/PID/fd
                                  the kernel's sockets and who holds them

            PRIVILEGES
              Capturing (--tap, tap, demo's packets) needs CAP_NET_RAW: run as
              root, or once:
                sudo setcap cap_net_raw,cap_net_admin+ep "$(which sockscope)"
              Ports below 1024 need CAP_NET_BIND_SERVICE. Everything else runs
              as any user.

            EXAMPLES
              sockscope demo
              sockscope listen --upper 127.0.0.1 5599 &
              echo hi | sockscope connect 127.0.0.1 5599
              sockscope probe 127.0.0.1 1-1024
              sockscope resolve --reverse 127.0.0.1
              sudo sockscope tap 'tcp port 5599'
            """,
        version: version,
        subcommands: [
            ConnectCommand.self, ListenCommand.self, ForwardCommand.self, ProxyCommand.self, SendCommand.self, RecvCommand.self, BroadcastCommand.self,
            ProbeCommand.self, MergeCommand.self,
            ResolveCommand.self,
            TapCommand.self, SocketsCommand.self, DemoCommand.self,
        ]
    )
}
