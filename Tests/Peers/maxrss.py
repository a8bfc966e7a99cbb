#!/usr/bin/env python3
"""Runs a command with its standard output to a file and prints its exit status and
peak resident memory (KiB, getrusage's ru_maxrss of the child).

usage: maxrss.py OUTPUT COMMAND [ARGUMENT...]
"""
import resource
import subprocess
import sys

with open(sys.argv[1], "wb") as output:
    status = subprocess.run(sys.argv[2:], stdout=output, timeout=300).returncode
print(status, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True)
