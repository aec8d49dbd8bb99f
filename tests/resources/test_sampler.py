"""Readings of a real process tree from /proc: memory, descriptors, threads, TCP connections, CPU, children."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from readiness_harness.checks.resources.sampler import Series, TreeSampler, read_tree

HOLDER = """
import socket, subprocess, sys, threading, time
ballast = bytearray(64 * 1024 * 1024)
for i in range(0, len(ballast), 4096):
    ballast[i] = 1
files = [open(sys.executable, "rb") for _ in range(20)]
listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen()
client = socket.create_connection(listener.getsockname()); server, _ = listener.accept()
threads = [threading.Thread(target=time.sleep, args=(60,), daemon=True) for _ in range(3)]
for thread in threads:
    thread.start()
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print("ready", flush=True)
while True:
    time.sleep(0.1) if sys.argv[1] == "idle" else sum(range(10000))
"""


@pytest.fixture
def holder(request):
    process = subprocess.Popen([sys.executable, "-c", HOLDER, request.param], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield process
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.mark.parametrize("holder", ["idle"], indirect=True)
def test_a_reading_counts_what_the_process_holds(holder):
    reading = read_tree(holder.pid, children=False)
    assert reading is not None and reading.pids == 1
    assert reading.rss_mb >= 64
    assert reading.fds >= 20 + 3  # the files and the three sockets
    assert reading.threads >= 4
    assert reading.connections == 2  # both ends of the connection; the listening socket is not one


@pytest.mark.parametrize("holder", ["idle"], indirect=True)
def test_children_are_counted_with_their_parent_when_asked(holder):
    with_children = read_tree(holder.pid, children=True)
    alone = read_tree(holder.pid, children=False)
    assert with_children is not None and alone is not None
    assert with_children.pids == 2 and with_children.threads > alone.threads and with_children.rss_mb > alone.rss_mb


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process, read here independently of the sampler."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("holder", ["busy"], indirect=True)
def test_cpu_is_the_difference_of_two_readings(holder):
    """The CPU percentages, times their intervals, add up to the CPU time the process used meanwhile
    (however little a shared machine gave it), read independently around the samples."""
    sampler = TreeSampler(Series("holder"), children=False)  # its child may still be starting: not counted here
    origin = time.time()
    before = _cpu_seconds(holder.pid)
    stamps = []
    for index in range(3):
        stamps.append(time.time())
        sampler.sample(holder.pid, stamps[-1], origin)
        if index < 2:
            time.sleep(0.5)
    after = _cpu_seconds(holder.pid)
    values = sampler.series.values["cpu_pct"]
    assert values[0] is None and all(v is not None for v in values[1:]), values
    sampled = sum(v / 100 * (b - a) for v, a, b in zip(values[1:], stamps[:-1], stamps[1:], strict=True))
    assert 0 < sampled <= after - before + 0.03, (sampled, after - before)  # a tick of rounding each side
    assert sampled >= after - before - 0.1, (sampled, after - before)  # only the moments around the samples differ
    assert all(v <= 110 for v in values[1:]), values  # one busy thread: at most a core


def test_a_process_that_is_gone_reads_as_nothing():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=10)
    assert read_tree(process.pid, children=True) is None
