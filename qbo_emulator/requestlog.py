"""What the inspection API reports: the request log and per-realm counters."""

import threading
from collections import defaultdict, deque

# throttled: every 429 answered (the limits' and injected ones); rate_limited: the limits' own
# (what a client pacing itself should bring to 0); injected: faults injected, of any kind
STAT_NAMES = ("requests", "token_refreshes", "token_refresh_failures", "throttled", "rate_limited", "injected")


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts = defaultdict(lambda: dict.fromkeys(STAT_NAMES, 0))

    def count(self, realm, name, amount=1):
        with self._lock:
            self._counts[realm][name] += amount

    def snapshot(self):
        with self._lock:
            return {realm: dict(counts) for realm, counts in self._counts.items()}

    def reset(self):
        with self._lock:
            self._counts.clear()


class RequestLog:
    """A bounded in-memory log; seq keeps growing across clears so clients can poll."""

    def __init__(self, limit=50000):
        self._lock = threading.Lock()
        self._entries = deque(maxlen=limit)
        self._seq = 0

    def add(self, entry):
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)

    def entries(self, since=0):
        with self._lock:
            return [dict(e) for e in self._entries if e["seq"] > since]

    def clear(self):
        with self._lock:
            self._entries.clear()
