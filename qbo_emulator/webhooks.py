"""Signed change notifications (CloudEvents or legacy), batched, retried, loopback only."""

import base64
import hashlib
import hmac
import heapq
import ipaddress
import itertools
import json
import threading
import time
import uuid
from urllib.parse import urlparse

import requests

from .store import qbo_time

PAST_TENSE = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Void": "voided",
    "Merge": "merged",
    "Emailed": "emailed",
}


def is_loopback_url(url):
    """Only loopback targets: this emulator must never send traffic off the machine."""
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return False
    if parsed.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parsed.hostname).is_loopback
    except ValueError:
        return False


def sign(verifier_token, body):
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def cloudevents_body(events):
    return [
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "//quickbooks.api.intuit.com",
            "type": "qbo.%s.%s.v1" % (e["entity"].lower(), PAST_TENSE.get(e["operation"], e["operation"].lower())),
            "time": e["time"],
            "datacontenttype": "application/json",
            "intuitentityid": e["id"],
            "intuitaccountid": e["realm"],
            "data": {},
        }
        for e in events
    ]


def legacy_body(events):
    by_realm = {}
    for e in events:
        by_realm.setdefault(e["realm"], []).append(
            {"name": e["entity"], "id": e["id"], "operation": e["operation"], "lastUpdated": e["time"]}
        )
    return {
        "eventNotifications": [
            {"realmId": realm, "dataChangeEvent": {"entities": entities}} for realm, entities in by_realm.items()
        ]
    }


class Webhooks:
    def __init__(self, config, clock):
        self.config = config
        self.clock = clock
        self._cond = threading.Condition()
        self._pending = []  # events waiting for the batch window
        self._window_started = None
        self._retries = []  # heap of (due monotonic, seq, delivery)
        self._seq = itertools.count()
        self._deliveries = []
        # Intuit configures webhooks per app: client_id -> {"url", "verifier_token"}. Each app gets
        # the changes of the companies it is connected to, signed with its own verifier token.
        self._apps = {}
        self._thread = None
        self._stopping = False
        # deliveries already in flight when a reset happens must not reappear after it
        self._generation = 0
        # ignore HTTP(S)_PROXY from the environment: a proxy would carry loopback traffic elsewhere
        self._session = requests.Session()
        self._session.trust_env = False

    def configure(self, url=None, verifier_token=None, fmt=None, retry_schedule=None):
        if url and not is_loopback_url(url):
            raise ValueError("webhook url must be a loopback http(s) URL: %r" % url)
        changes = {"webhook_url": url or ""}
        if verifier_token is not None:
            changes["webhook_verifier_token"] = verifier_token
        if fmt is not None:
            changes["webhook_format"] = fmt
        if retry_schedule is not None:
            changes["webhook_retry_schedule"] = [float(s) for s in retry_schedule]
        self.config.patch(changes)

    def configure_app(self, client_id, url, verifier_token):
        """The webhook endpoint of one Intuit app (an empty url removes it)."""
        if url and not is_loopback_url(url):
            raise ValueError("webhook url must be a loopback http(s) URL: %r" % url)
        with self._cond:
            if url:
                self._apps[client_id] = {"url": url, "verifier_token": verifier_token or ""}
            else:
                self._apps.pop(client_id, None)

    def apps(self):
        with self._cond:
            return {client_id: dict(app) for client_id, app in self._apps.items()}

    def notify(self, realm, changes, connected_apps=()):
        """Changes of ``realm``: to the emulator-wide URL when set, and to the webhook URL of each
        app among ``connected_apps`` (those connected to the company) that has one."""
        with self._cond:
            targets = [None] if self.config.webhook_url else []
            targets += [client_id for client_id in connected_apps if client_id in self._apps]
        if not targets:
            return
        stamp = qbo_time(self.clock.now())
        with self._cond:
            if self._stopping:
                return
            for target in targets:
                for entity, id, operation in changes:
                    self._pending.append(
                        {
                            "realm": realm,
                            "entity": entity,
                            "id": id,
                            "operation": operation,
                            "time": stamp,
                            "app": target,
                        }
                    )
            if self._window_started is None:
                self._window_started = time.monotonic()
            self._ensure_thread()
            self._cond.notify_all()

    def _ensure_thread(self):
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="qbo-webhooks", daemon=True)
            self._thread.start()

    def deliveries(self):
        with self._cond:
            return [dict(d) for d in self._deliveries]

    def reset(self):
        with self._cond:
            self._pending, self._retries, self._deliveries = [], [], []
            self._apps = {}
            self._window_started = None
            self._generation += 1

    def stop(self):
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._cond:
            self._stopping = False  # an emulator started again delivers again

    def _next_job(self):
        """Block until a batch is due or a retry is due; None when stopping."""
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                waits = []
                if self._pending:
                    due = self._window_started + self.config.webhook_batch_window_seconds
                    if now >= due:
                        events, self._pending, self._window_started = self._pending, [], None
                        deliveries = self._new_deliveries(events)
                        if deliveries:
                            # one delivery per app; those after the first are due at once
                            for delivery in deliveries[1:]:
                                heapq.heappush(self._retries, (now, next(self._seq), delivery))
                            return deliveries[0]
                        continue
                    waits.append(due - now)
                if self._retries:
                    if self._retries[0][0] <= now:
                        return heapq.heappop(self._retries)[2]
                    waits.append(self._retries[0][0] - now)
                self._cond.wait(min(waits) if waits else None)
            return None

    def _new_deliveries(self, events):
        """One delivery per target (the emulator-wide URL, each app's), in the order first seen."""
        by_target = {}
        for event in events:
            by_target.setdefault(event.get("app"), []).append(event)
        deliveries = []
        for target, target_events in by_target.items():
            if target is None:
                url, token = self.config.webhook_url, self.config.webhook_verifier_token
            elif target in self._apps:
                url, token = self._apps[target]["url"], self._apps[target]["verifier_token"]
            else:
                continue  # the app's webhook was removed meanwhile
            if url:
                deliveries.append(self._new_delivery(target_events, url, token, target))
        return deliveries

    def _new_delivery(self, events, url, verifier_token, client_id=None):
        fmt = self.config.webhook_format
        payload = cloudevents_body(events) if fmt == "cloudevents" else legacy_body(events)
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return {
            "id": str(uuid.uuid4()),
            "client_id": client_id,
            "url": url,
            "format": fmt,
            # the legacy format is plain JSON; CloudEvents go as the configuration says
            "content_type": self.config.webhook_content_type if fmt == "cloudevents" else "application/json",
            "body": body,
            "signature": sign(verifier_token, body),
            "events": len(events),
            "attempt": 0,
            "generation": self._generation,
        }

    def _run(self):
        while True:
            delivery = self._next_job()
            if delivery is None:
                return
            self._deliver(delivery)

    def _deliver(self, delivery):
        delivery["attempt"] += 1
        record = {
            "delivery_id": delivery["id"],
            "client_id": delivery.get("client_id"),
            "url": delivery["url"],
            "attempt": delivery["attempt"],
            "format": delivery["format"],
            "events": delivery["events"],
            "signature": delivery["signature"],
            "body": delivery["body"].decode("utf-8"),
            "time": qbo_time(self.clock.now()),
            "status": None,
            "error": None,
        }
        if not is_loopback_url(delivery["url"]):
            record["error"] = "refused: not a loopback URL"
        else:
            try:
                answer = self._session.post(
                    delivery["url"],
                    data=delivery["body"],
                    timeout=self.config.webhook_timeout_seconds,
                    headers={"Content-Type": delivery["content_type"], "intuit-signature": delivery["signature"]},
                )
                record["status"] = answer.status_code
                if not 200 <= answer.status_code < 300:
                    record["error"] = "HTTP %d" % answer.status_code
            except requests.RequestException as error:
                record["error"] = "%s: %s" % (type(error).__name__, error)
        schedule = self.config.webhook_retry_schedule
        retry = (
            record["error"] is not None and delivery["attempt"] <= len(schedule) and is_loopback_url(delivery["url"])
        )
        if retry:
            record["retry_in_seconds"] = schedule[delivery["attempt"] - 1]
        with self._cond:
            if delivery["generation"] != self._generation:
                return
            self._deliveries.append(record)
            if retry and not self._stopping:
                heapq.heappush(
                    self._retries, (time.monotonic() + record["retry_in_seconds"], next(self._seq), delivery)
                )
                self._cond.notify_all()
