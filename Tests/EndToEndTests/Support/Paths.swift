import Glibc

/// Where the things under test live.
enum Paths {
    /// The package root, found from this file's location.
    static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)  // Tests/EndToEndTests/Support/Paths.swift
        return parts.joined(separator: "/")
    }()

    /// The built `sockscope` binary: `SOCKSCOPE_BIN` (set by `make test`), else the debug build.
    static let sockscope: String = {
        if let value = getenv("SOCKSCOPE_BIN") { return String(cString: value) }
        return packageRoot + "/.build/debug/sockscope"
    }()

    /// The Python peer programs.
    static func peer(_ name: String) -> String { packageRoot + "/Tests/Peers/" + name }

    /// The first of `candidates` that exists and is executable.
    static func tool(_ candidates: String...) -> String {
        candidates.first { access($0, X_OK) == 0 } ?? candidates[0]
    }

    static let python = tool("/usr/bin/python3", "/usr/local/bin/python3", "/root/.pyenv/shims/python3")
    static let nc = tool("/usr/bin/nc", "/bin/nc")
    static let socat = tool("/usr/bin/socat")
    static let ip = tool("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip")
    static let nft = tool("/usr/sbin/nft", "/sbin/nft")
    static let ss = tool("/usr/bin/ss", "/bin/ss")
    static let unshare = tool("/usr/bin/unshare")
    static let capsh = tool("/usr/sbin/capsh", "/sbin/capsh")
    static let sha256sum = tool("/usr/bin/sha256sum")
    static let tcpdump = tool("/usr/bin/tcpdump", "/usr/sbin/tcpdump")
    static let sh = "/bin/sh"
    static let curl = tool("/usr/bin/curl")
    static let openssl = tool("/usr/bin/openssl")
    static let tshark = tool("/usr/bin/tshark")
    static let capinfos = tool("/usr/bin/capinfos")
    static let editcap = tool("/usr/bin/editcap")
    static let ncat = tool("/usr/bin/ncat")
    static let danted = tool("/usr/sbin/danted")
    static let tinyproxy = tool("/usr/bin/tinyproxy")
    static let xmllint = tool("/usr/bin/xmllint")
    static let rsvgConvert = tool("/usr/bin/rsvg-convert")

    static var isRoot: Bool { geteuid() == 0 }

    /// The UDP daemons probe -u's service requests are tested against, and nmap -sU.
    static var daemonsForUDP: Bool {
        let paths: [String] = ["/usr/sbin/dnsmasq", "/usr/sbin/chronyd", "/usr/sbin/snmpd", "/usr/bin/memcached", "/usr/bin/nmap"]
        return paths.allSatisfy { access($0, X_OK) == 0 }
    }

    /// Slurm's controller, node daemon, munge and sbatch (slurm-wlm and munge).
    static var slurm: Bool {
        let paths: [String] = ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch"]
        return paths.allSatisfy { access($0, X_OK) == 0 }
    }
}
