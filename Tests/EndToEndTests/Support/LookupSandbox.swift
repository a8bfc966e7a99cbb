/// Runs a shell command in a mount namespace whose /etc/hosts, nsswitch.conf and
/// resolv.conf are the test's own (by default files only, DNS pointed at 127.0.0.1),
/// and with `netns` also in an empty network namespace — so no lookup can leave the
/// machine, and the real files are never edited.
func inLookupSandbox(
    _ command: String, netns: Bool,
    hosts: String = "127.0.0.1 localhost peer.test\n::1 localhost\n",
    nsswitch: String = "hosts: files\nservices: files\n",
    resolv: String = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    timeout: Duration = .seconds(30)
) async throws -> Outcome {
    let directory = try TemporaryDirectory.make()
    try writeFile(directory + "/hosts", Array(hosts.utf8))
    try writeFile(directory + "/nsswitch.conf", Array(nsswitch.utf8))
    try writeFile(directory + "/resolv.conf", Array(resolv.utf8))
    let script = """
        set -e
        mount --bind \(directory)/hosts /etc/hosts
        mount --bind \(directory)/nsswitch.conf /etc/nsswitch.conf
        mount --bind \(directory)/resolv.conf /etc/resolv.conf
        \(command)
        """
    return try await run(Paths.unshare, (netns ? ["--mount", "--net"] : ["--mount"]) + [Paths.sh, "-c", script], timeout: timeout)
}
