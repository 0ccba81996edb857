"""QBO's fault shapes, per-realm rate limits and deterministic fault injection."""

import json
import random
import threading
import time
from collections import defaultdict, deque


class QboFault(Exception):
    """A fault as QBO reports it; raised by the protocol and by the accounting rules."""

    def __init__(self, code, message, detail="", element=None, status=400, fault_type="ValidationFault"):
        super().__init__("%s %s: %s" % (code, message, detail))
        self.code = str(code)
        self.message = message
        self.detail = detail
        self.element = element
        self.status = status
        self.fault_type = fault_type

    def error(self):
        error = {"Message": self.message, "Detail": self.detail or self.message, "code": self.code}
        if self.element:
            error["element"] = self.element
        return error

    def envelope(self, now_iso):
        return {"Fault": {"Error": [self.error()], "type": self.fault_type}, "time": now_iso}


def gateway_fault(code, status, detail, now_iso):
    """The lowercase shape the API gateway uses for 401/403 (before QBO proper sees the call)."""
    kind = "AuthenticationFailed" if status == 401 else "ApplicationAuthorizationFailed"
    return {
        "fault": {
            "error": [
                {
                    "message": "message=%s; errorCode=%06d; statusCode=%d" % (kind, int(code), status),
                    "detail": detail,
                    "code": str(code),
                }
            ],
            "type": "AUTHENTICATION" if status == 401 else "AUTHORIZATION",
        },
        "time": now_iso,
    }


THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
THROTTLE_DETAIL = "The request limit was reached. Wait 60 seconds and retry."


def throttle_body(fmt, now_iso):
    """(content_type, body) of a 429; QBO has been seen answering it in XML."""
    if fmt == "xml":
        body = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="%s">'
            '<Fault type="SERVICE"><Error code="3001"><Message>%s</Message>'
            "<Detail>%s</Detail></Error></Fault></IntuitResponse>" % (now_iso, THROTTLE_MESSAGE, THROTTLE_DETAIL)
        )
        return "application/xml", body
    fault = QboFault("3001", THROTTLE_MESSAGE, THROTTLE_DETAIL, status=429, fault_type="SERVICE")
    return "application/json", json.dumps(fault.envelope(now_iso))


class Throttled(Exception):
    """A per-realm limit was hit; `limit` names which one (for stats)."""

    def __init__(self, limit):
        super().__init__(limit)
        self.limit = limit


class RateLimiter:
    """Sliding one-minute windows and an in-flight counter, per realm.

    Wall-clock based on purpose: moving the emulator clock (token expiry tests) must not
    release or trip throttling.
    """

    def __init__(self, config):
        self.config = config
        self._lock = threading.Lock()
        self._calls = defaultdict(deque)
        self._batches = defaultdict(deque)
        self._in_flight = defaultdict(int)

    def reset(self):
        with self._lock:
            self._calls.clear()
            self._batches.clear()
            self._in_flight.clear()

    @staticmethod
    def _admit(window, limit, now):
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= limit:
            return False
        window.append(now)
        return True

    def enter(self, realm, is_batch):
        """Count one request in; raises Throttled. Pair every success with leave()."""
        cfg = self.config
        with self._lock:
            if not cfg.limits_enabled:
                self._in_flight[realm] += 1
                return
            if self._in_flight[realm] >= cfg.concurrent_requests:
                raise Throttled("concurrent")
            now = time.monotonic()
            if not self._admit(self._calls[realm], cfg.requests_per_minute, now):
                raise Throttled("per_minute")
            if is_batch and not self._admit(self._batches[realm], cfg.batch_calls_per_minute, now):
                raise Throttled("batch_per_minute")
            self._in_flight[realm] += 1

    def leave(self, realm):
        with self._lock:
            self._in_flight[realm] -= 1


FAULT_KINDS = ("429", "500", "503", "timeout", "reset", "drop_after_commit")


class FaultInjector:
    """Random faults at configured rates (deterministic under a seed) and scripted one-shots.

    Random config (EmulatorConfig.fault_injection):
      {"seed": 1, "rates": {"500": 0.05, "timeout": 0.01, ...}, "latency_ms": [5, 50],
       "realms": [...], "methods": ["POST"], "paths": ["/invoice"], "entities": ["Invoice"]}
    Scripted: add({"kind": "503", "count": 2, "realm"?, "method"?, "path"?, "entity"?,
    "after_previous"?}) takes precedence over the random draw and is consumed request by
    request; with "after_previous" it is armed only once the rule added before it is used up.
    """

    def __init__(self, config):
        self.config = config
        self._lock = threading.Lock()
        self._scripted = []
        self._rng = None  # seeded on first use, so a reset replays the same sequence

    def reset(self):
        with self._lock:
            self._scripted = []
            self._rng = None

    def reseed(self):
        with self._lock:
            self._rng = None

    def add(self, spec):
        kind = str(spec.get("kind"))
        if kind not in FAULT_KINDS:
            raise ValueError("kind must be one of %s" % ", ".join(FAULT_KINDS))
        count = int(spec.get("count", 1))
        if count < 1:
            raise ValueError("count must be >= 1")
        rule = {"kind": kind, "remaining": count}
        for key in ("realm", "method", "path", "entity"):
            if spec.get(key):
                rule[key] = spec[key]
        with self._lock:
            if spec.get("after_previous") and self._scripted:
                # Armed once the rule added before it is used up (a fault that follows another:
                # the lookups after a lost create, not the reads before it).
                rule["after"] = self._scripted[-1]
            self._scripted.append(rule)
        return {key: value for key, value in rule.items() if key != "after"}

    def scripted(self):
        with self._lock:
            return [
                dict({k: v for k, v in rule.items() if k != "after"}, armed=self._armed(rule))
                for rule in self._scripted
            ]

    def _armed(self, rule):
        after = rule.get("after")
        return after is None or not any(other is after for other in self._scripted)

    @staticmethod
    def _matches(filters, realm, method, path, entity):
        """filters: realm/method/path/entity (single values or lists); path is a substring."""

        def accepted(key, value, compare):
            wanted = filters.get(key)
            if not wanted:
                return True
            wanted = wanted if isinstance(wanted, list) else [wanted]
            return any(compare(w, value) for w in wanted)

        return (
            accepted("realm", realm, lambda w, v: w == v)
            and accepted("realms", realm, lambda w, v: w == v)
            and accepted("method", method, lambda w, v: w.upper() == v)
            and accepted("methods", method, lambda w, v: w.upper() == v)
            and accepted("path", path, lambda w, v: w in v)
            and accepted("paths", path, lambda w, v: w in v)
            and accepted("entity", entity, lambda w, v: w == v)
            and accepted("entities", entity, lambda w, v: w == v)
        )

    def draw(self, realm, method, path, entity):
        """(fault kind or None, latency seconds) for one request."""
        with self._lock:
            for rule in self._scripted:
                if self._armed(rule) and self._matches(rule, realm, method, path, entity):
                    rule["remaining"] -= 1
                    if rule["remaining"] == 0:
                        self._scripted.remove(rule)
                    return rule["kind"], 0.0
            settings = self.config.fault_injection or {}
            if not settings or not self._matches(settings, realm, method, path, entity):
                return None, 0.0
            if self._rng is None:
                self._rng = random.Random(settings.get("seed", 0))
            latency = 0.0
            low_high = settings.get("latency_ms")
            if low_high:
                latency = self._rng.uniform(low_high[0], low_high[1]) / 1000.0
            roll = self._rng.random()
            for kind in FAULT_KINDS:
                rate = float(settings.get("rates", {}).get(kind, 0))
                if roll < rate:
                    return kind, latency
                roll -= rate
            return None, latency
