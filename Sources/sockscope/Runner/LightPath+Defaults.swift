import ArgumentParser

// Commands and option groups with every option at its default, for the light path.
//
// swift-argument-parser keeps each option's value in its property wrapper, which holds
// only a definition until the parser decodes it; reading one then is a fatal error.
// So every stored option is set here, through the wrappers' setters — no reflection,
// no protocol-conformance scan. The defaults restate the declarations': the light-path
// agreement test (LightPathTests) compares each command built here, option by option,
// with what the parser builds for the same command line, so an option added to a
// command or group and not here, or a default that differs, fails it.

extension FamilyOptions {
    static var defaults: Self {
        var options = Self()
        options.ipv4Only = false
        options.ipv6Only = false
        return options
    }
}

extension OutputOptions {
    static var defaults: Self {
        var options = Self()
        options.json = false
        return options
    }
}

extension ColorOptions {
    static var defaults: Self {
        var options = Self()
        options.choice = .auto
        return options
    }
}

extension TransportOptions {
    static var defaults: Self {
        var options = Self()
        options.udp = false
        options.unixPath = nil
        return options
    }
}

extension SocketTuningOptions {
    static var defaults: Self {
        var options = Self()
        options.noDelay = false
        options.keepAlive = false
        options.keepAliveTime = nil
        options.linger = nil
        options.receiveBuffer = nil
        options.sendBuffer = nil
        options.ttl = nil
        return options
    }
}

extension TapOptions {
    static var defaults: Self {
        var options = Self()
        options.tap = false
        options.interface = nil
        options.payload = false
        options.pcapOut = nil
        options.followTimeWait = false
        return options
    }
}

extension FrameOptions {
    static var defaults: Self {
        var options = Self()
        options.format = nil
        options.maximumFrame = nil
        options.json = false
        options.raw = false
        return options
    }
}

extension TrafficOptions {
    static var defaults: Self {
        var options = Self()
        options.hexdump = false
        options.output = nil
        return options
    }
}

extension SessionOptions {
    static var defaults: Self {
        var options = Self()
        options.idleTimeout = nil
        options.noHalfClose = false
        options.sendOnly = false
        options.receiveOnly = false
        options.keepSending = false
        options.crlf = false
        options.verbose = false
        return options
    }
}

extension DatagramOutputOptions {
    static var defaults: Self {
        var options = Self()
        options.hexdump = false
        options.raw = false
        options.jsonOutput = .defaults
        return options
    }
}

extension ResolveCommand {
    /// `resolve NAME [SERVICE]`.
    static func plain(name: String, service: String?) -> Self {
        var command = Self()
        command.name = name
        command.service = service
        command.family = .defaults
        command.socketType = nil
        command.passive = false
        command.numericHost = false
        command.numericService = false
        command.addressConfig = false
        command.v4Mapped = false
        command.all = false
        command.legacy = false
        command.fqdn = false
        command.reverse = nil
        command.nameRequired = false
        command.serviceName = nil
        command.servicePort = nil
        command.jsonOutput = .defaults
        command.color = .defaults
        return command
    }
}

extension ProbeCommand {
    /// `probe [-q] TARGETS PORTS`.
    static func plain(targets: String, ports: String, quiet: Bool) -> Self {
        var command = Self()
        command.targets = targets
        command.ports = ports
        command.udp = false
        command.family = .defaults
        command.allAddresses = false
        command.parallel = nil
        command.retries = 1
        command.rate = nil
        command.timeout = nil
        command.graceful = false
        command.payload = nil
        command.all = false
        command.jsonOutput = .defaults
        command.quiet = quiet
        command.tap = .defaults
        command.color = .defaults
        return command
    }
}

extension ConnectCommand {
    /// `connect HOST PORT` (or `connect HOST:PORT`).
    static func plain(host: String, port: String?) -> Self {
        var command = Self()
        command.host = host
        command.port = port
        command.transport = .defaults
        command.family = .defaults
        command.sourceAddress = nil
        command.sourcePort = nil
        command.timeout = nil
        command.tuning = .defaults
        command.tap = .defaults
        command.frame = .defaults
        command.traffic = .defaults
        command.session = .defaults
        command.output = .defaults
        return command
    }
}

extension ListenCommand {
    /// `listen [ADDR] PORT`.
    static func plain(first: String, second: String?) -> Self {
        var command = Self()
        command.first = first
        command.second = second
        command.transport = .defaults
        command.family = .defaults
        command.backlog = 128
        command.noReuseAddress = false
        command.keepOpen = false
        command.echo = false
        command.upper = false
        command.broker = false
        command.chat = false
        command.exec = nil
        command.shellExec = nil
        command.mergeStderr = false
        command.maxClients = nil
        command.allow = []
        command.deny = []
        command.acceptTimeout = nil
        command.allowFile = nil
        command.denyFile = nil
        command.setDefaultGroups()
        return command
    }

    private mutating func setDefaultGroups() {
        tuning = .defaults
        tap = .defaults
        frame = .defaults
        traffic = .defaults
        session = .defaults
        output = .defaults
    }
}

extension SendCommand {
    /// `send HOST PORT [MESSAGE]`.
    static func plain(host: String, port: String, message: String?) -> Self {
        var command = Self()
        command.host = host
        command.port = port
        command.message = message
        command.lines = false
        command.size = nil
        command.connect = false
        command.wait = nil
        command.count = nil
        command.family = .defaults
        command.source = nil
        command.ttl = nil
        command.group = nil
        command.loop = false
        command.interface = nil
        command.output = .defaults
        command.verbose = false
        command.color = .defaults
        return command
    }
}
