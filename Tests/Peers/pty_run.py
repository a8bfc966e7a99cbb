#!/usr/bin/env python3
"""Runs a command with stdout and stderr on a pseudo-terminal of a given width, and
prints what it wrote (carriage returns removed), for tests of output fitted to a
terminal.

usage: pty_run.py COLUMNS COMMAND [ARGS...]
Exits with the command's status; gives up after 60 s.
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

columns = int(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
output = b""
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.5)
    if ready:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    elif os.waitpid(pid, os.WNOHANG)[0] != 0:
        break
_, status = os.waitpid(pid, 0)
sys.stdout.write(output.decode("utf-8", "replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(status))
