import SockscopeCore
import SystemPackage
import Testing

@Suite("errno names and user-facing errors")
struct ErrnoAndErrorTests {
    @Test(
        "errno values know their symbolic names and text",
        arguments: [
            (Errno.connectionRefused, "ECONNREFUSED", "Connection refused"),
            (Errno.timedOut, "ETIMEDOUT", "Connection timed out"),
            (Errno.noRouteToHost, "EHOSTUNREACH", "No route to host"),
            (Errno.addressInUse, "EADDRINUSE", "Address already in use"),
        ])
    func names(errno: Errno, name: String, text: String) {
        #expect(errno.symbolicName == name)
        #expect(errno.text == text)
        #expect(errno.nameAndText == "\(name) (\(text))")
    }

    @Test("an unknown errno still prints")
    func unknown() {
        #expect(Errno(rawValue: 9999).symbolicName == "E9999")
    }

    @Test(
        "socket failures map to the documented exit codes",
        arguments: [
            (SocketCall.connect, Errno.connectionRefused, SockscopeCore.ExitStatus.unavailable),
            (.connect, .timedOut, .timedOut),
            (.connect, .noRouteToHost, .unavailable),
            (.connect, .networkUnreachable, .unavailable),
            (.bind, .addressInUse, .unavailable),
            (.bind, .permissionDenied, .noPermission),
            (.recv, .connectionReset, .ioError),
            (.send, .brokenPipe, .ioError),
        ])
    func exitCodes(call: SocketCall, errno: Errno, status: SockscopeCore.ExitStatus) {
        let error = SockscopeError(SocketCallError(call, errno, address: .ipv4(.loopback, port: 8080)))
        #expect(error.status == status)
        #expect(error.description.contains(errno.symbolicName))
        #expect(!error.description.contains("\n"))
    }

    @Test("EADDRINUSE explains SO_REUSEADDR")
    func addressInUse() {
        let error = SockscopeError(SocketCallError(.bind, .addressInUse, address: .ipv4(.loopback, port: 1)))
        #expect(error.description.contains("SO_REUSEADDR") || error.description.contains("already listening"))
    }

    @Test("exit codes follow sysexits")
    func sysexits() {
        #expect(SockscopeCore.ExitStatus.usage.rawValue == 64)
        #expect(SockscopeCore.ExitStatus.unknownHost.rawValue == 68)
        #expect(SockscopeCore.ExitStatus.unavailable.rawValue == 69)
        #expect(SockscopeCore.ExitStatus.ioError.rawValue == 74)
        #expect(SockscopeCore.ExitStatus.timedOut.rawValue == 75)
        #expect(SockscopeCore.ExitStatus.noPermission.rawValue == 77)
    }
}
