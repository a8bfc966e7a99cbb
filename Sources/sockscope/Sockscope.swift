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

            EXIT STATUS
              0   success
              1   ran, but found nothing (no open port, reply, datagram, packet,
                  socket or name)
              64  usage error (bad option, port, address or path; a datagram too
                  large: EMSGSIZE)
              68  unknown host
              69  connection refused, host or network unreachable, address in use
              70  internal error
              72  capturing needs libpcap (package libpcap0.8): not installed
              73  cannot create an output file (-o, --pcap-out)
              74  I/O error (connection reset, failed read or write)
              75  timed out, or temporary failure
              77  missing privilege or permission (a port below 1024; broadcast
                  without SO_BROADCAST)
              129 stopped by SIGHUP (the terminal went away), likewise
              130 stopped by SIGINT (Ctrl-C), after writing out what had arrived;
                  tap too (tcpdump exits 0 there)
              143 stopped by SIGTERM, likewise

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
                probe (nmap)            -u UDP -a all ports -q quiet
                tap (tcpdump)           -i interface -c count -w pcap file
                sockets (ss)            -t TCP -u UDP -x Unix -l listening
                                        -p processes -4 -6
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
