"""The WSGI application: routing, the gateway (auth, limits, injected faults, requestid) and the
Accounting API v3 protocol. The meaning of entities is delegated to the accounting hooks."""

import hashlib
import json
import secrets
import socket
import time
import traceback

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import accounting, query
from .faults import QboFault, Throttled, throttle_body
from .oauth import AuthFailure, OAuthServer, json_response
from .store import parse_time, qbo_time

MIN_MINOR_VERSION = 75
# the smallest well-formed PDF: enough for clients that store or forward the bytes
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)


class DropConnection(Exception):
    """Close the client's socket without an answer (injected reset / timeout / lost reply)."""


def bad_request(detail, element=None):
    return QboFault("2010", "Request has invalid or unsupported property", detail, element=element)


def unsupported(detail):
    return QboFault("500", "Unsupported Operation", detail)


def not_found(entity, id):
    return QboFault(
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. "
        "Check the fields with accounts, customers, items, vendors or employees. "
        "(%s %s)" % (entity, id),
    )


def stale(entity, id):
    return QboFault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and another user were working on the same thing. "
        "(%s %s has a newer SyncToken)" % (entity, id),
    )


def system_error(detail):
    return QboFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: %s" % detail,
        status=500,
        fault_type="SystemFault",
    )


def drop_connection(environ):
    """Shut the socket under Werkzeug's server so the client sees a closed connection,
    then tell the server (ConnectionError is what it treats as a dropped client)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise ConnectionAbortedError("connection dropped by the emulator")


class Application:
    def __init__(self, emulator):
        self.emu = emulator
        self.oauth = OAuthServer(emulator.config, emulator.store, emulator.clock, emulator.stats)
        self.url_map = Map(
            [
                Rule("/.well-known/openid_configuration", endpoint="discovery", methods=["GET"]),
                Rule("/.well-known/openid_sandbox_configuration", endpoint="discovery", methods=["GET"]),
                Rule("/connect/oauth2", endpoint="authorize", methods=["GET", "POST"]),
                Rule("/connect/oauth2/approve", endpoint="approve", methods=["POST"]),
                Rule("/oauth2/v1/tokens/bearer", endpoint="token", methods=["POST"]),
                Rule("/v2/oauth2/tokens/revoke", endpoint="revoke", methods=["POST"]),
                Rule("/v1/openid_connect/userinfo", endpoint="userinfo", methods=["GET"]),
                Rule("/oauth2/v1/keys", endpoint="jwks", methods=["GET"]),
                Rule("/v3/company/<realm>/<path:rest>", endpoint="v3"),
                Rule("/_emulator/<path:rest>", endpoint="inspect"),
            ],
            strict_slashes=False,
        )

    def now_iso(self):
        return qbo_time(self.emu.clock.now())

    # ----------------------------------------------------------------- WSGI
    def __call__(self, environ, start_response):
        request = Request(environ)
        request.qbo_log = {}
        started = time.monotonic()
        try:
            response = self.route(request)
        except DropConnection as drop:
            self.log(request, None, started, dropped=str(drop))
            drop_connection(environ)
        response.headers["intuit_tid"] = "1-%s" % secrets.token_hex(12)
        if not request.path.startswith("/_emulator/"):
            self.log(request, response, started)
        return response(environ, start_response)

    def route(self, request):
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException as error:
            return error.get_response(request.environ)
        base_url = request.host_url.rstrip("/")
        if endpoint == "discovery":
            return json_response(self.oauth.discovery(base_url))
        if endpoint == "authorize":
            if request.method == "GET":
                return self.oauth.authorize_page(request.args)
            return self.oauth.authorize_decision(request.form, request.form.get("decision") == "approve")
        if endpoint == "approve":
            params = request.args.to_dict()
            params.update(request.form.to_dict())
            return self.oauth.authorize_decision(params, params.get("decision", "approve") == "approve")
        if endpoint == "token":
            return self.token_endpoint(request, self.oauth.token)
        if endpoint == "revoke":
            return self.token_endpoint(request, self.oauth.revoke)
        if endpoint == "userinfo":
            return self.oauth.userinfo(request.headers.get("Authorization"))
        if endpoint == "jwks":
            return json_response({"keys": []})
        if endpoint == "inspect":
            return self.emu.inspection.handle(request, args["rest"])
        return self.v3(request, args["realm"], args["rest"])

    def log(self, request, response, started, dropped=None):
        entry = {
            "time": self.now_iso(),
            "method": request.method,
            "path": request.path,
            "realm": None,
            "entity": None,
            "operation": None,
            "status": response.status_code if response is not None else None,
            "fault_code": None,
            "requestid": request.args.get("requestid"),
            "minorversion": request.args.get("minorversion"),
            "grant_type": None,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        if dropped:
            entry["dropped"] = dropped
        entry.update(request.qbo_log)
        self.emu.requests.add(entry)

    # ------------------------------------------------------------------ v3
    def fault_response(self, fault):
        return json_response(fault.envelope(self.now_iso()), fault.status)

    def classify(self, request, rest):
        """(entity, operation) of a v3 call, for the log and the fault-injection filters."""
        parts = rest.strip("/").split("/")
        head = parts[0].lower()
        if head in ("query", "cdc", "batch"):
            return None, head
        if head == "taxservice":
            return "TaxCode", "create"
        spec = accounting.entity_for_path(head)
        entity = spec.name if spec else parts[0]
        if request.method == "GET":
            return entity, "pdf" if parts[-1] == "pdf" else "read"
        operation = request.args.get("operation", "").lower()
        if operation == "delete":
            return entity, "delete"
        if operation == "void" or "void" in request.args.get("include", "").lower().split(","):
            return entity, "void"
        return entity, "write"

    def inject(self, request, realm, entity):
        """Draw an injected fault; reset and timeout happen here, the rest is the caller's."""
        kind, latency = self.emu.injector.draw(realm, request.method, request.path, entity)
        if kind:
            request.qbo_log["injected"] = kind
            if realm:
                self.emu.stats.count(realm, "injected")
        if kind == "reset":
            raise DropConnection("reset")
        if kind == "timeout":
            time.sleep(self.emu.config.timeout_hold_seconds)
            raise DropConnection("timeout")
        return kind, latency

    def token_endpoint(self, request, handler):
        """The OAuth token and revoke endpoints fail too: same injection, no realm filter match."""
        kind, latency = self.inject(request, None, None)
        if latency:
            time.sleep(latency)
        if kind in ("429", "500", "503"):
            return self.injected(kind, None, request)
        response = handler(request)
        if kind == "drop_after_commit":
            raise DropConnection("drop_after_commit")
        return response

    def v3(self, request, realm, rest):
        emu = self.emu
        entity, operation = self.classify(request, rest)
        request.qbo_log.update(realm=realm, entity=entity, operation=operation)
        kind, latency = self.inject(request, realm, entity)
        emu.stats.count(realm, "requests")
        if kind in ("429", "500", "503"):
            return self.injected(kind, realm, request)
        try:
            self.oauth.authenticate(request.headers.get("Authorization"), realm)
        except AuthFailure as failure:
            request.qbo_log["fault_code"] = failure.code
            return json_response(failure.body(self.now_iso()), failure.status)
        is_batch = rest.strip("/").lower() == "batch"
        try:
            emu.limiter.enter(realm, is_batch)
        except Throttled as throttled:
            request.qbo_log["throttled"] = throttled.limit
            emu.stats.count(realm, "rate_limited")
            return self.throttled(realm, request)
        try:
            if latency:  # inside the in-flight window: a slow QBO holds its concurrency slots
                time.sleep(latency)
            response, changes = self.perform(request, realm, rest)
        finally:
            emu.limiter.leave(realm)
        if changes:
            emu.webhooks.notify(realm, changes, emu.oauth.connected_apps(realm))
        if kind == "drop_after_commit":
            raise DropConnection("drop_after_commit")
        return response

    def throttled(self, realm, request):
        if realm:
            self.emu.stats.count(realm, "throttled")
        request.qbo_log["fault_code"] = "3001"
        content_type, body = throttle_body(self.emu.config.throttle_format, self.now_iso())
        response = Response(body, status=429, content_type=content_type)
        if self.emu.config.throttle_retry_after:
            response.headers["Retry-After"] = str(self.emu.config.throttle_retry_after)
        return response

    def injected(self, kind, realm, request):
        if kind == "429":
            return self.throttled(realm, request)
        if kind == "500":
            fault = system_error("injected by the emulator")
            request.qbo_log["fault_code"] = fault.code
            return self.fault_response(fault)
        return Response(
            "<html><body><h1>503 Service Unavailable</h1></body></html>", status=503, content_type="text/html"
        )

    def perform(self, request, realm, rest):
        """Run one v3 call in one transaction; replay a remembered requestid instead."""
        requestid = request.args.get("requestid")
        replayable = bool(requestid) and request.method == "POST"
        try:
            if requestid and len(requestid) > self.emu.config.requestid_max_length:
                raise bad_request("requestid is longer than %d characters" % self.emu.config.requestid_max_length)
            with self.emu.store.transaction(realm) as tx:
                if replayable:
                    reply = tx.reply_for(requestid)
                    if reply is not None:
                        request.qbo_log["replayed"] = True
                        status, content_type, body = reply
                        return Response(body, status=status, content_type=content_type), []
                result = self.operate(request, tx, rest)
                if isinstance(result, Response):
                    return result, []
                body = json.dumps({**result, "time": self.now_iso()})
                if replayable:
                    tx.remember_reply(requestid, 200, "application/json", body.encode("utf-8"))
                changes = list(tx.changes)
        except QboFault as fault:
            request.qbo_log["fault_code"] = fault.code
            return self.fault_response(fault), []
        except Exception:  # a bug in a rule: rolled back, answered as QBO's system error, printed
            traceback.print_exc()
            fault = system_error("unexpected error in the emulator (see its stderr)")
            request.qbo_log["fault_code"] = fault.code
            return self.fault_response(fault), []
        return Response(body, status=200, content_type="application/json"), changes

    def operate(self, request, tx, rest):
        parts = [p for p in rest.split("/") if p]
        head = parts[0].lower()
        include = {v.strip().lower() for v in request.args.get("include", "").split(",") if v.strip()}
        if head == "query" and len(parts) == 1:
            text = request.args.get("query") or request.form.get("query") or request.get_data(as_text=True)
            answer = self.run_query(tx, text)
            if "invoicelink" in include:
                answer = {k: self.invoice_links(tx, v) if k == "Invoice" else v for k, v in answer.items()}
            return {"QueryResponse": answer}
        if head == "cdc" and len(parts) == 1 and request.method == "GET":
            return self.cdc(tx, request.args)
        if head == "batch" and len(parts) == 1 and request.method == "POST":
            return self.batch(tx, self.json_body(request))
        if head == "taxservice" and len(parts) == 2 and parts[1].lower() == "taxcode" and request.method == "POST":
            return accounting.create_tax_code(tx, self.json_body(request))
        spec = accounting.entity_for_path(head)
        if spec is None:
            raise unsupported("Operation %s /%s is not supported." % (request.method, rest))
        if request.method == "GET":
            if len(parts) == 1 and spec.kind == "singleton":
                return {spec.name: self.singleton(tx, spec)}
            if len(parts) == 2:
                obj = self.read(tx, spec, parts[1])
                if spec.name == "Invoice" and "invoicelink" in include:
                    obj = self.invoice_links(tx, [obj])[0]
                return {spec.name: obj}
            if len(parts) == 3 and parts[2].lower() == "pdf":
                self.read(tx, spec, parts[1])
                return Response(TINY_PDF, content_type="application/pdf")
        elif request.method == "POST" and len(parts) == 1:
            return {
                spec.name: self.write(
                    tx, spec, self.json_body(request), request.args.get("operation", "").lower(), include
                )
            }
        raise unsupported("Operation %s /%s is not supported." % (request.method, rest))

    @staticmethod
    def json_body(request):
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError as error:
            raise bad_request("Request body is not valid JSON: %s" % error) from None
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        return body

    def singleton(self, tx, spec):
        obj = tx.company_info() if spec.name == "CompanyInfo" else tx.preferences()
        if obj is None:
            raise not_found(spec.name, "")
        return obj

    def read(self, tx, spec, id):
        if spec.name == "CompanyInfo" and id == tx.realm:
            return self.singleton(tx, spec)
        obj = tx.get(spec.name, id)
        if obj is None:
            raise not_found(spec.name, id)
        return obj

    @staticmethod
    def invoice_links(tx, invoices):
        """include=invoiceLink: QuickBooks adds InvoiceLink, the customer's link to view and pay the
        invoice online, to invoices it can send (those with a BillEmail); never unless asked. The
        link is stable per company and invoice (nothing is served there: the emulator is offline)."""
        linked = []
        for invoice in invoices:
            invoice = dict(invoice)
            if (invoice.get("BillEmail") or {}).get("Address"):
                token = hashlib.sha256(("%s:%s" % (tx.realm, invoice["Id"])).encode()).hexdigest()
                invoice["InvoiceLink"] = "https://connect.intuit.com/portal/app/CommerceNetwork/view/scs-v1-" + token
            linked.append(invoice)
        return linked

    def write(self, tx, spec, body, operation, include):
        """Create, update (full / sparse), delete or void one object: shared by single calls and batch."""
        entity = spec.name
        if getattr(spec, "read_only", False):
            raise unsupported("%s is read-only through this endpoint." % entity)
        options = {"include": include}
        if spec.kind == "singleton" and not body.get("Id"):
            body = {**body, "Id": self.singleton(tx, spec)["Id"]}
        if not body.get("Id"):
            if operation in ("update", "delete", "void") or "void" in include:
                raise QboFault(
                    "2020",
                    "Required param missing, need to supply the required value for the API",
                    "Required parameter Id is missing in the request",
                    element="Id",
                )
            return accounting.create(tx, entity, body, options)
        if body.get("SyncToken") in (None, ""):
            raise QboFault(
                "2020",
                "Required param missing, need to supply the required value for the API",
                "Required parameter SyncToken is missing in the request",
                element="SyncToken",
            )
        existing = tx.get(entity, body["Id"])
        if existing is None:
            raise not_found(entity, body["Id"])
        if str(body["SyncToken"]) != str(existing.get("SyncToken")):
            raise stale(entity, body["Id"])
        if operation == "delete":
            return accounting.delete(tx, entity, existing)
        if operation == "void" or "void" in include:
            if not getattr(spec, "voidable", False):
                raise unsupported("%s cannot be voided." % entity)
            result = accounting.void(tx, entity, existing)
            tx.changes[:] = [(e, i, "Void" if (e, i) == (entity, existing["Id"]) else op) for e, i, op in tx.changes]
            return result
        sparse = body.get("sparse") in (True, "true")
        return accounting.update(tx, entity, body, existing, sparse, options)

    # --------------------------------------------------------------- query
    def run_query(self, tx, text):
        parsed = query.parse(text, self.emu.config.query_max_results)
        spec = accounting.ENTITIES.get(parsed.entity)
        if spec is None:
            raise query.validation_error("Entity '%s' is not supported (names are case-sensitive)" % parsed.entity)
        ids = parsed.id_candidates()
        rows = tx.all(spec.name) if ids is None else tx.some(spec.name, ids)
        return query.execute(parsed, rows, name_list=spec.kind == "name_list")

    # ----------------------------------------------------------------- CDC
    def cdc(self, tx, args):
        names = [n.strip() for n in args.get("entities", "").split(",") if n.strip()]
        if not names or not args.get("changedSince"):
            raise bad_request("cdc needs entities and changedSince")
        try:
            since = parse_time(args["changedSince"]).replace(microsecond=0)
        except ValueError:
            raise bad_request("changedSince is not a valid date/time", element="changedSince") from None
        if (tx.now() - since).total_seconds() > self.emu.config.cdc_max_days * 86400:
            raise QboFault(
                "4001",
                "Invalid Request",
                "changedSince cannot be more than %d days in the past" % self.emu.config.cdc_max_days,
                element="changedSince",
            )
        responses, budget = [], self.emu.config.cdc_max_objects
        for name in names:
            spec = accounting.ENTITIES.get(name) or accounting.entity_for_path(name)
            if spec is None:
                raise bad_request("cdc: unknown entity %s" % name, element="entities")
            changed = tx.changed_since(spec.name, since)[: max(budget, 0)]
            budget -= len(changed)
            responses.append({spec.name: changed, "startPosition": 1, "maxResults": len(changed)} if changed else {})
        return {"CDCResponse": [{"QueryResponse": responses}]}

    # --------------------------------------------------------------- batch
    def batch(self, tx, body):
        items = body.get("BatchItemRequest")
        if not isinstance(items, list) or not items:
            raise bad_request("BatchItemRequest must be a non-empty list", element="BatchItemRequest")
        if len(items) > self.emu.config.batch_max_items:
            raise bad_request(
                "A batch may hold at most %d items; this one has %d" % (self.emu.config.batch_max_items, len(items)),
                element="BatchItemRequest",
            )
        return {"BatchItemResponse": [self.batch_item(tx, item) for item in items]}

    def batch_item(self, tx, item):
        answer = {"bId": item.get("bId")}
        try:
            with tx.savepoint():
                if "Query" in item:
                    answer["QueryResponse"] = self.run_query(tx, item["Query"])
                    return answer
                operation = (item.get("operation") or "create").lower()
                if operation not in ("create", "update", "delete"):
                    raise unsupported("Batch operation %r is not supported" % operation)
                keys = [k for k in item if k not in ("bId", "operation", "optionsData")]
                spec = accounting.ENTITIES.get(keys[0]) if len(keys) == 1 else None
                if spec is None or not isinstance(item[keys[0]], dict):
                    raise bad_request("A batch item needs exactly one entity object")
                body = item[keys[0]]
                if operation == "create" and body.get("Id"):
                    raise bad_request("Id must not be sent on create", element="Id")
                answer[spec.name] = self.write(tx, spec, body, operation, set())
        except QboFault as fault:
            answer["Fault"] = fault.envelope(self.now_iso())["Fault"]
        return answer
