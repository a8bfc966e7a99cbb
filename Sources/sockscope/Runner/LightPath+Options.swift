/// The options the light path takes besides plain words (`LightPath.options`), set in
/// the request of whichever command has them.
extension LightPath.Invocation {
    /// `-4` (true) or `-6` (false), in whichever request has the family options.
    mutating func family(ipv4: Bool) {
        func set(_ family: inout FamilyOptions.Values) {
            if ipv4 { family.ipv4Only = true } else { family.ipv6Only = true }
        }
        switch self {
        case .version: break
        case .resolve(var request):
            set(&request.family)
            self = .resolve(request)
        case .probe(var request):
            set(&request.family)
            self = .probe(request)
        case .connect(var request):
            set(&request.family)
            self = .connect(request)
        case .listen(var request):
            set(&request.family)
            self = .listen(request)
        case .send(var request):
            set(&request.family)
            self = .send(request)
        }
    }

    /// `--json`, in whichever request has it.
    mutating func setJSON() {
        switch self {
        case .resolve(var request):
            request.jsonOutput.json = true
            self = .resolve(request)
        case .probe(var request):
            request.jsonOutput.json = true
            self = .probe(request)
        case .connect(var request):
            request.output.json = true
            self = .connect(request)
        case .listen(var request):
            request.output.json = true
            self = .listen(request)
        case .version, .send: break
        }
    }

    /// `-u`.
    mutating func setUDP() {
        switch self {
        case .probe(var request):
            request.udp = true
            self = .probe(request)
        case .connect(var request):
            request.transport.udp = true
            self = .connect(request)
        case .listen(var request):
            request.transport.udp = true
            self = .listen(request)
        case .version, .resolve, .send: break
        }
    }

    /// `-v`.
    mutating func setVerbose() {
        switch self {
        case .connect(var request):
            request.session.verbose = true
            self = .connect(request)
        case .listen(var request):
            request.session.verbose = true
            self = .listen(request)
        case .send(var request):
            request.verbose = true
            self = .send(request)
        case .version, .resolve, .probe: break
        }
    }

    /// `connect -w SECS`.
    mutating func setTimeout(_ seconds: Seconds) {
        guard case .connect(var request) = self else { return }
        request.setup.timeout = seconds
        self = .connect(request)
    }
}
