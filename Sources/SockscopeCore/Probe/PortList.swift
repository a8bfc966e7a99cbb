import Glibc

/// The ports of a probe, parsed from `22`, `20-25`, `22,80,8000-8100`, `-` (all),
/// or service names (`ssh,http`), sorted and without repeats.
package struct PortList: Sendable, Hashable {
    package private(set) var ports: [UInt16]

    package init(_ ports: [UInt16]) {
        self.ports = Array(Set(ports)).sorted()
    }

    /// Parses a port specification.
    /// - Throws: `SockscopeError` (usage, 64) naming the bad item: 0, over 65535,
    ///   a reversed range, an unknown service, an empty item.
    package init(parsing text: String, protocolName: String = "tcp") throws(SockscopeError) {
        if text == "-" {
            self.init(Array(1...65535))
            return
        }
        var ports: [UInt16] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = String(item)
            if item.isEmpty { throw .usage("bad port list '\(text)': empty item") }
            if let dash = item.firstIndex(of: "-"), item.first?.isNumber == true {
                let low = try Self.port(String(item[..<dash]), in: text)
                let high = try Self.port(String(item[item.index(after: dash)...]), in: text)
                guard low <= high else {
                    throw .usage("bad port range '\(item)': it runs backwards (write \(high)-\(low))")
                }
                ports.append(contentsOf: low...high)
            } else if Int(item) != nil {
                ports.append(try Self.port(item, in: text))
            } else {
                ports.append(try PortNumber.parse(item, allowZero: false, protocolName: protocolName))
            }
        }
        self.init(ports)
    }

    private static func port(_ text: String, in list: String) throws(SockscopeError) -> UInt16 {
        guard let number = Int(text) else { throw .usage("bad port '\(text)' in '\(list)': not a number") }
        guard number >= 1 && number <= 65535 else {
            throw .usage("bad port '\(text)' in '\(list)': ports run from 1 to 65535")
        }
        return UInt16(number)
    }

    /// The service name the services database gives a port (`22/tcp` → `ssh`), if any.
    package static func serviceName(_ port: UInt16, protocolName: String) -> String? {
        ServiceNames.name(of: port, protocolName: protocolName)
    }
}
