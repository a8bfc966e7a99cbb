// The records of resolve (schema: address, host, fqdn, reverse, service).

/// `address`: one getaddrinfo() answer.
struct AddressRecord: JSONRecord {
    static let type = "address"
    var name: String?
    var service: String?
    var family: String
    var socketType: String
    var `protocol`: String
    var address: String?
    var port: Int
    var canonname: String?
    var durationMs: Double
}

/// `host`: gethostbyname()'s answer.
struct HostRecord: JSONRecord {
    static let type = "host"
    var name: String
    var officialName: String
    var aliases: [String]
    var addresses: [String]
    var durationMs: Double
}

/// `fqdn`: this machine's host name and its fully qualified name.
struct FQDNRecord: JSONRecord {
    static let type = "fqdn"
    var hostname: String
    var fqdn: String
}

/// `reverse`: getnameinfo()'s name for an address (null when it gave the address back).
struct ReverseRecord: JSONRecord {
    static let type = "reverse"
    var address: String
    var name: String?
    var durationMs: Double
}

/// `service`: one entry of the services database.
struct ServiceRecord: JSONRecord {
    static let type = "service"
    var name: String
    var port: Int
    var `protocol`: String
    var aliases: [String]
}
