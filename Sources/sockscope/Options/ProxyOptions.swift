import ArgumentParser
import SockscopeCore

/// Going through a proxy (`--proxy`, ncat's option names): SOCKS 4, 4a, 5 or HTTP CONNECT.
struct ProxyOptions: ParsableArguments {
    @Option(
        name: .customLong("proxy"),
        help: ArgumentHelp(
            "Connect through this proxy: socks5://[USER:PASS@]HOST[:PORT], socks4a://, socks4:// or http:// (CONNECT); HOST[:PORT] is HTTP unless --proxy-type says.",
            valueName: "url"))
    var proxy: String?

    @Option(
        name: .customLong("proxy-type"),
        help: ArgumentHelp("The proxy's protocol when --proxy has no scheme (ncat): socks4, socks4a, socks5, http.", valueName: "type"))
    var proxyType: ProxyURL.Kind?

    @Option(
        name: .customLong("proxy-auth"),
        help: ArgumentHelp(
            "The proxy's user and password (ncat), instead of putting them in the URL. HTTP: answers the proxy's 407 challenge, Digest before Basic.",
            valueName: "user:pass")
    )
    var proxyAuth: String?

    @Option(
        name: .customLong("proxy-dns"),
        help: ArgumentHelp("Where a target's name is resolved: remote (by the proxy, the default; SOCKS4 cannot) or local (here).", valueName: "where"))
    var proxyDNS: Resolution?

    enum Resolution: String, ExpressibleByArgument, CaseIterable, Sendable {
        case local, remote
    }

    func validate() throws {
        guard proxy == nil else { return try ValidationError.check { () throws(SockscopeError) in _ = try values.proxyURL() } }
        let stray = [("--proxy-type", proxyType != nil), ("--proxy-auth", proxyAuth != nil), ("--proxy-dns", proxyDNS != nil)].filter(\.1)
        if let first = stray.first { throw ValidationError("\(first.0) describes the proxy given with --proxy; there is none") }
    }
}

extension ProxyURL.Kind: ExpressibleByArgument {}

extension ProxyOptions.Values {
    /// The proxy, read from the options; nil without --proxy.
    func proxyURL() throws(SockscopeError) -> ProxyURL? {
        guard let url = self.proxy else { return nil }
        var proxy = try ProxyURL(parsing: url, kind: proxyType)
        if let auth = proxyAuth {
            guard proxy.username == nil else { throw .usage("give the proxy's user once: in the URL or with --proxy-auth") }
            let parts = auth.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            proxy.username = String(parts[0])
            proxy.password = parts.count > 1 ? String(parts[1]) : ""
            proxy.credentials = auth  // as given: HTTP Basic sends it so (ncat)
        }
        if proxy.kind == .socks4 && proxyDNS == .remote {
            throw .usage("SOCKS4 cannot resolve names at the proxy: use socks4a:// or socks5://, or --proxy-dns local")
        }
        return proxy
    }

    /// What the proxy is asked to connect to: an address as it is; a name sent for the
    /// proxy to resolve, unless --proxy-dns local (or SOCKS4) resolves it here.
    func destination(host: String, port: UInt16, proxy: ProxyURL, family: AddressFamily?) throws(SockscopeError) -> ProxyDestination {
        if let address = IPAddress(host) { return .address(address, port: port) }
        guard proxyDNS == .local || proxy.kind == .socks4 else { return .name(host, port: port) }
        let wanted = proxy.kind == .socks4 ? .inet : family
        guard let address = try HostResolver.resolve(host, port: port, family: wanted, type: .stream).first?.ipAddress else {
            throw .usage("no \(wanted == .inet ? "IPv4 " : "")address for '\(host)'")
        }
        return .address(address, port: port)
    }
}
