"""virtwork tps workload, client side at a level: HTTP GET requests at an
exact rate, for ever.

Usage: python3 virtwork-tps-pace.py URL RATE SECONDS SIZE

Request i is due at start + i/RATE (open loop: a slow answer does not push
the next request back), so over any stretch the client sends RATE requests
a second however long each takes, as long as WORKERS requests in flight
cover the server's latency. A worker more than a second behind skips the
slots it missed (counted as missed) rather than bursting to catch up, so a
server that was away gets the rate again, not a flood. Each response must be
200 with SIZE bytes. Every SECONDS (and when ended, by timeout at the end of
a segment or by systemd) it prints one line: the requests that completed in
the stretch and their rate.

Standard library only, and Python 3.6 or later: the guests' python3.
"""

import math
import signal
import socket
import sys
import threading
import time
import urllib.parse

# MAX_LAG is how far behind its schedule the client may fall, in seconds,
# before it skips slots instead of catching up.
MAX_LAG = 1.0
# MAX_WORKERS caps the requests in flight (one thread each, mostly asleep).
MAX_WORKERS = 64
# TIMEOUT is a request's connect and read timeout, in seconds.
TIMEOUT = 10


class Pacer:
    """Pacer hands out due times, one per slot, and counts the outcomes."""

    def __init__(self, rate):
        self.rate = rate
        self.lock = threading.Lock()
        self.start = time.monotonic()
        self.slot = 0
        self.since = self.start
        self.ok = self.failed = self.missed = 0
        self.error = ""

    def next_due(self):
        """next_due takes the next slot and returns when it is due."""
        with self.lock:
            now = time.monotonic()
            due = self.start + self.slot / self.rate
            if now - due > MAX_LAG:
                skip = int((now - due) * self.rate)
                self.missed += skip
                self.slot += skip
                due = self.start + self.slot / self.rate
            self.slot += 1
            return due

    def done(self, error):
        """done counts one request: error is "" when it succeeded."""
        with self.lock:
            if error:
                self.failed += 1
                self.error = self.error or error
            else:
                self.ok += 1

    def take(self):
        """take returns the counts since the last take and starts afresh."""
        with self.lock:
            now = time.monotonic()
            out = (self.ok, now - self.since, self.failed, self.missed, self.error)
            self.since = now
            self.ok = self.failed = self.missed = 0
            self.error = ""
            return out


def fetch(host, port, path, size):
    """fetch makes one HTTP/1.0 request on a connection of its own (the
    server closes it after the answer) and returns "" or what was wrong
    with the answer. A raw socket, not http.client, whose header parsing
    would cost several times the CPU of the request itself."""
    request = ("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode()
    chunks = []
    with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
        conn.sendall(request)
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    head, sep, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].split()
    if len(status) < 2 or status[1] != b"200":
        return "answer %r" % head.split(b"\r\n", 1)[0][:80].decode("latin-1")
    if not sep or len(body) != size:
        return "%d bytes, want %d" % (len(body), size)
    return ""


def work(pacer, host, port, path, size):
    """work is one worker: wait for a slot, make its request, for ever."""
    while True:
        delay = pacer.next_due() - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            error = fetch(host, port, path, size)
        except OSError as e:
            error = "%s: %s" % (type(e).__name__, e)
        pacer.done(error)


def report(pacer, url, rate):
    """report prints the line of the stretch since the last one."""
    ok, secs, failed, missed, error = pacer.take()
    line = "virtwork: HTTP requests to %s at %d/s: %d in %.2fs: %.2f requests/s" % (
        url, rate, ok, secs, ok / secs if secs > 0 else 0)
    if failed:
        line += ", %d failed (%s)" % (failed, error)
    if missed:
        line += ", %d missed (the server answered too slowly)" % missed
    print(line, flush=True)


def stop(_signum, _frame):
    raise SystemExit(0)


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: virtwork-tps-pace URL RATE SECONDS SIZE")
    url, rate, seconds, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    if rate < 1 or seconds < 1 or size < 0:
        sys.exit("virtwork-tps-pace: RATE and SECONDS must be at least 1, got %d and %d" % (rate, seconds))
    u = urllib.parse.urlsplit(url)
    signal.signal(signal.SIGTERM, stop)
    pacer = Pacer(rate)
    # Enough requests in flight that each may take 100 ms (at least 4).
    workers = min(MAX_WORKERS, max(4, math.ceil(rate / 10)))
    for _ in range(workers):
        threading.Thread(target=work, args=(pacer, u.hostname, u.port or 80, u.path, size), daemon=True).start()
    n = 0
    try:
        while True:
            n += 1
            delay = pacer.start + n * seconds - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            report(pacer, url, rate)
    finally:
        # The stretch a stop cut short, when it is long enough to say much.
        if time.monotonic() - pacer.since >= 1:
            report(pacer, url, rate)


if __name__ == "__main__":
    main()
