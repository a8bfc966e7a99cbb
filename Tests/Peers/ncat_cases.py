#!/usr/bin/env python3
"""The cases of ncat's own suite (nmap's ncat/test/ncat-test.pl) that sockscope can
express, in sockscope's words: listeners and clients started with pipes and driven as
that suite drives ncat (write to stdin, read stdout until it is quiet, see who is still
running), with Python sockets where the suite uses raw sockets.

    ncat_cases.py SOCKSCOPE --list         the cases, one per line ("named" ones resolve
                                           localhost: run them in a lookup sandbox)
    ncat_cases.py SOCKSCOPE CASE...        runs them one after another, printing `PASS CASE`
                                           or `FAIL CASE: why` for each; exit 0 when all pass

docs/ncat-cases.md maps every case of ncat-test.pl to one of these or says why it has
no sockscope equivalent. Every wait is bounded; every process started here is killed by
its PID at the end. Only loopback is used.
"""
import atexit, os, re, select, signal, socket, struct, subprocess, sys, tempfile, time

SOCKSCOPE = sys.argv[1]
CASES = {}  # name -> (function, named)
STARTED = []
TMP = ""  # the running case's own directory


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Proc:
    """A started program with piped stdin, stdout and stderr."""

    def __init__(self, args):
        self.args = args
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.set_blocking(self.p.stdout.fileno(), False)
        os.set_blocking(self.p.stderr.fileno(), False)
        self.err = b""
        STARTED.append(self)

    def write(self, data):
        try:
            os.write(self.p.stdin.fileno(), data)
        except (BrokenPipeError, ValueError):
            pass  # it has ended: what it would have read is simply not delivered

    def delaywrite(self, data):
        """A write, then a pause, so the program reads it separately (ncat's delaywrite)."""
        self.write(data)
        time.sleep(0.1)

    def close_stdin(self):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass

    def read(self, first=3.0, quiet=0.4):
        """What arrives on stdout: up to `first` s for the first bytes, then until it is
        quiet for `quiet` s. Returns (bytes, eof) — eof when stdout was closed."""
        data, deadline = b"", time.monotonic() + first
        while True:
            wait = quiet if data else deadline - time.monotonic()
            if wait <= 0 or not select.select([self.p.stdout], [], [], wait)[0]:
                return data, False
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return data, True
            data += chunk

    def stderr_text(self):
        try:
            while True:
                chunk = os.read(self.p.stderr.fileno(), 65536)
                if not chunk:
                    break
                self.err += chunk
        except BlockingIOError:
            pass
        return self.err.decode(errors="replace")

    def wait_stderr(self, marker, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.stderr_text()
            for line in text.splitlines():
                if marker in line:
                    return line
            if self.p.poll() is not None and marker not in self.stderr_text():
                break
            time.sleep(0.01)
        raise Failure("no '%s' from %s: %r" % (marker, " ".join(self.args), self.stderr_text()[-400:]))

    def exit_status(self, timeout=5.0):
        """Its exit status, or None when it is still running after `timeout` s."""
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def running_after(self, seconds):
        time.sleep(seconds)
        return self.p.poll() is None

    def terminate(self):
        self.p.send_signal(signal.SIGTERM)
        self.exit_status(5)


@atexit.register
def kill_started():
    for proc in STARTED:
        if proc.p.poll() is None:
            proc.p.kill()
            proc.p.wait()


def listen(args, where=("127.0.0.1", "0")):
    """`sockscope listen ARGS WHERE…`, once it listens; returns (process, port)."""
    server = Proc([SOCKSCOPE, "listen"] + list(args) + list(where))
    line = server.wait_stderr("listening on")
    match = re.search(r":(\d+)\b", line)
    return server, int(match.group(1)) if match else 0


def connect(args, host, port, settle=0.2):
    client = Proc([SOCKSCOPE, "connect"] + list(args) + [host, str(port)])
    time.sleep(settle)  # give it a moment to connect, as ncat's suite does
    return client


def udp(proto):
    """A listener's options for `proto`: "udp", or "dtls" (ncat's "udp ssl", which ncat
    itself cannot listen for) — DTLS with an ephemeral certificate."""
    return {"udp": ["-u"], "dtls": ["-u", "--tls"]}.get(proto, [])


def client_udp(proto):
    """A client's options for `proto`; a DTLS client takes the ephemeral certificate unverified."""
    return udp(proto) + (["--insecure"] if proto == "dtls" else [])


def proto_name(proto):
    """What SOCKSCOPE_PROTO says for `proto`."""
    return "udp" if proto == "dtls" else proto


def case(name, protos=(None,), named=False):
    def register(function):
        for proto in protos:
            full = name if proto is None else "%s-%s" % (name, proto)
            CASES[full] = ((lambda f, p: (lambda: f(p)) if p is not None else f)(function, proto), named)
        return function

    return register


def expect_data(proc, wanted, who):
    data, _ = proc.read()
    check(data == wanted, "%s got %r, not %r" % (who, data, wanted))


def expect_nothing(proc, who, first=1.0):
    data, _ = proc.read(first=first)
    check(not data, "%s got %r, expected nothing" % (who, data))


def expect_eof(proc, who):
    data, eof = proc.read(first=3.0)
    check(eof and not data, "%s's stdout did not end (got %r)" % (who, data))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Listening addresses and families ------------------------------------------------


def family_case(listen_args, client_args, host, served):
    """A listener on every address (of one family with -4/-6), a client of `host`."""
    server, port = listen(listen_args, where=["0"])
    client = connect(client_args, host, port)
    client.write(b"abc\n")
    client.close_stdin()
    if served:
        expect_data(server, b"abc\n", "the server, from %s" % host)
    else:
        expect_nothing(server, "a listener of the other family")


FAMILIES = {
    "listen-any-address-ipv4-client": ([], [], "127.0.0.1", True, False),
    "listen-any-address-ipv6-client": ([], [], "::1", True, False),
    "listen-4-any-address": (["-4"], [], "127.0.0.1", True, False),
    "listen-6-any-address": (["-6"], ["-6"], "::1", True, False),
    "udp-listen-4-ipv4-client": (["-u", "-4"], ["-u"], "127.0.0.1", True, False),
    "udp-listen-4-ignores-ipv6-client": (["-u", "-4"], ["-u"], "::1", False, False),
    "udp-listen-6-ipv6-client": (["-u", "-6"], ["-u"], "::1", True, False),
    "udp-listen-6-ignores-ipv4-client": (["-u", "-6"], ["-u"], "127.0.0.1", False, False),
    # In the lookup sandbox localhost is ::1 and 127.0.0.1: an IPv4-only server is
    # reached after ::1 refuses.
    "connect-falls-back-to-ipv4-server": (["-4"], [], "localhost", True, True),
    "connect-to-ipv6-server-by-name": (["-6"], [], "localhost", True, True),
}
for _name, (_listen, _client, _host, _served, _named) in FAMILIES.items():
    case(_name, named=_named)(lambda _=None, a=_listen, b=_client, h=_host, s=_served: family_case(a, b, h, s))


@case("udp-listen-any-address-both-families")
def _(_=None):
    server, port = listen(["-u"], where=["0"])
    for host in ("::1", "127.0.0.1"):
        client = connect(["-u"], host, port)
        client.write(b"abc\n")
        client.close_stdin()
        expect_data(server, b"abc\n", "the server, from %s" % host)


def listen_unix(args, path):
    """`sockscope listen -U PATH ARGS`, once its socket file exists (it announces no port)."""
    server = Proc([SOCKSCOPE, "listen", "-U", path] + args)
    deadline = time.monotonic() + 10
    while not os.path.exists(path):
        check(time.monotonic() < deadline and server.p.poll() is None, "no socket at %s: %r" % (path, server.stderr_text()))
        time.sleep(0.01)
    return server


@case("unix-stream")
def _(_=None):
    path = os.path.join(TMP, "stream.sock")
    server = listen_unix([], path)
    client = Proc([SOCKSCOPE, "connect", "-U", path])
    client.write(b"abc\n")
    client.close_stdin()
    expect_data(server, b"abc\n", "the Unix stream server")


@case("unix-datagram")
def _(_=None):
    path = os.path.join(TMP, "dgram.sock")
    server = listen_unix(["-u"], path)
    client = Proc([SOCKSCOPE, "connect", "-U", path, "-u"])
    client.write(b"abc\n")
    client.close_stdin()
    expect_data(server, b"abc\n", "the Unix datagram server")


# Exit statuses -------------------------------------------------------------------


def send_only_exit(watched):
    """A --send-only client sends a line and ends: the `watched` end exits with 0. The
    server's stdin stays open, so it is told to end at the client's FIN as ncat -l does
    (--stop-at-peer-close); by default it would go on sending its stdin."""
    server, port = listen(["--stop-at-peer-close"] if watched == "server" else [])
    client = connect(["--send-only"], "127.0.0.1", port)
    client.write(b"abc\n")
    client.close_stdin()
    status = (client if watched == "client" else server).exit_status()
    check(status == 0, "the %s's exit status was %r, not 0" % (watched, status))


case("exit-connect-success")(lambda _=None: send_only_exit("client"))
case("exit-listen-success")(lambda _=None: send_only_exit("server"))


@case("exit-connect-refused")
def _(_=None):
    client = connect(["--send-only"], "127.0.0.1", free_port())
    client.write(b"abc\n")
    client.close_stdin()
    status = client.exit_status()
    check(status == 69, "exit status %r, not 69 (refused): %s" % (status, client.stderr_text()))
    check("ECONNREFUSED" in client.stderr_text(), "no ECONNREFUSED in %r" % client.stderr_text())


@case("exit-connect-reset")
def _(_=None):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)
        client = connect([], "127.0.0.1", listener.getsockname()[1], settle=0)
        accepted, _ = listener.accept()
        accepted.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        accepted.close()  # RST
    status = client.exit_status()
    check(status == 74, "exit status %r, not 74 (reset): %s" % (status, client.stderr_text()))
    check("ECONNRESET" in client.stderr_text(), "no ECONNRESET in %r" % client.stderr_text())


@case("exit-listen-reset")
def _(_=None):
    server, port = listen(["-4"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    status = server.exit_status()
    check(status == 74, "exit status %r, not 74 (reset): %s" % (status, server.stderr_text()))


@case("exit-usage-error")
def _(_=None):
    for args in (["connect", "127.0.0.1", "9", "--baffle"], ["listen", "--baffle"]):
        proc = Proc([SOCKSCOPE] + args)
        status = proc.exit_status()
        check(status == 64, "%s: exit status %r, not 64" % (" ".join(args), status))


# Logs and diagnostics ------------------------------------------------------------


@case("output-file-both-ends", protos=("tcp", "udp", "dtls"))
def _(proto):
    server_log, client_log = os.path.join(TMP, "server.log"), os.path.join(TMP, "client.log")
    server, port = listen(udp(proto) + ["-o", server_log])
    client = connect(client_udp(proto) + ["-o", client_log], "127.0.0.1", port)
    client.write(b"abc\n")
    expect_data(server, b"abc\n", "the server")
    server.write(b"def\n")
    expect_data(client, b"def\n", "the client")
    client.close_stdin()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        logs = [open(path, "rb").read() for path in (server_log, client_log)]
        if logs == [b"abc\ndef\n"] * 2:
            return
        time.sleep(0.1)
    raise Failure("the logs hold %r" % logs)


@case("verbose-goes-to-stderr")
def _(_=None):
    server, port = listen(["-v"])
    client = connect(["-v"], "127.0.0.1", port)
    client.write(b"abc\n")
    expect_data(server, b"abc\n", "the server's stdout")
    server.write(b"abc\n")
    expect_data(client, b"abc\n", "the client's stdout")
    check("connect(" in client.stderr_text(), "-v narrated nothing on stderr: %r" % client.stderr_text())


# How sessions end ----------------------------------------------------------------


def ending_case(server_args, client_args, writer, watched, keeps_running):
    """The `writer` ("client" or "server") sends a line and ends its stdin; the other end
    must print the line and see its stdout end. Then the `watched` end must still be
    running a second later, or must have ended (exit 0). When the writer keeps running it
    has only half-closed: the other end's reply must still reach it."""
    server, port = listen(server_args)
    client = connect(client_args, "127.0.0.1", port)
    ends = {"server": server, "client": client}
    reader = "server" if writer == "client" else "client"
    ends[writer].write(b"abc\n")
    expect_data(ends[reader], b"abc\n", "the " + reader)
    ends[writer].close_stdin()
    expect_eof(ends[reader], "the " + reader)
    if not keeps_running:
        status = ends[watched].exit_status(3)
        check(status == 0, "the %s did not end with 0 (status %r)" % (watched, status))
    elif watched == writer:
        check(ends[writer].running_after(1), "the %s stopped after its own stdin ended" % writer)
        ends[reader].write(b"def\n")
        expect_data(ends[writer], b"def\n", "the half-closed " + writer)
    else:
        check(ends[watched].running_after(1), "the %s stopped at the peer's FIN with its stdin open" % watched)


ENDINGS = {
    # ncat's "client closes socket write and keeps running after stdin EOF" (an XFAIL
    # there): a peer's FIN ends only its direction, so the server keeps sending.
    "client-half-closes-and-keeps-reading": ([], [], "client", "client", True),
    "send-only-client-stops-after-stdin": ([], ["--send-only"], "client", "client", False),
    "server-half-closes-and-keeps-reading": ([], [], "server", "server", True),
    "send-only-server-stops-after-stdin": (["--send-only"], [], "server", "server", False),
    # At the peer's FIN sockscope keeps sending unless --stop-at-peer-close: both are checked.
    "client-closes-stdout-at-peer-eof-and-stops": ([], ["--stop-at-peer-close"], "server", "client", False),
    "client-closes-stdout-at-peer-eof-keep-sending": ([], [], "server", "client", True),
    "recv-only-client-stops-at-peer-eof": ([], ["--recv-only"], "server", "client", False),
    "server-closes-stdout-at-peer-eof-and-stops": (["--stop-at-peer-close"], [], "client", "server", False),
    # ncat's "server closes stdout and keeps running after socket EOF" (an XFAIL there).
    "server-closes-stdout-at-peer-eof-keep-sending": ([], [], "client", "server", True),
    "recv-only-server-stops-at-peer-eof": (["--recv-only"], [], "client", "server", False),
}
for _name, _spec in ENDINGS.items():
    case(_name)(lambda _=None, spec=_spec: ending_case(*spec))


# One client, or many -------------------------------------------------------------


def quits_case(server_args, echoed):
    """Without --keep-open the server ends when its one client goes (SIGTERM). A plain
    server's stdin stays open: a FIN cannot tell a client that went from one that only
    finished sending, so it ends there as ncat -l does only with --stop-at-peer-close."""
    server, port = listen(server_args or ["--stop-at-peer-close"])
    client = connect([], "127.0.0.1", port)
    client.write(b"abc\n")
    expect_data(client if echoed else server, b"abc\n", "the client of cat" if echoed else "the server")
    client.terminate()
    check(server.exit_status(3) is not None, "the server still runs after its client went")


case("server-quits-without-keep-open")(lambda _=None: quits_case([], False))
case("exec-server-quits-without-keep-open")(lambda _=None: quits_case(["--exec", "/bin/cat"], True))


@case("second-client-refused-without-keep-open")
def _(_=None):
    server, port = listen([])
    first = connect([], "127.0.0.1", port, settle=0.5)
    second = connect([], "127.0.0.1", port)
    status = second.exit_status(3)
    check(status == 69, "the second client's status was %r, not 69 (refused)" % status)
    first.write(b"abc\n")
    expect_data(server, b"abc\n", "the server, from its one client")


@case("keep-open-serves-two-clients")
def _(_=None):
    server, port = listen(["--keep-open"])
    for number in (1, 2):
        client = connect([], "127.0.0.1", port)
        client.write(b"abc\n")
        expect_data(server, b"abc\n", "the server, from client %d" % number)


@case("keep-open-exec-serves-two-clients", protos=("tcp", "udp"))
def _(proto):
    server, port = listen(udp(proto) + ["--keep-open", "--exec", "/bin/cat"])
    for number in (1, 2):
        client = connect(client_udp(proto), "127.0.0.1", port)
        client.write(b"abc\n")
        expect_data(client, b"abc\n", "client %d of cat" % number)


# Programs as servers -------------------------------------------------------------

UPPER = "perl -e $|=1;while(<>){tr/a-z/A-Z/;print}"


def program_case(proto, server_args, sent, wanted):
    """A client of a program server sends `sent` and must get `wanted` back."""
    server, port = listen(udp(proto) + server_args)
    client = connect(client_udp(proto), "127.0.0.1", port)
    client.write(sent)
    expect_data(client, wanted, "the client")


PROGRAMS = {
    "exec-upper-case": (["--exec", UPPER], b"abc\n", b"ABC\n"),
    "sh-exec-upper-case": (["--sh-exec", "perl -e '$|=1;while(<>){tr/a-z/A-Z/;print}'"], b"abc\n", b"ABC\n"),
    "exec-program-exits-at-once": (["--exec", "/bin/echo abc"], b"test\n", b"abc\n"),
}
for _name, _spec in PROGRAMS.items():
    case(_name, protos=("tcp", "udp", "dtls"))(lambda proto, spec=_spec: program_case(proto, *spec))


def environment_case(proto, how, tls=False):
    script = os.path.join(TMP, "environment.sh")
    with open(script, "w") as out:
        out.write("env | grep '^SOCKSCOPE_' | sort\n")
    server, port = listen(udp(proto) + (["--tls"] if tls else []) + how(script))
    client = connect(client_udp(proto) + (["--tls", "--insecure"] if tls else []), "127.0.0.1", port)
    client.write(b"abc\n")
    text = client.read()[0].decode(errors="replace")
    variables = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    wanted = {"SOCKSCOPE_REMOTE_ADDR": "127.0.0.1", "SOCKSCOPE_LOCAL_ADDR": "127.0.0.1", "SOCKSCOPE_LOCAL_PORT": str(port), "SOCKSCOPE_PROTO": proto_name(proto)}
    for name, value in wanted.items():
        check(variables.get(name) == value, "%s=%r, not %r, in %r" % (name, variables.get(name), value, text))
    check(variables.get("SOCKSCOPE_REMOTE_PORT", "").isdigit(), "no SOCKSCOPE_REMOTE_PORT in %r" % text)


@case("exec-environment", protos=("tcp", "udp", "dtls"))
def _(proto):
    environment_case(proto, lambda script: ["--exec", "/bin/sh " + script])


@case("sh-exec-environment", protos=("tcp", "udp", "dtls"))
def _(proto):
    environment_case(proto, lambda script: ["--sh-exec", "sh " + script])


@case("exec-environment-tls")
def _(_=None):
    # Through the TLS bridge the program's socket is a socket pair: the addresses are the TCP connection's.
    environment_case("tcp", lambda script: ["--exec", "/bin/sh " + script], tls=True)


@case("sh-exec-environment-tls")
def _(_=None):
    environment_case("tcp", lambda script: ["--sh-exec", "sh " + script], tls=True)


@case("sh-exec-crlf", protos=("listen", "connect"))
def _(side):
    # ncat's "--sh-exec with -C": the program's line ends go out as CR LF (a relay between it and the peer).
    script = "printf 'one\\ntwo\\r\\nthree\\n'"
    if side == "listen":
        _, port = listen(["-C", "--sh-exec", script])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            got = b""
            while True:
                chunk = s.recv(100)
                if not chunk:
                    break
                got += chunk
    else:
        server, port = listen([])
        Proc([SOCKSCOPE, "connect", "-C", "--sh-exec", script, "127.0.0.1", str(port)])
        got = server.read()[0]
    check(got == b"one\r\ntwo\r\nthree\r\n", "the program's lines arrived as %r" % got)


@case("connect-exec-relay-reset-is-not-success")
def _(_=None):
    # sockscope's own: with -C a relay carries the program's output; a peer that resets
    # mid-stream is exit 74 (bytes were lost), not the 0 of a program that simply ended.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = Proc([SOCKSCOPE, "connect", "-C", "--sh-exec", "head -c 20000000 /dev/zero", "127.0.0.1", str(listener.getsockname()[1])])
        listener.settimeout(5)
        peer, _ = listener.accept()
        peer.recv(1000)
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.close()
    status = client.exit_status(10)
    check(status == 74, "exit %r after the peer reset the relayed stream, not 74: %r" % (status, client.stderr_text()[-300:]))


@case("connect-exec-environment", protos=("tcp", "udp", "dtls"))
def _(proto):
    # connect --sh-exec: the program's stdout is the connection; it learns both ends.
    server, port = listen(udp(proto))
    client = Proc([SOCKSCOPE, "connect"] + client_udp(proto) + ["--sh-exec", "env | grep ^SOCKSCOPE_ | sort", "127.0.0.1", str(port)])
    text = server.read()[0].decode(errors="replace")
    variables = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    wanted = {"SOCKSCOPE_REMOTE_ADDR": "127.0.0.1", "SOCKSCOPE_REMOTE_PORT": str(port), "SOCKSCOPE_LOCAL_ADDR": "127.0.0.1", "SOCKSCOPE_PROTO": proto_name(proto)}
    for name, value in wanted.items():
        check(variables.get(name) == value, "%s=%r, not %r, in %r" % (name, variables.get(name), value, text))
    check(client.exit_status(5) == 0, "connect --sh-exec did not end with 0 after its program")


@case("connect-exec-both-ways")
def _(_=None):
    # The program reads what the server sends and answers it: tr as a one-line filter.
    server, port = listen([])
    client = Proc([SOCKSCOPE, "connect", "-e", "/usr/bin/tr a-z A-Z", "127.0.0.1", str(port)])
    time.sleep(0.3)
    server.write(b"abc\n")
    server.close_stdin()
    expect_data(server, b"ABC\n", "the server")
    check(client.exit_status(5) == 0, "connect -e did not end with 0")


@case("connect-exec-through-proxy")
def _(_=None):
    # ncat's "--exec through proxy": the program talks through the tunnel.
    _, proxy_port = proxy_server()
    server, port = listen([])
    Proc([SOCKSCOPE, "connect", "--proxy", "127.0.0.1:%d" % proxy_port, "--sh-exec", "echo through the tunnel", "127.0.0.1", str(port)])
    expect_data(server, b"through the tunnel\n", "the server")


@case("connect-exec-tls")
def _(_=None):
    server, port = listen(["--tls"])
    client = Proc([SOCKSCOPE, "connect", "--tls", "--insecure", "--sh-exec", "echo over tls; exit 3", "127.0.0.1", str(port)])
    expect_data(server, b"over tls\n", "the server")
    check(client.exit_status(5) == 0, "connect --sh-exec ends with 0 as ncat's does, whatever the program's status")
    check("exited with status 3" in client.stderr_text(), "the program's status not said: %r" % client.stderr_text()[-300:])


@case("tls-listener-ends-after-failed-handshake")
def _(_=None):
    # ncat -l --ssl ends when its one client's handshake fails; so does listen --tls without -k.
    server, port = listen(["--tls"])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as plain:
        plain.sendall(b"plain text, not a ClientHello\r\n\r\n")
        try:
            plain.recv(100)
        except OSError:
            pass
    status = server.exit_status(5)
    check(status is not None and status != 0, "the listener went on (or ended with 0) after its one client's failed handshake: %r" % status)
    check("failed" in server.stderr_text(), "no word of the failed handshake: %r" % server.stderr_text()[-300:])


# Line endings ----------------------------------------------------------------------

MIXED = [b"\na\nb\n", b"---", b"\r\nc\r\nd\r\n", b"---", b"e\n\nf\n", b"---\r", b"\n"]
MIXED_AS_CRLF = b"\r\na\r\nb\r\n---\r\nc\r\nd\r\n---e\r\n\r\nf\r\n---\r\n"


@case("crlf-on-what-is-sent", protos=("tcp", "udp", "dtls"))
def _(proto):
    server, port = listen(udp(proto) + ["-C"])
    client = connect(client_udp(proto) + ["-C"], "127.0.0.1", port)
    for chunk in MIXED:
        client.delaywrite(chunk)
    expect_data(server, MIXED_AS_CRLF, "the server")
    for chunk in MIXED:
        server.delaywrite(chunk)
    expect_data(client, MIXED_AS_CRLF, "the client")


@case("crlf-server-leaves-what-it-receives", protos=("tcp", "udp", "dtls"))
def _(proto):
    server, port = listen(udp(proto) + ["-C"])
    client = connect(client_udp(proto), "127.0.0.1", port)
    for chunk in MIXED[:3]:
        client.delaywrite(chunk)
    expect_data(server, b"".join(MIXED[:3]), "the server")


@case("crlf-client-leaves-what-it-receives")
def _(_=None):
    server, port = listen([])
    client = connect(["-C"], "127.0.0.1", port)
    for chunk in MIXED[:3]:
        server.delaywrite(chunk)
    expect_data(client, b"".join(MIXED[:3]), "the client")


# Idle timeouts: reads and writes both count as activity -----------------------------


def idle_case(proto, idle_side):
    server, port = listen(udp(proto) + (["-i", "3"] if idle_side == "server" else []))
    client = connect(client_udp(proto) + (["-i", "3"] if idle_side == "client" else []), "127.0.0.1", port)
    client.write(b"abc\n")  # a UDP server learns its peer from the first datagram
    expect_data(server, b"abc\n", "the server")
    time.sleep(2)
    server.write(b"abc\n")
    expect_data(client, b"abc\n", "the client, 2 s later")
    time.sleep(2)
    client.write(b"abc\n")
    expect_data(server, b"abc\n", "the server, 4 s later")
    time.sleep(4)
    timed_out = server if idle_side == "server" else client
    check(timed_out.exit_status(1) == 0, "the %s did not end (exit 0) after 4 s idle with -i 3" % idle_side)
    if idle_side == "client":
        server.write(b"abc\n")
        expect_nothing(client, "the timed-out client")
    else:
        client.write(b"abc\n")
        expect_nothing(server, "the timed-out server")


@case("idle-timeout-connect", protos=("tcp", "udp", "dtls"))
def _(proto):
    idle_case(proto, "client")


@case("idle-timeout-listen", protos=("tcp", "udp", "dtls"))
def _(proto):
    idle_case(proto, "server")


# One direction only -------------------------------------------------------------------


def direction_case(proto, server_args, client_args, server_prints, client_prints):
    """The client sends a line, then the server does: each end prints the other's line
    or, when it only sends, nothing."""
    server, port = listen(udp(proto) + server_args)
    client = connect(client_udp(proto) + client_args, "127.0.0.1", port)
    client.write(b"abc\n")  # a UDP server learns its peer from the first datagram
    (expect_data(server, b"abc\n", "the server") if server_prints else expect_nothing(server, "the server"))
    server.write(b"abc\n")
    (expect_data(client, b"abc\n", "the client") if client_prints else expect_nothing(client, "the client"))


DIRECTIONS = {
    "send-only-client": ([], ["--send-only"], True, False, ("tcp", "udp", "dtls")),
    "send-only-server": (["--send-only"], [], False, True, ("tcp", "udp", "dtls")),
    # Not over UDP: a client that never sends is unknown to a UDP server (as in ncat's suite).
    "recv-only-client": ([], ["--recv-only"], False, True, ("tcp",)),
    "recv-only-server": (["--recv-only"], [], True, False, ("tcp", "udp", "dtls")),
}
for _name, (_server, _client, _server_prints, _client_prints, _protos) in DIRECTIONS.items():
    case(_name, protos=_protos)(
        lambda proto, a=_server, b=_client, c=_server_prints, d=_client_prints: direction_case(proto, a, b, c, d))


@case("send-only-broker")
def _(_=None):
    server, port = listen(["--broker", "--send-only"])
    first = connect([], "127.0.0.1", port)
    second = connect([], "127.0.0.1", port, settle=0.5)
    server.write(b"abc\n")
    expect_data(first, b"abc\n", "client 1")
    expect_data(second, b"abc\n", "client 2")
    first.write(b"abc\n")
    expect_nothing(second, "client 2 of a --send-only broker")


# Brokers ----------------------------------------------------------------------------


@case("broker-crlf-on-stdin")
def _(_=None):
    # Not one of ncat's cases: -C converts what a broker sends from stdin, and leaves
    # what it relays between clients as it is.
    server, port = listen(["--broker", "-C"])
    first = connect([], "127.0.0.1", port)
    second = connect([], "127.0.0.1", port, settle=0.5)
    server.write(b"a\nb\n")
    expect_data(first, b"a\r\nb\r\n", "client 1, from the broker's stdin")
    expect_data(second, b"a\r\nb\r\n", "client 2, from the broker's stdin")
    first.write(b"c\n")
    expect_data(second, b"c\n", "client 2, relayed from client 1")


def broker_case(hosts):
    """Two clients of a broker (one from each of `hosts`) hear each other."""
    server, port = listen(["--broker"], where=["0"])
    first = connect([], hosts[0], port)
    second = connect([], hosts[1], port, settle=0.5)
    second.write(b"abc\n")
    expect_data(first, b"abc\n", "the client from %s" % hosts[0])
    first.write(b"abc\n")
    expect_data(second, b"abc\n", "the client from %s" % hosts[1])


case("broker-relays-between-clients")(lambda _=None: broker_case(["127.0.0.1", "127.0.0.1"]))
case("broker-ipv4-and-ipv6-clients")(lambda _=None: broker_case(["::1", "127.0.0.1"]))


# Source addresses -------------------------------------------------------------------------


@case("connect-source-port")
def _(_=None):
    source = free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)
        connect(["-p", str(source)], "127.0.0.1", listener.getsockname()[1], settle=0)
        accepted, peer = listener.accept()
        accepted.close()
    check(peer[1] == source, "the client came from port %d, not %d" % (peer[1], source))


@case("unix-datagram-source-path")
def _(_=None):
    server_path, client_path = os.path.join(TMP, "server.dgram"), os.path.join(TMP, "client.dgram")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(server_path)
        sock.settimeout(10)
        client = Proc([SOCKSCOPE, "connect", "-U", server_path, "-u", "-s", client_path])
        client.write(b"abc\n")
        client.close_stdin()
        data, sender = sock.recvfrom(16)
    check(data == b"abc\n" and sender == client_path, "got %r from %r, not from %r" % (data, sender, client_path))


# Access control ---------------------------------------------------------------------------


def access_case(proto, rules, served):
    server, port = listen(udp(proto) + rules)
    client = connect(client_udp(proto), "127.0.0.1", port)
    client.write(b"abc\n")
    if served:
        expect_data(server, b"abc\n", "the server")
    else:
        expect_nothing(server, "the server of a refused client")


def rules_file(text):
    path = os.path.join(TMP, "rules-%d.txt" % len(os.listdir(TMP)))
    with open(path, "w") as out:
        out.write(text)
    return path


ACCESS = {
    "allow-ipv4-address": (["--allow", "127.0.0.1"], True, False),
    "allow-host-name": (["--allow", "localhost"], True, True),
    "allow-other-refuses": (["--allow", "1.2.3.4"], False, False),
    "allow-accumulates": (["--allow", "127.0.0.1", "--allow", "1.2.3.4"], True, False),
    "deny-ipv4-address": (["--deny", "127.0.0.1"], False, False),
    "deny-host-name": (["--deny", "localhost"], False, True),
    "deny-other-serves": (["--deny", "1.2.3.4"], True, False),
    "deny-accumulates": (["--deny", "127.0.0.1", "--deny", "1.2.3.4"], False, False),
    "allow-and-deny-deny-wins": (["--allow", "127.0.0.1", "--deny", "127.0.0.1"], False, False),
}
for _name, (_rules, _served, _named) in ACCESS.items():
    case(_name, protos=("tcp", "udp", "dtls"), named=_named)(lambda proto, r=_rules, s=_served: access_case(proto, r, s))

for _label, _text in (("lines", "1.2.3.4\n\nlocalhost\n"), ("one-line", "1.2.3.4 localhost\n")):
    case("allow-file-" + _label, protos=("tcp", "udp", "dtls"), named=True)(
        lambda proto, t=_text: access_case(proto, ["--allow-file", rules_file(t)], True))
    case("deny-file-" + _label, protos=("tcp", "udp", "dtls"), named=True)(
        lambda proto, t=_text: access_case(proto, ["--deny-file", rules_file(t)], False))


# Client limits ----------------------------------------------------------------------------


def served_by(server, client, kind):
    """Whether `client` is being served: what it sends reaches the server's stdout (or
    comes back from cat), or, for a broker, what the server sends reaches it."""
    if kind == "broker":
        server.write(b"abc\n")
        return client.read(first=1.5)[0] == b"abc\n"
    client.write(b"abc\n")
    return (client if kind == "exec" else server).read(first=1.5)[0] == b"abc\n"


def max_clients_case(count, args, kind):
    server, port = listen(args + ["--max-clients", str(count)])
    clients = []
    for number in range(count + 2):
        client = connect([], "127.0.0.1", port)
        clients.append(client)
        wanted = number < count
        check(served_by(server, client, kind) == wanted,
              "--max-clients %d: client %d was %s" % (count, number + 1, "not served" if wanted else "served"))
    if count > 0:
        clients[0].terminate()
        time.sleep(1)
        client = connect([], "127.0.0.1", port)
        check(served_by(server, client, kind), "--max-clients %d: no client served after one left" % count)


for _count in (0, 1, 10):
    case("max-clients-%d-keep-open" % _count)(lambda _=None, c=_count: max_clients_case(c, ["--keep-open"], "stdout"))
    case("max-clients-%d-broker" % _count)(lambda _=None, c=_count: max_clients_case(c, ["--broker"], "broker"))
    case("max-clients-%d-keep-open-exec" % _count)(
        lambda _=None, c=_count: max_clients_case(c, ["--keep-open", "--exec", "/bin/cat"], "exec"))
case("max-clients-0-without-keep-open")(lambda _=None: max_clients_case(0, [], "stdout"))
case("max-clients-0-exec-without-keep-open")(lambda _=None: max_clients_case(0, ["--exec", "/bin/cat"], "exec"))


@case("keep-open-counts-clients-that-left")
def _(_=None):
    server, port = listen(["--keep-open", "--max-clients", "1"])
    first = connect([], "127.0.0.1", port, settle=0.5)
    first.terminate()
    time.sleep(0.5)
    second = connect([], "127.0.0.1", port)
    second.write(b"abc\n")
    expect_data(server, b"abc\n", "the server, from the second client")


@case("broker-counts-clients-that-left")
def _(_=None):
    server, port = listen(["--broker", "--max-clients", "1"])
    first = connect([], "127.0.0.1", port, settle=0.5)
    first.terminate()
    time.sleep(0.5)
    second = connect([], "127.0.0.1", port, settle=0.5)
    server.write(b"abc\n")
    expect_data(second, b"abc\n", "the second client")


def udp_sources(port, count):
    sources = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    for s in sources:
        s.settimeout(1.0)
        s.connect(("127.0.0.1", port))
    return sources


@case("udp-max-clients", protos=("0", "1", "3"))
def _(limit):
    # ncat's --max-conns N with -u: the first N sources (address and port) are served, later ones dropped and logged.
    server, port = listen(["-u", "--max-clients", limit])
    n = int(limit)
    sources = udp_sources(port, n + 2)
    for index, s in enumerate(sources):
        s.send(b"from %d\n" % index)
        time.sleep(0.05)
    for index, s in enumerate(sources):
        s.send(b"again %d\n" % index)
        time.sleep(0.05)
    got = server.read(first=2.0)[0]
    wanted = b"".join(b"from %d\n" % i for i in range(n)) + b"".join(b"again %d\n" % i for i in range(n))
    check(got == wanted, "served %r, not %r" % (got, wanted))
    check("(--max-clients)" in server.stderr_text(), "the refusal was not logged: %r" % server.stderr_text()[-300:])


@case("udp-max-clients-1-exec")
def _(_=None):
    # With --exec, N programs at once: a second source waits until the first one's program exits.
    # dd takes one whole datagram (a byte-wise read of a datagram socket would lose the rest of it).
    server, port = listen(["-u", "--max-clients", "1", "--sh-exec", "dd bs=100 count=1 2>/dev/null | sed 's/^/got /'; sleep 1"])
    first, second = udp_sources(port, 2)
    first.send(b"one\n")
    time.sleep(0.3)
    second.send(b"two\n")
    check(first.recv(100) == b"got one\n", "the first source was not served")
    try:
        answer = second.recv(100)
    except socket.timeout:
        answer = None
    check(answer is None, "a second source was served beside the first: %r" % answer)
    time.sleep(0.8)  # the first program (1 s) has exited
    second.send(b"three\n")
    check(second.recv(100) == b"got three\n", "the second source was not served after the first program exited")


# ncat itself as the peer -----------------------------------------------------------------

NCAT = "/usr/bin/ncat"


def ncat_listen(args):
    """`ncat -v -l 127.0.0.1 PORT ARGS`, once it listens; returns (process, port)."""
    port = free_port()
    server = Proc([NCAT, "-v", "-l", "127.0.0.1", str(port)] + args)
    server.wait_stderr("Listening on")
    return server, port


@case("ncat-digest-client-through-sockscope-proxy")
def _(_=None):
    # ncat's proxy client prefers Digest; sockscope proxy --auth offers it beside Basic.
    _, port = proxy_server(["--auth", "user:pass"])
    target, target_port = ncat_listen([])
    client = Proc([NCAT, "--proxy", "127.0.0.1:%d" % port, "--proxy-type", "http", "--proxy-auth", "user:pass", "127.0.0.1", str(target_port)])
    target.write(b"through sockscope's proxy\n")
    expect_data(client, b"through sockscope's proxy\n", "ncat's client")


@case("ncat-send-only-to-sockscope-listener")
def _(_=None):
    server, port = listen(["--stop-at-peer-close"])  # its stdin stays open: ncat -l's ending asked for
    client = Proc([NCAT, "--send-only", "127.0.0.1", str(port)])
    client.write(b"abc\n")
    client.close_stdin()
    expect_data(server, b"abc\n", "sockscope's listener")
    check(server.exit_status(3) == 0, "sockscope's listener did not end with 0 after ncat left")


@case("sockscope-recv-only-from-ncat-listener")
def _(_=None):
    server, port = ncat_listen(["--send-only"])
    client = connect(["--recv-only"], "127.0.0.1", port)
    server.write(b"abc\n")
    server.close_stdin()
    expect_data(client, b"abc\n", "sockscope's client")
    check(client.exit_status(3) == 0, "sockscope's --recv-only client did not end with 0 at ncat's close")


@case("sockscope-crlf-to-ncat-listener")
def _(_=None):
    server, port = ncat_listen([])
    client = connect(["-C"], "127.0.0.1", port)
    for chunk in MIXED:
        client.delaywrite(chunk)
    expect_data(server, MIXED_AS_CRLF, "ncat's listener")


def mixed_broker_case(server, port, client):
    """Two clients (`client(port, settle)`) of a broker hear each other and its stdin."""
    first = client(port, 0.3)
    second = client(port, 0.5)
    second.write(b"abc\n")
    expect_data(first, b"abc\n", "client 1")
    server.write(b"def\n")
    expect_data(first, b"def\n", "client 1, from the broker's stdin")
    expect_data(second, b"def\n", "client 2, from the broker's stdin")


def ncat_client(port, settle):
    client = Proc([NCAT, "127.0.0.1", str(port)])
    time.sleep(settle)
    return client


case("ncat-broker-sockscope-clients")(
    lambda _=None: mixed_broker_case(*ncat_listen(["--broker"]), lambda port, settle: connect([], "127.0.0.1", port, settle)))
case("sockscope-broker-ncat-clients")(lambda _=None: mixed_broker_case(*listen(["--broker"]), ncat_client))


@case("exec-environment-seen-by-ncat-client")
def _(_=None):
    server, port = listen(["--sh-exec", "echo $SOCKSCOPE_REMOTE_PORT"])
    client = Proc([NCAT, "--recv-only", "-p", str(free_port()), "127.0.0.1", str(port)])
    source = client.args[3]
    expect_data(client, (source + "\n").encode(), "ncat, told its own source port")


# HTTP proxy client authentication ------------------------------------------------------
# As ncat's suite: a `listen -k` plays the proxy. The client asks without credentials
# first; the test answers 407 with challenges; the client asks again, on a new connection
# (ncat's way), answering the challenge it prefers: Digest before Basic.

DIGEST_NONCE, DIGEST_REALM = "0123456789abcdef", "realm"


def proxy_header(value):
    """A Proxy-Authorization value as (scheme, attributes), as ncat's suite parses it."""
    scheme = re.match(r"\s*(\w+)", value)
    attributes = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
                  for m in re.finditer(r'(\w+)\s*=\s*(?:"([^"]*)"|(\w+))', value)}
    return (scheme.group(1) if scheme else ""), attributes


def authorizations(request):
    return [line.split(b":", 1)[1].strip().decode() for line in request.split(b"\r\n")
            if line.lower().startswith(b"proxy-authorization:")]


def challenged_client(challenge, auth="user:pass"):
    """A `listen -k` as the proxy, a client through it, the first request read and the
    407 with `challenge` (the header lines) written; returns the follow-up request."""
    server, port = listen(["-k"])
    client = Proc([SOCKSCOPE, "connect", "--proxy", "127.0.0.1:%d" % port, "--proxy-auth", auth,
                   "--proxy-type", "http", "127.0.0.1", str(port)])
    first, _ = server.read()
    check(first.startswith(b"CONNECT "), "no first request from the client: %r" % first)
    check(not authorizations(first), "the first request carried credentials unasked: %r" % first)
    server.write(b"HTTP/1.0 407 Authentication Required\r\n" + challenge + b"\r\n")
    follow, _ = server.read()
    check(follow.startswith(b"CONNECT "), "no follow-up request from the client: %r" % follow)
    return follow


def digest_response(attributes, qop):
    import hashlib
    h = lambda text: hashlib.md5(text.encode()).hexdigest()
    a1, a2 = h("user:%s:pass" % DIGEST_REALM), h("CONNECT:%s" % attributes["uri"])
    if qop:
        return h("%s:%s:%s:%s:%s:%s" % (a1, DIGEST_NONCE, attributes["nc"], attributes["cnonce"], qop, a2))
    return h("%s:%s:%s" % (a1, DIGEST_NONCE, a2))


def expect_no_basic(follow):
    schemes = [proxy_header(value)[0] for value in authorizations(follow)]
    check(schemes and "Basic" not in schemes, "the client used %r when Digest was offered" % schemes)


@case("proxy-client-prefers-digest")
def _(_=None):
    expect_no_basic(challenged_client(
        b'Proxy-Authenticate: Basic realm="realm"\r\n'
        b'Proxy-Authenticate: Digest realm="realm", nonce="0123456789abcdef", qop="auth"\r\n'))


@case("proxy-client-prefers-digest-comma-separated")
def _(_=None):
    expect_no_basic(challenged_client(
        b'Proxy-Authenticate: Basic realm="realm", Digest realm="realm", nonce="0123456789abcdef", qop="auth"\r\n'))


@case("proxy-client-digest-auth")
def _(_=None):
    follow = challenged_client(b'Proxy-Authenticate: Digest realm="realm", nonce="0123456789abcdef", qop="auth", opaque="abcd"\r\n')
    digests = [a for s, a in map(proxy_header, authorizations(follow)) if s == "Digest"]
    check(digests, "no Proxy-Authorization: Digest in %r" % follow)
    attributes = digests[0]
    for name in ("qop", "nonce", "uri", "nc", "cnonce", "response", "opaque"):
        check(attributes.get(name), "no %s in %r" % (name, attributes))
    check(attributes["qop"] == "auth" and attributes["nonce"] == DIGEST_NONCE and attributes["opaque"] == "abcd",
          "qop, nonce or opaque changed: %r" % attributes)
    check(attributes["response"] == digest_response(attributes, "auth"), "a wrong response: %r" % attributes)


@case("proxy-client-digest-auth-no-qop")
def _(_=None):
    follow = challenged_client(b'Proxy-Authenticate: Digest realm="realm", nonce="0123456789abcdef", opaque="abcd"\r\n')
    digests = [a for s, a in map(proxy_header, authorizations(follow)) if s == "Digest"]
    check(digests, "no Proxy-Authorization: Digest in %r" % follow)
    attributes = digests[0]
    check("nc" not in attributes and "cnonce" not in attributes, "nc or cnonce without qop: %r" % attributes)
    check(attributes.get("opaque") == "abcd", "opaque changed: %r" % attributes)
    check(attributes.get("response") == digest_response(attributes, None), "a wrong response: %r" % attributes)


@case("proxy-client-scheme-without-params")
def _(_=None):
    follow = challenged_client(
        b'Proxy-Authenticate: Basic realm="realm"\r\nProxy-Authenticate: NTLM\r\n'
        b'Proxy-Authenticate: Digest realm="realm", nonce="0123456789abcdef", qop="auth"\r\n')
    check(authorizations(follow), "no Proxy-Authorization after NTLM was offered: %r" % follow)


@case("proxy-client-scheme-without-params-comma-separated")
def _(_=None):
    follow = challenged_client(b'Proxy-Authenticate: Basic realm="realm", NTLM, Digest realm="realm", nonce="0123456789abcdef", qop="auth"\r\n')
    check(authorizations(follow), "no Proxy-Authorization after NTLM was offered: %r" % follow)


@case("proxy-client-basic-sends-credentials-as-given")
def _(_=None):
    # ncat sends --proxy-auth as it is given: `a` is base64 "a" (YQ==), not "a:".
    follow = challenged_client(b'Proxy-Authenticate: Basic realm="realm"\r\n', auth="a")
    check(authorizations(follow) == ["Basic YQ=="], "Basic for 'a' was %r" % authorizations(follow))


@case("proxy-client-digest-through-ncat-proxy")
def _(_=None):
    # ncat's own HTTP proxy with --proxy-auth offers Digest and closes after its 407.
    target, target_port = ncat_listen([])
    proxy_port = free_port()
    Proc([NCAT, "-l", "--proxy-type", "http", "--proxy-auth", "user:pass", "127.0.0.1", str(proxy_port)])
    time.sleep(0.3)
    client = Proc([SOCKSCOPE, "connect", "-v", "--proxy", "127.0.0.1:%d" % proxy_port, "--proxy-auth", "user:pass",
                   "127.0.0.1", str(target_port)])
    client.wait_stderr("tunnel to 127.0.0.1:%d open" % target_port)
    check("answered its digest challenge" in client.stderr_text(), "not Digest: %r" % client.stderr_text()[-400:])
    target.write(b"through ncat's proxy\n")
    expect_data(client, b"through ncat's proxy\n", "sockscope's client")


# HTTP proxy server: what it answers to odd requests ----------------------------------------
# `sockscope proxy` (ncat -l --proxy-type http); a raw client writes the request.


def proxy_server(args=(), where=("127.0.0.1", "0")):
    server = Proc([SOCKSCOPE, "proxy"] + list(args) + list(where))
    line = server.wait_stderr("listening on")
    return server, int(re.findall(r":(\d+)", line.split("listening on")[1])[-1])


def proxy_answer(port, request, family=socket.AF_INET, host="127.0.0.1", close=True, tls=False):
    """Writes `request` (bytes or a list of pieces), closing its side when `close`;
    returns the proxy's status code, or None when it closed without one. With `tls`,
    over TLS (the proxy's certificate not checked: an ephemeral one)."""
    raw = socket.socket(family, socket.SOCK_STREAM)
    raw.settimeout(5)
    raw.connect((host, port))
    if tls:
        import ssl
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        raw = context.wrap_socket(raw)
    with raw as s:
        for piece in request if isinstance(request, list) else [request]:
            s.sendall(piece)
        if close and not tls:
            s.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except socket.timeout:
            pass
    match = re.match(rb"HTTP/1\.\d (\d{3})", answer)
    return int(match.group(1)) if match else None


def expect_status(port, request, wanted, **options):
    got = proxy_answer(port, request, **options)
    check(got in (wanted if isinstance(wanted, tuple) else (wanted,)), "the proxy answered %r, not %r" % (got, wanted))


@case("proxy-server-bad-request")
def _(_=None):
    _, port = proxy_server()
    expect_status(port, b"bad\r\n\r\n", 400)


@case("proxy-server-connect-no-port")
def _(_=None):
    _, port = proxy_server()
    expect_status(port, b"CONNECT 127.0.0.1 HTTP/1.0\r\n\r\n", 400)
    expect_status(port, b"CONNECT 127.0.0.1: HTTP/1.0\r\n\r\n", 400)
    expect_status(port, b"CONNECT [::1] HTTP/1.0\r\n\r\n", 400)
    expect_status(port, b"CONNECT [::1]: HTTP/1.0\r\n\r\n", 400)


@case("proxy-server-overlong-request-line")
def _(_=None):
    _, port = proxy_server()
    expect_status(port, b"CONNECT " + b"A" * 24000 + b":%d HTTP/1.0\r\n\r\n" % port, (413, 414))


@case("proxy-server-overlong-header")
def _(_=None):
    _, port = proxy_server()
    expect_status(port, [b"CONNECT 127.0.0.1:%d HTTP/1.0\r\n" % port] + [b"Header: Value\r\n"] * 10000 + [b"\r\n"], 413)


@case("proxy-server-bare-lf")
def _(_=None):
    _, port = proxy_server()
    target, target_port = ncat_listen([])
    expect_status(port, b"CONNECT 127.0.0.1:%d HTTP/1.0\nUser-Agent: test\n\n" % target_port, 200, close=False)


def tls_args(proto):
    return ["--tls"] if proto == "tls" else []


@case("proxy-server-lws", protos=("tcp", "tls"))
def _(proto):
    # A Proxy-Authorization folded over lines (obs-fold), with tabs and a bare LF.
    _, port = proxy_server(["--auth", "user:pass"] + tls_args(proto))
    target, target_port = ncat_listen(["-k"])
    head = b"CONNECT 127.0.0.1:%d HTTP/1.0\r\n" % target_port
    tls = proto == "tls"
    expect_status(port, [head, b"Proxy-Authorization:\t  Basic  \r\n\t  \n dXNlcjpwYXNz\r\n", b"\r\n"], 200, close=False, tls=tls)
    expect_status(port, [head, b"Proxy-Authorization: Basic\r\n dXNlcjpwYXNz\r\n", b"\r\n"], 200, close=False, tls=tls)


@case("proxy-server-basic-auth", protos=("tcp", "tls"))
def _(proto):
    _, port = proxy_server(["--auth", "user:pass"] + tls_args(proto))
    target, target_port = ncat_listen(["-k"])
    head = b"CONNECT 127.0.0.1:%d HTTP/1.0\r\n" % target_port
    tls = proto == "tls"
    expect_status(port, head + b"\r\n", 407, tls=tls)
    expect_status(port, head + b"Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n", 200, close=False, tls=tls)
    expect_status(port, head + b"pROXY-aUTHORIZATION: BASIC dXNlcjpwYXNz\r\n\r\n", 200, close=False, tls=tls)
    for wrong in (b"Basic bm9ib2R5OnBhc3M=", b"Basic dXNlcjp3b3Jk", b"", b"French fries", b"Basic dXNlcjpwYXNz extra"):
        got = proxy_answer(port, head + b"Proxy-Authorization: " + wrong + b"\r\n\r\n", tls=tls)
        check(got is not None and got != 200, "%r was let through (%r)" % (wrong, got))


def digest_challenge(port, target_port):
    """A first request without credentials; returns the Digest challenge's attributes."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.0\r\n\r\n" % target_port)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    check(answer.startswith(b"HTTP/1.1 407"), "no 407 for a request without credentials: %r" % answer)
    for line in answer.split(b"\r\n"):
        if line.lower().startswith(b"proxy-authenticate:"):
            scheme, attributes = proxy_header(line.split(b":", 1)[1].decode())
            if scheme == "Digest":
                check(attributes.get("nonce") and attributes.get("realm"), "a Digest challenge without nonce or realm: %r" % line)
                return attributes
    raise Failure("no Proxy-Authenticate: Digest in %r" % answer)


def digest_request(target_port, attributes, user, password, qop=True, nc="00000001", fields=None):
    import hashlib
    h = lambda text: hashlib.md5(text.encode()).hexdigest()
    uri = "127.0.0.1:%d" % target_port
    a1, a2, nonce = h("%s:%s:%s" % (user, attributes["realm"], password)), h("CONNECT:" + uri), attributes["nonce"]
    response = h("%s:%s:%s:abcdefg:auth:%s" % (a1, nonce, nc, a2)) if qop else h("%s:%s:%s" % (a1, nonce, a2))
    extra = ', qop="auth", nc="%s", cnonce="abcdefg"' % nc if qop else ""
    value = fields or 'username="%s", realm="%s", nonce="%s", uri="%s"%s, response="%s"' % (user, attributes["realm"], nonce, uri, extra, response)
    return b"CONNECT %s HTTP/1.0\r\nProxy-Authorization: Digest %s\r\n\r\n" % (uri.encode(), value.encode())


def digest_server():
    _, port = proxy_server(["--auth", "user:pass"])
    target, target_port = ncat_listen(["-k"])
    return port, target_port, digest_challenge(port, target_port)


@case("proxy-server-digest-wrong-user")
def _(_=None):
    port, target_port, attributes = digest_server()
    expect_status(port, digest_request(target_port, attributes, "xxx", "pass", qop=False), 407)


@case("proxy-server-digest-wrong-pass")
def _(_=None):
    port, target_port, attributes = digest_server()
    expect_status(port, digest_request(target_port, attributes, "user", "xxx", qop=False), 407)


@case("proxy-server-digest-correct-auth")
def _(_=None):
    port, target_port, attributes = digest_server()
    expect_status(port, digest_request(target_port, attributes, "user", "pass"), 200, close=False)


@case("proxy-server-digest-correct-auth-no-qop")
def _(_=None):
    port, target_port, attributes = digest_server()
    expect_status(port, digest_request(target_port, attributes, "user", "pass", qop=False), 200, close=False)


@case("proxy-server-digest-missing-fields")
def _(_=None):
    port, target_port, attributes = digest_server()
    fields = 'username="user", nonce="%s", response="0123456789abcdef0123456789abcdef"' % attributes["nonce"]
    expect_status(port, digest_request(target_port, attributes, "user", "pass", fields=fields), 407)


@case("proxy-server-digest-prevents-replay")
def _(_=None):
    # An XFAIL in ncat's suite: the same answer twice is refused the second time here.
    port, target_port, attributes = digest_server()
    request = digest_request(target_port, attributes, "user", "pass")
    expect_status(port, request, 200, close=False)
    expect_status(port, request, 407)
    expect_status(port, digest_request(target_port, attributes, "user", "pass", nc="00000002"), 200, close=False)
    once = digest_request(target_port, attributes, "user", "pass", qop=False)
    expect_status(port, once, 200, close=False)
    expect_status(port, once, 407)


def forwarded(request):
    """`request` written to sockscope proxy; returns the bytes an ncat listener got."""
    _, port = proxy_server()
    target, target_port = ncat_listen([])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request.replace(b"TARGET", b"127.0.0.1:%d" % target_port))
        s.shutdown(socket.SHUT_WR)
        return target.read()[0]


def forwarded_head(request):
    got = forwarded(request)
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields.setdefault(name.strip().lower(), []).append(value.strip())
    return lines[0], fields, body


@case("proxy-server-get-hostname-only")
def _(_=None):
    _, port = proxy_server()
    expect_status(port, b"GET 127.0.0.1 HTTP/1.0\r\n\r\n", 400)


@case("proxy-server-get-path-only")
def _(_=None):
    _, port = proxy_server()
    expect_status(port, b"GET / HTTP/1.0\r\n\r\n", 400)


@case("proxy-server-get-absolute-uri")
def _(_=None):
    for target, wanted in ((b"http://TARGET/", b"GET / HTTP/1."), (b"http://TARGET", b"GET / HTTP/1."), (b"http://TARGET/%41", b"GET /%41 HTTP/1.")):
        line, fields, _ = forwarded_head(b"GET " + target + b" HTTP/1.0\r\n\r\n")
        check(line.startswith(wanted), "the proxy sent %r for %r" % (line, target))
        check(fields.get(b"host") and fields.get(b"via"), "no Host or Via in what the proxy sent: %r" % fields)


@case("proxy-server-get-removes-connection-fields")
def _(_=None):
    for request in (
        b"GET http://TARGET/ HTTP/1.0\r\nKeep-Alive: 300\r\nOne: 1\r\nConnection: keep-alive, two, close\r\nTwo: 2\r\nThree: 3\r\n\r\n",
        b"GET http://TARGET/ HTTP/1.0\r\nConnection: keep-alive\r\nKeep-Alive: 300\r\nConnection: two\r\nOne: 1\r\nConnection: close\r\nTwo: 2\r\nThree: 3\r\n\r\n",
    ):
        _, fields, _ = forwarded_head(request)
        check(b"keep-alive" not in fields and b"two" not in fields, "hop-by-hop fields passed on: %r" % fields)
        check(fields.get(b"one") == [b"1"] and fields.get(b"three") == [b"3"], "end-to-end fields changed: %r" % fields)


@case("proxy-server-post-bodies")
def _(_=None):
    line, fields, body = forwarded_head(b"POST http://TARGET/ HTTP/1.1\r\nContent-Length: 4\r\n\r\nabc\n")
    check(line.startswith(b"POST / HTTP/1.1") and body == b"abc\n", "Content-Length body: %r %r" % (line, body))
    line, fields, body = forwarded_head(b"POST http://TARGET/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabc\n\r\n0\r\n\r\n")
    check(line.startswith(b"POST / HTTP/1.1") and body == b"4\r\nabc\n\r\n0\r\n\r\n", "chunked body: %r %r" % (line, body))


@case("proxy-server-unknown-method")
def _(_=None):
    _, port = proxy_server()
    expect_status(port, b"NOTHING http://127.0.0.1:1/ HTTP/1.0\r\n\r\n", 405)


@case("proxy-server-4-refuses-ipv6-destination")
def _(_=None):
    _, port = proxy_server(["-4"])
    expect_status(port, b"CONNECT [::1]:%d HTTP/1.0\r\n\r\n" % free_port(), 504)


@case("proxy-server-6-refuses-ipv4-destination")
def _(_=None):
    _, port = proxy_server(["-6"], where=("::1", "0"))
    expect_status(port, b"CONNECT 127.0.0.1:%d HTTP/1.0\r\n\r\n" % free_port(), 504, family=socket.AF_INET6, host="::1")


# SOCKS5 client: a Python proxy checks sockscope's bytes, as ncat's suite does ---------------


def socks5_client_case(auth, family_flag, destination, answer_auth=b"\x01\x00"):
    """A fake SOCKS5 proxy on loopback: checks the greeting, the RFC 1929 user/password
    when `auth` is given, and the request's destination; grants it, then expects the
    client's data through. Returns (client process, what the proxy saw)."""
    v6 = family_flag == "-6"  # as ncat's suite: with -6 the proxy listens on ::1
    with socket.socket(socket.AF_INET6 if v6 else socket.AF_INET) as listener:
        listener.bind(("::1" if v6 else "127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(5)
        proxy_port = listener.getsockname()[1]
        proxy_host = "[::1]" if v6 else "127.0.0.1"
        args = [SOCKSCOPE, "connect", "--proxy", "socks5://%s:%d" % (proxy_host, proxy_port)] + (["--proxy-auth", auth] if auth else [])
        client = Proc(args + ([family_flag] if family_flag else []) + [destination, "4242"])
        peer, _ = listener.accept()
        peer.settimeout(5)
        with peer:
            greeting = peer.recv(10)
            check(greeting[0] == 5 and len(greeting) >= 3, "not a SOCKS5 greeting: %r" % greeting)
            if auth:
                check(2 in greeting[2:], "the user/password method (2) not offered: %r" % greeting)
                peer.sendall(b"\x05\x02")
                sub = peer.recv(600)
                check(sub[0] == 1, "not an RFC 1929 request: %r" % sub)
                user = sub[2:2 + sub[1]]
                password = sub[3 + sub[1]:]
                peer.sendall(answer_auth if (user, password) == (b"vasek", b"admin") else b"\x01\x11")
                if (user, password) != (b"vasek", b"admin"):
                    return client, None
            else:
                peer.sendall(b"\x05\x00")
            request = peer.recv(300)
            check(request[:3] == b"\x05\x01\x00", "not a CONNECT request: %r" % request)
            kind, body = request[3], request[4:-2]
            seen = {1: lambda: socket.inet_ntop(socket.AF_INET, body), 4: lambda: socket.inet_ntop(socket.AF_INET6, body),
                    3: lambda: body[1:].decode()}.get(kind, lambda: None)()
            check(int.from_bytes(request[-2:], "big") == 4242, "the wrong port: %r" % request)
            peer.sendall(b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00")
            client.write(b"abc\n")
            data = peer.recv(10)
            check(data == b"abc\n", "the client's data did not come through: %r" % data)
            return client, seen


@case("socks5-client-auth-allowed", protos=("ipv4", "ipv6", "name"))
def _(kind):
    destination = {"ipv4": "127.0.0.1", "ipv6": "::1", "name": "www.seznam.cz"}[kind]
    _, seen = socks5_client_case("vasek:admin", "-6" if kind == "ipv6" else "-4", destination)
    check(seen == destination, "the proxy was asked for %r, not %r" % (seen, destination))


@case("connect-through-proxy-source-port", protos=("http", "socks4"))
def _(kind):
    # ncat's "Connect through HTTP / SOCKS4 proxy with -p": the connection to the proxy has that source port.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(5)
        source = free_port()
        Proc([SOCKSCOPE, "connect", "--proxy-type", kind, "--proxy", "127.0.0.1:%d" % listener.getsockname()[1], "-p", str(source), "127.0.0.1", "4242"])
        peer, address = listener.accept()
        peer.close()
    check(address[1] == source, "the proxy saw source port %d, not %d" % (address[1], source))


def http_proxy_client(answer):
    """A fake HTTP proxy that answers the client's CONNECT with `answer`; returns what
    the client printed."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(5)
        client = Proc([SOCKSCOPE, "connect", "--proxy", "127.0.0.1:%d" % listener.getsockname()[1], "--proxy-type", "http", "127.0.0.1", "4242"])
        peer, _ = listener.accept()
        with peer:
            peer.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = peer.recv(1000)
                check(chunk, "the client closed before its request was whole: %r" % request)
                request += chunk
            peer.sendall(answer)
            return client.read()[0]


@case("http-proxy-client-hides-response", protos=("ok", "go-ahead", "header"))
def _(kind):
    # ncat's "HTTP CONNECT client hides proxy server response", "…, different Status-Line", "…, server sends header".
    answer = {"ok": b"HTTP/1.0 200 OK\r\n\r\nabc\n", "go-ahead": b"HTTP/1.1 200 Go ahead\r\n\r\nabc\n",
              "header": b"HTTP/1.0 200 OK\r\nServer: ncat-test 1.2.3\r\n\r\nabc\n"}[kind]
    got = http_proxy_client(answer)
    check(got == b"abc\n", "the client printed %r, not only what came after the proxy's answer" % got)


@case("proxy-server-keeps-data-after-request")
def _(_=None):
    # ncat's "HTTP CONNECT server doesn't consume anything after request" and "HTTP CONNECT proxy relays".
    _, port = proxy_server()
    target, target_port = ncat_listen([])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.0\r\nUser-Agent: ncat-test\r\n\r\nabc\n" % target_port)
        answer = s.recv(100)
        check(answer.startswith(b"HTTP/1.1 200"), "no 200: %r" % answer)
        expect_data(target, b"abc\n", "the target")
        target.write(b"def\n")
        check(s.recv(100) == b"def\n", "the target's answer did not come back")


@case("socks5-client-no-auth")
def _(_=None):
    _, seen = socks5_client_case(None, "-4", "127.0.0.1")
    check(seen == "127.0.0.1", "the proxy was asked for %r" % seen)


@case("socks5-client-auth-denied")
def _(_=None):
    # An XFAIL in ncat's suite: here the refusal ends the client with exit 77, named.
    client, _ = socks5_client_case("klara:admin", "-4", "127.0.0.1")
    check(client.exit_status(5) == 77, "a refused user did not end the client with 77: %r" % client.stderr_text()[-300:])
    check("rejected the user 'klara'" in client.stderr_text(), "the refusal not named: %r" % client.stderr_text()[-300:])


@case("socks5-client-login-too-long")
def _(_=None):
    # An XFAIL in ncat's suite: RFC 1929 allows 255 bytes; a longer user is a usage error before any connection.
    client = Proc([SOCKSCOPE, "connect", "--proxy", "socks5://127.0.0.1:9", "--proxy-auth", "monika" * 100 + ":admindd", "127.0.0.1", "4242"])
    status = client.exit_status(5)
    check(status in (64, 69), "exit %r for a 600-byte SOCKS5 user" % status)


@case("socks5-client-bad-answers", protos=("short", "no-method", "unknown-code"))
def _(answer):
    # XFAILs in ncat's suite: a short answer, no acceptable method (0xFF), an unknown code
    # end the client with a named failure (74 or 77), never a hang or 0.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(5)
        client = Proc([SOCKSCOPE, "connect", "-w", "2", "--proxy", "socks5://127.0.0.1:%d" % listener.getsockname()[1], "127.0.0.1", "4242"])
        peer, _ = listener.accept()
        with peer:
            peer.recv(10)
            peer.sendall({"short": b"\x05", "no-method": b"\x05\xff", "unknown-code": b"\x05\xaa"}[answer])
            if answer == "short":
                peer.shutdown(socket.SHUT_WR)
            status = client.exit_status(5)
    check(status not in (None, 0), "a bad SOCKS5 answer (%s) ended with %r" % (answer, status))
    check(client.stderr_text().startswith("sockscope: "), "no named failure: %r" % client.stderr_text()[-200:])


# ncat -z: probe ---------------------------------------------------------------------------


@case("probe-open-port")
def _(_=None):
    server, port = listen([])
    status = Proc([SOCKSCOPE, "probe", "-q", "127.0.0.1", str(port)]).exit_status()
    check(status == 0, "probe of a listening port: exit %r, not 0" % status)


@case("probe-refused-port", protos=("tcp", "udp"))
def _(proto):
    port = free_port()
    status = Proc([SOCKSCOPE, "probe", "-q"] + udp(proto) + ["127.0.0.1", str(port)]).exit_status()
    check(status == 1, "probe of a closed port: exit %r, not 1" % status)


@case("probe-udp-listener-not-closed")
def _(_=None):
    server, port = listen(["-u"])
    proc = Proc([SOCKSCOPE, "probe", "-u", "--json", "127.0.0.1", str(port)])
    proc.exit_status()
    text = proc.read(first=1)[0].decode()
    check('"state":"open|filtered"' in text, "a UDP listener probed as %r" % text)


@case("probe-udp-sends-nul-exit-0")
def _(_=None):
    # ncat -zu sends one NUL byte and exits 0 when no ICMP error comes back; probe -u (and -q) too.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        for args in (["probe", "-u"], ["probe", "-u", "-q"]):
            proc = Proc([SOCKSCOPE] + args + ["127.0.0.1", str(port)])
            status = proc.exit_status(10)
            check(status == 0, "%s: exit %r for a silent UDP listener, not 0 (nc -zu, ncat -zu)" % (" ".join(args), status))
        listener.settimeout(1)
        got = listener.recvfrom(100)[0]
        check(got == b"\0", "the probe carried %r, not one NUL byte" % got)
    closed = Proc([SOCKSCOPE, "probe", "-u", "-q", "127.0.0.1", str(free_port())])
    check(closed.exit_status(10) == 1, "a closed UDP port (ICMP port unreachable) is not exit 1")


def run_case(name):
    """Runs one case in a directory of its own; kills what it started. True when it passed."""
    global TMP
    TMP = tempfile.mkdtemp(prefix="ncat-%s-" % name)
    function, _ = CASES[name]
    try:
        function()
    except Failure as failure:
        print("FAIL %s: %s" % (name, failure), flush=True)
        return False
    except Exception as error:  # a broken case is a failure too, with its reason
        print("FAIL %s: %s: %s" % (name, type(error).__name__, error), flush=True)
        return False
    finally:
        kill_started()
        STARTED.clear()
    print("PASS " + name, flush=True)
    return True


def main():
    if sys.argv[2] == "--list":
        for name, (_, named) in CASES.items():
            print(name + (" named" if named else ""))
        return 0
    unknown = [name for name in sys.argv[2:] if name not in CASES]
    if unknown:
        print("no such case: " + " ".join(unknown))
        return 2
    results = [run_case(name) for name in sys.argv[2:]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
