#!/usr/bin/env python3
"""The stream-ending matrix: a 16 MiB random file (larger than any socket buffer, so a
transfer that stops early cannot hide in them) sent through TCP on loopback, with
sockscope on one side and sockscope, ncat, OpenBSD nc or socat on the other, each in
the connect and the listen role, the receiver's stdin being /dev/null, a short pipe, a
small file or a pipe held open for 2 s, the sender's stdin the file itself or a pipe.

    stream_matrix.py SOCKSCOPE DIRECTORY      prints one JSON object per case:
        {"case": ..., "sender": tool, "receiver": tool, "listener": "sender"|"receiver",
         "receiver_stdin": ..., "sender_stdin": ..., "complete": bool,
         "received": bytes, "sender_status": n, "receiver_status": n}

Every wait is bounded (30 s a case); every process started here is killed by its PID.
Cases run four at a time, each on its own port.
"""
import concurrent.futures, hashlib, itertools, json, os, socket, subprocess, sys, threading, time

SOCKSCOPE, DIRECTORY = sys.argv[1], sys.argv[2]
SIZE = 16 << 20
DATA = os.path.join(DIRECTORY, "data")
with open(DATA, "wb") as f:
    f.write(os.urandom(SIZE))
DIGEST = hashlib.sha256(open(DATA, "rb").read()).hexdigest()
SMALL = os.path.join(DIRECTORY, "small")
with open(SMALL, "wb") as f:
    f.write(b"a few bytes from the receiver\n")
PORT_LOCK = threading.Lock()
USED = set()


def free_port():
    with PORT_LOCK:
        for _ in range(100):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            if port not in USED:
                USED.add(port)
                return port
    raise RuntimeError("no free port")


def command(tool, role, sending, port):
    """The argv of `tool` in `role` ("listen" or "connect"), sending or receiving."""
    host = "127.0.0.1"
    if tool == "sockscope":
        return [SOCKSCOPE, "listen", host, str(port)] if role == "listen" else [SOCKSCOPE, "connect", host, str(port)]
    if tool == "ncat":
        return ["ncat", "-l", host, str(port)] if role == "listen" else ["ncat", host, str(port)]
    if tool == "nc":
        # A sending nc client needs -N to send FIN at the end of its input.
        if role == "listen":
            return ["nc", "-l", host, str(port)]
        return ["nc", "-N", host, str(port)] if sending else ["nc", host, str(port)]
    if tool == "socat":
        # One way (-u): socat's two-way mode closes 0.5 s after either side's end.
        address = f"TCP-LISTEN:{port},bind={host},reuseaddr" if role == "listen" else f"TCP:{host}:{port}"
        return ["socat", "-u", "STDIN", address] if sending else ["socat", "-u", address, "STDOUT"]
    raise ValueError(tool)


def stdin_shell(kind):
    """A shell prefix that gives the program the named stdin."""
    return {
        "null": "exec {cmd} < /dev/null",
        "short-pipe": "printf 'a short line\\n' | {cmd}",
        "file": "exec {cmd} < " + SMALL,
        "held-pipe": "sleep 2 | {cmd}",
        "data-file": "exec {cmd} < " + DATA,
        "data-pipe": "cat " + DATA + " | {cmd}",
    }[kind]


def start(argv, stdin_kind, out):
    cmd = " ".join("'" + a.replace("'", "'\\''") + "'" for a in argv)
    return subprocess.Popen(["/bin/bash", "-c", stdin_shell(stdin_kind).format(cmd=cmd)], stdout=out,
                            stderr=subprocess.PIPE, start_new_session=True)


def wait_listening(port, deadline):
    """Waits until something listens on the port (checked with ss, not by connecting)."""
    while time.monotonic() < deadline:
        out = subprocess.run(["ss", "-Htln", f"sport = :{port}"], capture_output=True, text=True).stdout
        if out.strip():
            return True
        time.sleep(0.02)
    return False


def stop(p):
    try:
        os.killpg(p.pid, 9)
    except ProcessLookupError:
        pass


def run_case(index, sender, receiver, listener, receiver_stdin, sender_stdin):
    port = free_port()
    received = os.path.join(DIRECTORY, f"received-{index}")
    sender_role = "listen" if listener == "sender" else "connect"
    receiver_role = "listen" if listener == "receiver" else "connect"
    deadline = time.monotonic() + 30
    with open(received, "wb") as out, open(os.devnull, "wb") as null:
        first_is_sender = listener == "sender"
        first = (sender, sender_role, True, sender_stdin, null) if first_is_sender else (receiver, receiver_role, False, receiver_stdin, out)
        second = (receiver, receiver_role, False, receiver_stdin, out) if first_is_sender else (sender, sender_role, True, sender_stdin, null)
        p1 = start(command(first[0], first[1], first[2], port), first[3], first[4])
        ok = wait_listening(port, deadline)
        p2 = start(command(second[0], second[1], second[2], port), second[3], second[4]) if ok else None
        procs = [p for p in (p1, p2) if p]
        statuses = []
        for p in procs:
            try:
                statuses.append(p.wait(timeout=max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                statuses.append("timeout")
        errors = []
        for p in procs:
            stop(p)
            errors.append(p.stderr.read().decode(errors="replace")[-400:])
    sender_proc, receiver_proc = (0, 1) if first_is_sender else (1, 0)
    data = open(received, "rb").read()
    os.unlink(received)
    result = {
        "case": index, "sender": sender, "receiver": receiver, "listener": listener,
        "receiver_stdin": receiver_stdin, "sender_stdin": sender_stdin,
        "complete": len(data) == SIZE and hashlib.sha256(data).hexdigest() == DIGEST, "received": len(data),
        "sender_status": statuses[sender_proc] if len(statuses) > sender_proc else "not started",
        "receiver_status": statuses[receiver_proc] if len(statuses) > receiver_proc else "not started",
        "sender_stderr": errors[sender_proc] if len(errors) > sender_proc else "",
        "receiver_stderr": errors[receiver_proc] if len(errors) > receiver_proc else "",
    }
    return result


def cases():
    peers = ["sockscope", "ncat", "nc", "socat"]
    receiver_stdins = ["null", "short-pipe", "file", "held-pipe"]
    for peer, listener, receiver_stdin in itertools.product(peers, ["sender", "receiver"], receiver_stdins):
        if peer == "socat" and receiver_stdin != "null":
            continue  # socat -u never reads the receiver's stdin: one case says it all
        for sender_stdin in ["data-file", "data-pipe"]:
            yield ("sockscope", peer, listener, receiver_stdin, sender_stdin)
        if peer != "sockscope":
            yield (peer, "sockscope", listener, receiver_stdin, "data-file")


def main():
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(run_case, i, *c) for i, c in enumerate(cases())]
        for future in futures:
            print(json.dumps(future.result()), flush=True)


main()
