import Glibc
import SystemPackage

/// Where a `ForwardServer` sends each client.
package enum ForwardRoute: Sendable {
    /// Every client to this target (`forward`).
    case fixed(SocketAddress)
    /// Wherever the client asks, as a SOCKS 5/4 or HTTP CONNECT proxy (`sockscope proxy`).
    case proxy(ProxyServerPolicy)
    /// Every client to `destination`, each through its own tunnel from the proxy at
    /// `address` (`forward --proxy`).
    case throughProxy(address: SocketAddress, proxy: ProxyURL, destination: ProxyDestination)
}

/// What `sockscope proxy` lets its clients do.
package struct ProxyServerPolicy: Sendable {
    /// The user and password clients must give; nil for none.
    package var credentials: (user: String, password: String)?
    /// The destinations allowed (--allow-target); empty allows any. A name is resolved
    /// first and its address checked.
    package var targets: AccessControl
    /// How long a client may take to say where it wants to go.
    package var requestTimeout: Duration = .seconds(10)
    /// The family destinations must be of (-4, -6, as ncat's proxy): one of the other is
    /// refused (HTTP 504, SOCKS5 reply 8); a name's addresses of this family are used.
    package var family: AddressFamily?
    /// The nonces of the Digest challenges offered beside Basic (with credentials only).
    package let nonces = DigestNonces()

    package init(credentials: (user: String, password: String)?, targets: AccessControl) {
        self.credentials = credentials
        self.targets = targets
    }
}

/// A proxy client that has not yet said where it wants to go.
final class ProxyNegotiation {
    let client: Listener.Client
    let session: ProxyServerSession
    var timer: EventLoop.Timer?
    /// Where the request is read and the answers written: the socket, or the TLS
    /// session over it (`proxy --tls`).
    let endpoint: RelayEndpoint

    init(client: Listener.Client, session: ProxyServerSession) {
        self.client = client
        self.session = session
        endpoint = client.tls.map { .tls($0) } ?? .socket(client.socket)
    }
}

extension ForwardServer {
    /// Reads the new proxy client's request on the event loop (bounded by the policy's
    /// timeout), answering the SOCKS 5 method and auth steps on the way.
    func negotiate(_ client: Listener.Client, policy: ProxyServerPolicy, loop: EventLoop) throws(SockscopeError) {
        let negotiation = ProxyNegotiation(client: client, session: ProxyServerSession(credentials: policy.credentials, nonces: policy.nonces))
        let fd = client.socket.descriptor
        negotiations[fd] = negotiation
        negotiation.timer = loop.schedule(at: .now + policy.requestTimeout) { [self, unowned loop] () throws(SockscopeError) in
            guard let negotiation = negotiations[fd] else { return }
            negotiation.timer = nil
            refuse(negotiation, "no whole request within \(Int(policy.requestTimeout.components.seconds)) s", answer: [], loop: loop)
        }
        try loop.register(fd, .readable) { [self, unowned loop] _ throws(SockscopeError) in
            guard let negotiation = negotiations[fd] else { return }
            try read(negotiation, policy: policy, loop: loop)
        }
        // A TLS client's request may have come with its handshake (a resumed session's
        // does): already read off the socket, so no readiness will announce it.
        if negotiation.endpoint.hasBufferedInput { try read(negotiation, policy: policy, loop: loop) }
    }

    private func read(_ negotiation: ProxyNegotiation, policy: ProxyServerPolicy, loop: EventLoop) throws(SockscopeError) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let endpoint = negotiation.endpoint
        let result = buffer.withUnsafeMutableBytes { bytes in Result { () throws(SocketCallError) in try endpoint.read(into: bytes) } }
        guard case .success(let got) = result, let count = got else {
            if case .failure = result { refuse(negotiation, "the client failed before its request", answer: [], loop: loop) }
            return
        }
        guard count > 0 else {
            refuse(negotiation, "the client closed before its request was whole", answer: [], loop: loop)
            return
        }
        let request = negotiation.session.receive(buffer.prefix(count))
        _ = try? negotiation.session.flush { raw throws(SocketCallError) in try endpoint.write(raw) }
        _ = try? endpoint.flushPending()
        switch request {
        case nil:
            // TLS may hold more of the request already read off the socket: no readiness will say so.
            if endpoint.hasBufferedInput { try self.read(negotiation, policy: policy, loop: loop) }
            return
        case .refused(let reason, let answer): refuse(negotiation, reason, answer: answer, loop: loop)
        case .connect(let destination): try open(negotiation, to: destination, policy: policy, loop: loop)
        }
    }

    /// Resolves the destination (a name off the loop: `BackgroundResolver`, within -w),
    /// checks --allow-target, and starts the connection; the reply waits for the target's
    /// answer.
    private func open(_ negotiation: ProxyNegotiation, to destination: ProxyDestination, policy: ProxyServerPolicy, loop: EventLoop) throws(SockscopeError) {
        switch destination {
        case .address(let ip, let port):
            try open(negotiation, to: destination, at: SocketAddress(ip, port: port), policy: policy, deadline: .now + setupTimeout, loop: loop)
        case .name(let name, let port):
            try resolve(negotiation, name: name, port: port, destination: destination, policy: policy, loop: loop)
        }
    }

    /// Looks the name up on a worker while the loop serves everyone else. The client is
    /// not read meanwhile; -w bounds the lookup and the connect together (SOCKS5 reply 6,
    /// HTTP 504 when it runs out).
    private func resolve(
        _ negotiation: ProxyNegotiation, name: String, port: UInt16, destination: ProxyDestination, policy: ProxyServerPolicy, loop: EventLoop
    ) throws(SockscopeError) {
        if let timer = negotiation.timer { loop.cancel(timer) }
        try loop.update(negotiation.client.socket.descriptor, [])
        if resolver == nil { resolver = try BackgroundResolver(loop: loop) }
        guard let resolver else { return }
        let deadline = ContinuousClock.now + setupTimeout
        let fd = negotiation.client.socket.descriptor
        let lookup = resolver.resolve(name, port: port) { [self, unowned loop] answer throws(SockscopeError) in
            guard negotiations[fd] === negotiation else { return }
            if let timer = negotiation.timer { loop.cancel(timer) }
            let usable = { (address: SocketAddress) in policy.family == nil || address.family == policy.family }
            guard case .success(let addresses) = answer, let address = addresses.first(where: usable) else {
                let answer = negotiation.session.reply(.failed(.noRouteToHost))
                refuse(negotiation, "no address for '\(name)'", answer: answer, destination: destination, loop: loop)
                return
            }
            try open(negotiation, to: destination, at: address, policy: policy, deadline: deadline, loop: loop)
        }
        negotiation.timer = loop.schedule(at: deadline) { [self, unowned loop] () throws(SockscopeError) in
            guard negotiations[fd] === negotiation else { return }
            negotiation.timer = nil
            resolver.cancel(lookup)
            let waited = SockscopeError.seconds(setupTimeout)
            let answer = negotiation.session.reply(.failed(.timedOut))
            refuse(negotiation, "no answer for the name '\(name)' within \(waited) (-w)", answer: answer, destination: destination, loop: loop)
        }
    }

    private func open(
        _ negotiation: ProxyNegotiation, to destination: ProxyDestination, at address: SocketAddress, policy: ProxyServerPolicy,
        deadline: ContinuousClock.Instant, loop: EventLoop
    ) throws(SockscopeError) {
        if let family = policy.family, address.family != family {
            refuse(
                negotiation,
                "\(address) is not \(family == .inet ? "IPv4" : "IPv6"), and this proxy connects over \(family == .inet ? "IPv4 (-4)" : "IPv6 (-6)") only",
                answer: negotiation.session.reply(.failed(.addressFamilyNotSupported)), destination: destination, loop: loop)
            return
        }
        if policy.targets.isRestricted, policy.targets.refusal(for: address) != nil {
            refuse(
                negotiation, "\(address) is not an allowed target (--allow-target)", answer: negotiation.session.reply(.forbidden), destination: destination,
                loop: loop)
            return
        }
        let client = negotiation.client
        report(negotiation, destination: destination, refusal: nil)
        forget(negotiation, loop: loop)
        try connect(
            client.socket, tls: client.tls, id: client.number, peer: client.peer, to: address, tunnel: negotiation.session, setupDeadline: deadline, loop: loop)
    }

    private func refuse(_ negotiation: ProxyNegotiation, _ reason: String, answer: [UInt8], destination: ProxyDestination? = nil, loop: EventLoop) {
        report(negotiation, destination: destination, refusal: reason)
        send(answer, to: negotiation.endpoint)
        forget(negotiation, loop: loop)
        lingering.close(negotiation.client.socket, loop: loop)  // the client may still be writing its request
    }

    private func report(_ negotiation: ProxyNegotiation, destination: ProxyDestination?, refusal: String?) {
        let session = negotiation.session
        forwardEvents(
            .proxyRequest(
                client: negotiation.client.number, peer: negotiation.client.peer, dialect: session.kind, method: session.method, user: session.user,
                destination: destination.map { "\($0)" }, refusal: refusal))
    }

    private func forget(_ negotiation: ProxyNegotiation, loop: EventLoop) {
        if let timer = negotiation.timer { loop.cancel(timer) }
        negotiation.timer = nil
        loop.forget(negotiation.client.socket.descriptor)
        negotiations[negotiation.client.socket.descriptor] = nil
    }

    /// A short answer on a socket with room for it (a reply of a few bytes).
    private func send(_ bytes: [UInt8], to endpoint: RelayEndpoint) {
        guard !bytes.isEmpty else { return }
        _ = try? bytes.withUnsafeBytes { raw throws(SocketCallError) in try endpoint.write(raw) }
        _ = try? endpoint.flushPending()
    }
}
