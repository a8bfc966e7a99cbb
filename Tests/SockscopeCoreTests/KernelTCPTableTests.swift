import SockscopeCore
import Testing

@Suite("Kernel TCP table")
struct KernelTCPTableTests {
    static let sample = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 5337 1 0000000000000000 100 0 0 10 0
           1: 0100007F:9386 0100007F:1F90 06 00000000:00000000 03:00001765 00000000     0        0 0 3 0000000000000000
           2: 0100007F:1F90 0100007F:9387 08 00000000:00000001 00:00000000 00000000     0        0 5339 1 0000000000000000 20 4 28 10 -1
        """

    @Test("parses addresses, states, queues and the TIME-WAIT timer of /proc/net/tcp")
    func parse() throws {
        let rows = KernelTCPTable.parse(Self.sample, family: .inet)
        #expect(rows.count == 3)
        #expect(rows[0].local == .ipv4(.loopback, port: 8080))
        #expect(rows[0].state == .listen)
        #expect(rows[0].receiveQueue == 3)
        #expect(rows[1].state == .timeWait)
        #expect(rows[1].remote == .ipv4(.loopback, port: 8080))
        #expect(rows[1].local.port == 0x9386)
        let left = try #require(rows[1].timeWaitLeft)
        #expect(left == .milliseconds(0x1765 * 10))  // USER_HZ 100
        #expect(rows[2].state == .closeWait)
    }

    @Test("parses /proc/net/tcp6 addresses")
    func parseIPv6() {
        let text = """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0
            """
        let rows = KernelTCPTable.parse(text, family: .inet6)
        #expect(rows.first?.local == .ipv6(.loopback, port: 8080))
    }

    @Test("garbage lines are skipped, not trapped on")
    func garbage() {
        #expect(KernelTCPTable.parse("header\nnot a socket line\n 0: zz:zz", family: .inet).isEmpty)
    }

    @Test("RFC 9293 state names")
    func names() {
        #expect(TCPState.synSent.name == "SYN-SENT")
        #expect(TCPState.timeWait.name == "TIME-WAIT")
        #expect(TCPState.finWait2.name == "FIN-WAIT-2")
        #expect(TCPState(rawValue: 6) == .timeWait)
    }
}

@Suite("Kernel Unix socket table")
struct KernelUnixTableTests {
    @Test("bound paths are read from /proc/net/unix, spaces and all; abstract and unbound sockets are not paths")
    func parse() {
        let text = """
            Num       RefCount Protocol Flags    Type St Inode Path
            0000000000000000: 00000002 00000000 00010000 0001 01 1234 /run/app.sock
            0000000000000000: 00000002 00000000 00010000 0001 01 1235 /tmp/with space.sock
            0000000000000000: 00000002 00000000 00000000 0002 01 1236 @abstract
            0000000000000000: 00000003 00000000 00000000 0001 03 1237
            """
        #expect(KernelUnixTable.parseBoundPaths(text) == ["/run/app.sock", "/tmp/with space.sock"])
    }
}
