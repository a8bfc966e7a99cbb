#!/usr/bin/env python3
"""Sends SIGINT or SIGTERM to sockscope while it waits at one blocking point, and
measures how long it takes to exit.

    interrupt.py SOCKSCOPE SCENARIO SIGNAL [REPEAT]

Prints `runs=N misses=N statuses=S,S worst_seconds=F notes=N` on its first line,
then the notes and the last run's stderr. A miss is a run that did not exit within
INTERRUPT_LIMIT seconds (default 2) of the signal with 128 + signal. An exit takes
milliseconds on a quiet machine; the limit is wide because the suite runs beside ~100
other processes, where scheduling alone once took 0.66 s — a lost signal never exits at
all (killed after 3 s). Every wait here is bounded; every process started here is
killed by its PID at the end.
"""
import os, signal, socket, subprocess, sys, time

SOCKSCOPE, SCENARIO, SIGNAME = sys.argv[1], sys.argv[2], sys.argv[3]
REPEAT = int(sys.argv[4]) if len(sys.argv) > 4 else 1
SIGNUM = {"INT": signal.SIGINT, "TERM": signal.SIGTERM, "HUP": signal.SIGHUP}[SIGNAME]
LIMIT = float(os.environ.get("INTERRUPT_LIMIT", "2"))


def start(args, stdin=subprocess.DEVNULL):
    return subprocess.Popen(args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_stderr(proc, marker, timeout=10.0):
    """Reads stderr lines until one contains marker; returns (line, all text so far)."""
    seen = b""
    deadline = time.monotonic() + timeout
    os.set_blocking(proc.stderr.fileno(), False)
    while time.monotonic() < deadline:
        chunk = proc.stderr.read()
        if chunk:
            seen += chunk
            for line in seen.decode(errors="replace").splitlines():
                if marker in line:
                    return line, seen
        if proc.poll() is not None:
            break
        time.sleep(0.01)
    raise RuntimeError("no '%s' from %s: %r" % (marker, proc.args, seen[-500:]))


def port_of(line):
    return int(line.rsplit(":", 1)[1].split()[0])


def interrupt(proc):
    """Signals proc; returns (status, seconds to exit) — status None if it did not exit in 3 s."""
    sent = time.monotonic()
    proc.send_signal(SIGNUM)
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None, 3.0
    status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    return status, time.monotonic() - sent


def scenario_connect_dropped():
    rules = "table ip f {\n chain in {\n  type filter hook input priority 0;\n  tcp dport 9 drop\n }\n}\n"
    script = "ip link set lo up && printf '%s' \"$RULES\" | nft -f - && exec \"$SOCKSCOPE\" connect -v 127.0.0.1 9"
    env = dict(os.environ, RULES=rules, SOCKSCOPE=SOCKSCOPE)
    proc = subprocess.Popen(["unshare", "--net", "sh", "-c", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    wait_for_stderr(proc, "socket(")
    time.sleep(0.3)  # connect() has sent its SYN and waits
    return proc, []


def scenario_probe_rate():
    proc = start([SOCKSCOPE, "probe", "--rate", "5", "127.0.0.1", "1-200"])
    time.sleep(0.5)
    return proc, []


def scenario_probe_huge():
    # 127.0.0.0/16 x every port: 4.3 billion probes, scanned in bounded batches.
    proc = start([SOCKSCOPE, "probe", "-q", "--rate", "5000", "127.0.0.0/16", "-"])  # paced: the suite runs beside it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until probes are in flight (parsing 65,536 targets comes first)
        try:
            if len(os.listdir("/proc/%d/fd" % proc.pid)) > 7:  # 0-2, the signal pipe, then the loops and probes
                break
        except OSError:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    return proc, []


def scenario_send_quiet():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    proc = start([SOCKSCOPE, "send", "127.0.0.1", str(receiver.getsockname()[1])], stdin=subprocess.PIPE)
    time.sleep(0.3)
    return proc, [receiver]


def scenario_listen_frame():
    proc = start([SOCKSCOPE, "listen", "--frame", "line", "127.0.0.1", "0"])
    wait_for_stderr(proc, "listening on")
    return proc, []


def scenario_recv():
    proc = start([SOCKSCOPE, "recv", "127.0.0.1", "0"])
    wait_for_stderr(proc, "receiving on")
    return proc, []


def scenario_udp_listener():
    proc = start([SOCKSCOPE, "listen", "-u", "127.0.0.1", "0"], stdin=subprocess.PIPE)
    wait_for_stderr(proc, "listening on")
    return proc, []


def scenario_keep_open_after_client():
    proc = start([SOCKSCOPE, "listen", "-k", "--echo", "127.0.0.1", "0"])
    line, _ = wait_for_stderr(proc, "listening on")
    with socket.create_connection(("127.0.0.1", port_of(line)), timeout=5) as client:
        client.sendall(b"ping\n")
        client.recv(16)
    time.sleep(0.002)
    return proc, []


def scenario_exec_child():
    proc = start([SOCKSCOPE, "listen", "-k", "-c", "exec sleep 30", "127.0.0.1", "0"])
    line, _ = wait_for_stderr(proc, "listening on")
    client = socket.create_connection(("127.0.0.1", port_of(line)), timeout=5)
    time.sleep(0.3)
    return proc, [client]


def scenario_bpf_compile():
    # 3,000 terms: libpcap's optimiser takes minutes; Ctrl-C must not wait for it.
    expression = " or ".join("port %d" % port for port in range(1, 3001))
    proc = start([SOCKSCOPE, "tap", expression])
    time.sleep(1.0)
    return proc, []


def scenario_tap_idle():
    proc = start([SOCKSCOPE, "tap", "tcp port 1"])
    wait_for_stderr(proc, "capturing on")
    return proc, []


def scenario_follow_timewait():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    proc = start([SOCKSCOPE, "connect", "--follow-timewait", "127.0.0.1", str(server.getsockname()[1])])
    connection, _ = server.accept()
    connection.recv(16)  # the client's FIN (stdin is empty)
    connection.close()
    wait_for_stderr(proc, "TIME-WAIT,", timeout=15)
    return proc, [server]


def peak_memory_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_of(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def child_gone(pid, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.02)
    return False


def main():
    make = globals()["scenario_" + SCENARIO.replace("-", "_")]
    statuses, worst, misses, stderr, notes = [], 0.0, 0, "", []
    for _ in range(REPEAT):
        proc, keep = make()
        children = children_of(proc.pid)
        hwm = peak_memory_kb(proc.pid)
        if hwm > 300 * 1024:
            notes.append("peak memory %d KiB before the signal" % hwm)
        status, seconds = interrupt(proc)
        statuses.append(status)
        worst = max(worst, seconds)
        if status != 128 + SIGNUM or seconds > LIMIT:
            misses += 1
        try:
            os.set_blocking(proc.stderr.fileno(), True)
        except (OSError, ValueError):
            pass
        stderr = proc.stderr.read().decode(errors="replace")[-2000:]
        for child in children:
            if not child_gone(child):
                notes.append("child %d outlived the server" % child)
                os.kill(child, signal.SIGKILL)
        if SCENARIO == "send-quiet":
            keep[0].settimeout(0.2)
            try:
                keep[0].recv(100)
                notes.append("send sent a datagram after the signal")
            except socket.timeout:
                pass
        for item in keep:
            item.close()
    seen = ",".join(str(s) for s in sorted(set(s if s is not None else -1 for s in statuses)))
    print("runs=%d misses=%d statuses=%s worst_seconds=%.3f notes=%d" % (REPEAT, misses, seen, worst, len(notes)))
    for note in notes:
        print("note: " + note)
    print(stderr)


main()
