"""EmulatorConfig: every knob of the emulator, loadable from a JSON file.

Defaults follow qbo-api-facts.md; the values marked (assumption) in README.md were
not found in a primary source and can be changed here.
"""

import dataclasses
import json
from dataclasses import dataclass, field

DEFAULT_REDIRECT_URIS = [
    "http://localhost:8069/qbo/oauth/callback",
    "http://127.0.0.1:8069/qbo/oauth/callback",
]


def default_apps():
    return [
        {
            "client_id": "emulator-client-id",
            "client_secret": "emulator-client-secret",
            "name": "Emulator App",
            "redirect_uris": list(DEFAULT_REDIRECT_URIS),
        }
    ]


def default_companies():
    return [
        {
            "realm_id": "9130357766900001",
            "template": "us",
            "CompanyName": "Sandbox Company US",
            "Country": "US",
            "HomeCurrency": "USD",
            "multicurrency": False,
        },
        {
            "realm_id": "9130357766900002",
            "template": "ca",
            "CompanyName": "Sandbox Company CA",
            "Country": "CA",
            "HomeCurrency": "CAD",
            "multicurrency": False,
        },
        {
            "realm_id": "9130357766900003",
            "template": "empty",
            "CompanyName": "Empty Company US",
            "Country": "US",
            "HomeCurrency": "USD",
            "multicurrency": False,
        },
    ]


@dataclass
class EmulatorConfig:
    db_path: str = ":memory:"
    apps: list = field(default_factory=default_apps)
    companies: list = field(default_factory=default_companies)

    # OAuth lifetimes, in seconds
    auth_code_ttl: int = 300
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 100 * 86400
    refresh_token_hard_ttl: int = 5 * 365 * 86400
    # "always": a new refresh token on every refresh; "daily": the same one until 24 h old
    refresh_rotation: str = "always"
    # how long a superseded refresh token still works (documented 24 h, reported 0)
    refresh_grace_seconds: int = 0

    # per-realm limits; limits_enabled switches all three off at once
    limits_enabled: bool = True
    requests_per_minute: int = 500
    concurrent_requests: int = 10
    batch_calls_per_minute: int = 40
    throttle_format: str = "json"  # "json" | "xml"
    # Retry-After header (seconds) on a 429; 0 sends none (QBO's documented answer: a body
    # saying "Wait 60 seconds and retry", no header)
    throttle_retry_after: int = 0

    batch_max_items: int = 30
    query_max_results: int = 1000
    cdc_max_days: int = 30
    cdc_max_objects: int = 1000
    requestid_max_length: int = 50

    # fault injection: {"seed", "rates": {kind: probability}, "latency_ms": [min, max],
    # "realms", "methods", "paths", "entities"}; see faults.FaultInjector
    fault_injection: dict = field(default_factory=dict)
    # a "timeout" fault holds the request this long, then drops it (QBO cuts at 120 s)
    timeout_hold_seconds: float = 125.0

    # webhooks: no notifications while webhook_url is empty
    webhook_url: str = ""
    webhook_verifier_token: str = ""
    webhook_format: str = "cloudevents"  # "cloudevents" | "legacy"
    webhook_batch_window_seconds: float = 0.5
    # seconds to wait before each retry; QBO's real schedule spreads over hours
    webhook_retry_schedule: list = field(default_factory=lambda: [1, 5, 30])
    webhook_timeout_seconds: float = 3.0

    # fields PATCH /_emulator/config may change at run time
    RUNTIME_FIELDS = (
        "auth_code_ttl",
        "access_token_ttl",
        "refresh_token_ttl",
        "refresh_token_hard_ttl",
        "refresh_rotation",
        "refresh_grace_seconds",
        "limits_enabled",
        "requests_per_minute",
        "concurrent_requests",
        "batch_calls_per_minute",
        "throttle_format",
        "throttle_retry_after",
        "batch_max_items",
        "query_max_results",
        "cdc_max_days",
        "cdc_max_objects",
        "timeout_hold_seconds",
        "fault_injection",
        "webhook_url",
        "webhook_verifier_token",
        "webhook_format",
        "webhook_batch_window_seconds",
        "webhook_retry_schedule",
        "webhook_timeout_seconds",
    )

    def __post_init__(self):
        self.validate()

    def validate(self):
        if self.refresh_rotation not in ("always", "daily"):
            raise ValueError("refresh_rotation must be 'always' or 'daily'")
        if self.throttle_format not in ("json", "xml"):
            raise ValueError("throttle_format must be 'json' or 'xml'")
        if self.webhook_format not in ("cloudevents", "legacy"):
            raise ValueError("webhook_format must be 'cloudevents' or 'legacy'")

    @classmethod
    def from_dict(cls, data):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError("unknown config keys: %s" % ", ".join(sorted(unknown)))
        return cls(**data)

    @classmethod
    def from_file(cls, path, **overrides):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        data.update(overrides)
        return cls.from_dict(data)

    def to_dict(self):
        return dataclasses.asdict(self)

    def patch(self, changes):
        """Apply run-time changes; refuses fields that only matter at start (db, seed)."""
        refused = set(changes) - set(self.RUNTIME_FIELDS)
        if refused:
            raise ValueError("not changeable at run time: %s" % ", ".join(sorted(refused)))
        previous = {name: getattr(self, name) for name in changes}
        for name, value in changes.items():
            setattr(self, name, value)
        try:
            self.validate()
        except ValueError:
            for name, value in previous.items():
                setattr(self, name, value)
            raise
