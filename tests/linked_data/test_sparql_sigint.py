"""A SIGINT to the server's process group never makes a SPARQL worker print a traceback.

`registry serve --production` stops quickly on SIGINT, which reaches every process of
its group: the fork server that starts SPARQL workers and the workers themselves. One
caught importing (the fork server preloads pyoxigraph and the query parser) died with a
KeyboardInterrupt traceback in the server's log. Here a process starts a worker from a
thread, as a web request does, while another thread sends SIGINT to the whole group
every few milliseconds until the worker is started; a worker started after it answers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import os, signal, threading
from registry.linked_data.sparql import _Worker

interrupts = []
signal.signal(signal.SIGINT, lambda signum, frame: interrupts.append(signum))
done = threading.Event()

def interrupt():
    while not done.is_set():
        os.killpg(0, signal.SIGINT)
        done.wait(0.005)

def start():
    try:
        _Worker.start(0)  # may end, quietly, on a SIGINT that comes once it is up
    finally:
        done.set()

sender = threading.Thread(target=interrupt)
sender.start()
starter = threading.Thread(target=start)
starter.start()
starter.join()
sender.join()
print("interrupts", len(interrupts) > 0)
worker = _Worker.start(0)  # the fork server lived through the storm
print("reply", worker.call(("reset",), 60))
worker.kill()
"""


def test_a_worker_started_under_a_storm_of_sigint_starts_quietly() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, start_new_session=True)
    assert result.returncode == 0, result.stderr
    assert "reply ('ok',)" in result.stdout
    assert "interrupts True" in result.stdout  # the group really was interrupted
    assert "Traceback" not in result.stderr, result.stderr
    assert "KeyboardInterrupt" not in result.stderr, result.stderr
