"""Emulator: owns the state (config, clock, store, limits, logs, webhooks) and the server thread."""

import copy
import ipaddress
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from . import accounting
from .app import Application
from .config import EmulatorConfig
from .faults import FaultInjector, RateLimiter
from .inspection import Inspection
from .requestlog import RequestLog, Stats
from .store import Clock, Store
from .webhooks import Webhooks

COMPANY_OVERRIDES = ("CompanyName", "Country", "HomeCurrency", "multicurrency")


def is_loopback_host(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class QuietHandler(WSGIRequestHandler):
    """No access log line per request (it costs throughput); a dropped connection ends the keep-alive."""

    def log_request(self, code="-", size="-"):
        pass

    def connection_dropped(self, error, environ=None):
        self.close_connection = True


class Emulator:
    def __init__(self, config=None):
        self.config = config or EmulatorConfig()
        self._initial_config = copy.deepcopy(self.config.to_dict())
        self.clock = Clock()
        self.store = Store(self.config.db_path, self.clock)
        self.stats = Stats()
        self.requests = RequestLog()
        self.limiter = RateLimiter(self.config)
        self.injector = FaultInjector(self.config)
        self.webhooks = Webhooks(self.config, self.clock)
        self.inspection = Inspection(self)
        self.app = Application(self)
        self.oauth = self.app.oauth
        self._server = None
        self._thread = None
        self._company_lock = threading.Lock()
        self.base_url = None
        if not self.store.realms():
            self.seed()

    # ---------------------------------------------------------------- state
    def seed(self):
        for app in self.config.apps:
            self.oauth.add_app(app["client_id"], app["client_secret"], app["redirect_uris"], app.get("name"))
        for company in self.config.companies:
            self.add_company(**company)

    def reset(self):
        """Back to the configured start: data reseeded; tokens, logs, faults, clock, counters cleared."""
        for name, value in copy.deepcopy(self._initial_config).items():
            if name not in ("apps", "companies", "db_path"):
                setattr(self.config, name, value)
        self.webhooks.reset()
        self.injector.reset()
        self.limiter.reset()
        self.stats.reset()
        self.requests.clear()
        self.clock.reset()
        self.store.wipe()
        self.seed()

    def add_company(self, template="us", realm_id=None, **overrides):
        unknown = set(overrides) - set(COMPANY_OVERRIDES)
        if unknown:
            raise ValueError("unknown company fields: %s" % ", ".join(sorted(unknown)))
        if template not in accounting.TEMPLATES:
            raise ValueError("template must be one of %s" % ", ".join(accounting.TEMPLATES))
        with self._company_lock:
            realm_id = str(realm_id or self._next_realm_id())
            if self.store.realm_exists(realm_id):
                raise ValueError("realm %s already exists" % realm_id)
            with self.store.transaction(realm_id) as tx:
                tx.register_realm(template)
                accounting.seed(tx, template)
                self._apply_overrides(tx, overrides)
        return self.company(realm_id)

    def _next_realm_id(self):
        taken = {realm for realm, _ in self.store.realms()}
        candidate = 9130357766900101
        while str(candidate) in taken:
            candidate += 1
        return str(candidate)

    @staticmethod
    def _apply_overrides(tx, overrides):
        info, prefs = tx.company_info(), tx.preferences()
        if info is not None:
            for key in ("CompanyName", "Country"):
                if overrides.get(key):
                    info[key] = overrides[key]
            tx.overwrite("CompanyInfo", info)
        if prefs is not None:
            currency = prefs.setdefault("CurrencyPrefs", {})
            if overrides.get("HomeCurrency"):
                currency["HomeCurrency"] = {"value": overrides["HomeCurrency"]}
            if "multicurrency" in overrides:
                currency["MultiCurrencyEnabled"] = bool(overrides["multicurrency"])
            tx.overwrite("Preferences", prefs)
            if currency.get("MultiCurrencyEnabled"):
                accounting.activate_default_currencies(tx)

    def company(self, realm_id):
        with self.store.transaction(realm_id) as tx:
            info = tx.company_info() or {}
            prefs = tx.preferences() or {}
        currency = prefs.get("CurrencyPrefs", {})
        return {
            "realm_id": realm_id,
            "template": self.store.realm_template(realm_id),
            "CompanyName": info.get("CompanyName"),
            "Country": info.get("Country"),
            "HomeCurrency": (currency.get("HomeCurrency") or {}).get("value"),
            "multicurrency": bool(currency.get("MultiCurrencyEnabled")),
        }

    # --------------------------------------------------------------- server
    def start(self, host="127.0.0.1", port=0):
        if not is_loopback_host(host):
            raise ValueError("the emulator only listens on loopback, not %r" % host)
        if self._server is not None:
            return self.base_url
        self._server = make_server(host, port, self.app, threaded=True, request_handler=QuietHandler)
        self.base_url = "http://%s:%d" % (host, self._server.server_port)
        self._thread = threading.Thread(target=self._server.serve_forever, name="qbo-emulator", daemon=True)
        self._thread.start()
        return self.base_url

    def serve_forever(self, host="127.0.0.1", port=8099):
        """Blocking variant for the CLI."""
        self.start(host, port)
        try:
            self._thread.join()
        finally:
            self.stop()

    def stop(self):
        self.webhooks.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
