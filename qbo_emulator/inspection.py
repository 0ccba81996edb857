"""The inspection and control API under /_emulator/ (JSON, no auth, loopback only)."""

import ipaddress
import json

from . import accounting
from .oauth import json_response
from .store import parse_time, qbo_time


class InspectionError(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def _body(request):
    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError:
        raise InspectionError("body must be JSON") from None
    if not isinstance(body, (dict, list)):
        raise InspectionError("body must be a JSON object")
    return body


class Inspection:
    def __init__(self, emulator):
        self.emu = emulator
        self.routes = {
            ("POST", "reset"): self.reset,
            ("GET", "realms"): self.realms,
            ("POST", "companies"): self.companies,
            ("POST", "apps"): self.apps,
            ("POST", "mint"): self.mint,
            ("GET", "clock"): self.clock,
            ("POST", "clock"): self.clock,
            ("GET", "requests"): self.requests,
            ("DELETE", "requests"): self.clear_requests,
            ("GET", "stats"): self.stats,
            ("GET", "config"): self.config,
            ("PATCH", "config"): self.config,
            ("GET", "faults"): self.faults,
            ("POST", "faults"): self.faults,
            ("DELETE", "faults"): self.faults,
            ("POST", "webhooks"): self.webhooks,
            ("GET", "webhooks"): self.webhooks,
            ("GET", "webhooks/deliveries"): self.deliveries,
        }

    def handle(self, request, rest):
        try:
            if not ipaddress.ip_address(request.remote_addr or "0.0.0.0").is_loopback:
                raise InspectionError("the inspection API answers loopback clients only", 403)
            rest = rest.strip("/")
            handler = self.routes.get((request.method, rest))
            if handler is not None:
                return json_response(handler(request))
            parts = rest.split("/")
            if request.method == "GET" and len(parts) == 2:
                return json_response(self.objects(request, *parts))
            raise InspectionError("no such inspection endpoint: %s /_emulator/%s" % (request.method, rest), 404)
        except InspectionError as error:
            return json_response({"error": str(error)}, error.status)
        except (ValueError, TypeError, KeyError) as error:
            return json_response({"error": "%s: %s" % (type(error).__name__, error)}, 400)

    def reset(self, request):
        self.emu.reset()
        return {"reset": True, "realms": self.realms(request)["realms"]}

    def realms(self, request):
        return {"realms": [self.emu.company(realm) for realm, _ in self.emu.store.realms()]}

    def companies(self, request):
        return self.emu.add_company(**_body(request))

    def apps(self, request):
        body = _body(request)
        return self.emu.oauth.add_app(body["client_id"], body["client_secret"], body["redirect_uris"], body.get("name"))

    def mint(self, request):
        body = _body(request)
        client_id = body.get("client_id") or self.emu.config.apps[0]["client_id"]
        return self.emu.oauth.mint(client_id, str(body["realm_id"]))

    def objects(self, request, realm, entity):
        if not self.emu.store.realm_exists(realm):
            raise InspectionError("unknown realm %s" % realm, 404)
        spec = accounting.ENTITIES.get(entity)
        if spec is None:
            raise InspectionError("unknown entity %s" % entity, 404)
        with self.emu.store.transaction(realm) as tx:
            objects = tx.all(spec.name)
        if request.args.get("count"):
            return {"count": len(objects)}
        return {"count": len(objects), "objects": objects}

    def clock(self, request):
        if request.method == "POST":
            body = _body(request)
            if "advance_seconds" in body:
                self.emu.clock.advance(float(body["advance_seconds"]))
            elif "set" in body:
                self.emu.clock.set(parse_time(body["set"]))
            else:
                raise InspectionError("send advance_seconds or set")
        return {"now": qbo_time(self.emu.clock.now()), "offset_seconds": self.emu.clock.offset_seconds}

    def requests(self, request):
        return {"requests": self.emu.requests.entries(int(request.args.get("since", 0)))}

    def clear_requests(self, request):
        self.emu.requests.clear()
        return {"cleared": True}

    def stats(self, request):
        return {"realms": self.emu.stats.snapshot()}

    def config(self, request):
        if request.method == "PATCH":
            changes = _body(request)
            self.emu.config.patch(changes)
            if "fault_injection" in changes:
                self.emu.injector.reseed()
        public = self.emu.config.to_dict()
        for app in public["apps"]:
            app.pop("client_secret", None)
        return public

    def faults(self, request):
        if request.method == "POST":
            body = _body(request)
            for spec in body if isinstance(body, list) else [body]:
                self.emu.injector.add(spec)
        elif request.method == "DELETE":
            self.emu.injector.reset()
            self.emu.config.patch({"fault_injection": {}})
        return {"scripted": self.emu.injector.scripted(), "random": self.emu.config.fault_injection}

    def webhooks(self, request):
        cfg = self.emu.config
        if request.method == "POST" and _body(request).get("client_id"):
            # One Intuit app's webhook endpoint and verifier token.
            body = _body(request)
            try:
                self.emu.webhooks.configure_app(body["client_id"], body.get("url"), body.get("verifier_token"))
            except ValueError as error:
                raise InspectionError(str(error), 400) from None
            return {"apps": self.emu.webhooks.apps()}
        if request.method == "POST":
            body = _body(request)
            self.emu.webhooks.configure(
                body.get("url"), body.get("verifier_token"), body.get("format"), body.get("retry_schedule")
            )
            if "batch_window_seconds" in body:
                cfg.patch({"webhook_batch_window_seconds": float(body["batch_window_seconds"])})
            if "content_type" in body:
                cfg.patch({"webhook_content_type": body["content_type"]})
        return {
            "url": cfg.webhook_url,
            "format": cfg.webhook_format,
            "retry_schedule": cfg.webhook_retry_schedule,
            "batch_window_seconds": cfg.webhook_batch_window_seconds,
            "content_type": cfg.webhook_content_type,
            "apps": self.emu.webhooks.apps(),
        }

    def deliveries(self, request):
        return {"deliveries": self.emu.webhooks.deliveries()}
