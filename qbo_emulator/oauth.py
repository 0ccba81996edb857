"""OAuth 2.0 authorization server as Intuit runs it: discovery, authorize page, tokens, revoke."""

import base64
import html
import json
import secrets
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from .faults import gateway_fault
from .store import qbo_time

SCOPE = "com.intuit.quickbooks.accounting"
ROLLING_DAILY_SECONDS = 86400


def json_response(payload, status=200, headers=None):
    return Response(json.dumps(payload), status=status, headers=headers, content_type="application/json")


def oauth_error(error, description=None, status=400):
    payload = {"error": error}
    if description:
        payload["error_description"] = description
    return json_response(payload, status)


def error_page(title, detail, status=400):
    body = "<!doctype html><html><head><title>%s</title></head><body><h1>%s</h1><p>%s</p></body></html>" % (
        html.escape(title),
        html.escape(title),
        html.escape(detail),
    )
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def redirect(location):
    return Response("", status=302, headers={"Location": location})


def with_query(uri, params):
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


class AuthFailure(Exception):
    """A bearer token the gateway refuses: carries the HTTP status, code and detail."""

    def __init__(self, status, code, detail):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail

    def body(self, now_iso):
        return gateway_fault(self.code, self.status, self.detail, now_iso)


class OAuthServer:
    def __init__(self, config, store, clock, stats):
        self.config = config
        self.store = store
        self.clock = clock
        self.stats = stats

    # ------------------------------------------------------------------ apps
    def add_app(self, client_id, client_secret, redirect_uris, name=None):
        if not client_id or not client_secret or not isinstance(redirect_uris, list) or not redirect_uris:
            raise ValueError("client_id, client_secret and a non-empty redirect_uris list are required")
        with self.store.db() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO apps (client_id, client_secret, name, redirect_uris) VALUES (?, ?, ?, ?)",
                (client_id, client_secret, name or client_id, json.dumps(redirect_uris)),
            )
        return {"client_id": client_id, "name": name or client_id, "redirect_uris": redirect_uris}

    def _app(self, conn, client_id):
        row = conn.execute(
            "SELECT client_secret, name, redirect_uris FROM apps WHERE client_id=?", (client_id,)
        ).fetchone()
        if not row:
            return None
        return {"client_id": client_id, "client_secret": row[0], "name": row[1], "redirect_uris": json.loads(row[2])}

    # ------------------------------------------------------------- discovery
    @staticmethod
    def discovery(base_url):
        return {
            "issuer": base_url + "/op/v1",
            "authorization_endpoint": base_url + "/connect/oauth2",
            "token_endpoint": base_url + "/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": base_url + "/v1/openid_connect/userinfo",
            "revocation_endpoint": base_url + "/v2/oauth2/tokens/revoke",
            "jwks_uri": base_url + "/oauth2/v1/keys",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": [
                "openid",
                "email",
                "profile",
                "address",
                "phone",
                SCOPE,
                "com.intuit.quickbooks.payment",
            ],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }

    # ------------------------------------------------------------- authorize
    def _check_authorize(self, params):
        """(app, None) or (None, error page): never redirect to an unverified URI."""
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        with self.store.lock:
            app = self._app(self.store.conn, client_id)
        if app is None:
            return None, error_page("Invalid client", "Unknown client_id %r." % client_id)
        if redirect_uri not in app["redirect_uris"]:
            return None, error_page(
                "Invalid redirect_uri", "The redirect_uri %r is not registered for this app." % redirect_uri
            )
        if params.get("response_type") != "code":
            return None, error_page("Invalid request", "response_type must be 'code'.")
        return app, None

    def authorize_page(self, params):
        app, error = self._check_authorize(params)
        if error:
            return error
        options = "".join(
            '<option value="%s">%s (%s)</option>' % (html.escape(realm), html.escape(name), html.escape(realm))
            for realm, name in self._company_names()
        )
        hidden = "".join(
            '<input type="hidden" name="%s" value="%s">' % (key, html.escape(params.get(key, "")))
            for key in ("client_id", "redirect_uri", "response_type", "scope", "state")
        )
        body = (
            "<!doctype html><html><head><title>Connect to QuickBooks</title></head><body>"
            "<h1>%s wants to connect to your QuickBooks company</h1>"
            '<form method="post" action="/connect/oauth2">%s'
            '<label for="realm_id">Company</label> <select id="realm_id" name="realm_id">%s</select>'
            '<button type="submit" name="decision" value="approve">Approve</button>'
            '<button type="submit" name="decision" value="deny">Deny</button>'
            "</form></body></html>" % (html.escape(app["name"]), hidden, options)
        )
        return Response(body, content_type="text/html; charset=utf-8")

    def _company_names(self):
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT r.realm_id, o.data FROM realms r LEFT JOIN objects o ON o.realm = r.realm_id "
                "AND o.entity = 'CompanyInfo' AND o.deleted = 0 ORDER BY r.created, r.realm_id"
            ).fetchall()
        return [(realm, json.loads(data).get("CompanyName", realm) if data else realm) for realm, data in rows]

    def authorize_decision(self, params, approve):
        """The form's POST (and /connect/oauth2/approve): redirect back with a code or an error."""
        _, error = self._check_authorize(params)
        if error:
            return error
        redirect_uri, state = params["redirect_uri"], params.get("state", "")
        if not approve:
            return redirect(with_query(redirect_uri, {"error": "access_denied", "state": state}))
        realm = params.get("realm_id") or params.get("realmId", "")
        if not self.store.realm_exists(realm):
            return error_page("Unknown company", "No company with realm id %r." % realm)
        code = "AB11" + secrets.token_urlsafe(32)
        with self.store.db() as conn:
            conn.execute(
                "INSERT INTO auth_codes (code, client_id, redirect_uri, realm, expires) VALUES (?, ?, ?, ?, ?)",
                (code, params["client_id"], redirect_uri, realm, self.clock.timestamp() + self.config.auth_code_ttl),
            )
        return redirect(with_query(redirect_uri, {"code": code, "state": state, "realmId": realm}))

    # ----------------------------------------------------------------- tokens
    def _client_from_basic(self, conn, header):
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            client_id, _, secret = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        app = self._app(conn, client_id)
        if app is None or not secrets.compare_digest(app["client_secret"], secret):
            return None
        return app

    def _issue(self, conn, grant_id, now, refresh_token=None):
        """New access token (+ a new refresh token unless one is passed) for a grant."""
        access = "eyJlbXUiOiIxIn0." + secrets.token_urlsafe(48)
        conn.execute(
            "INSERT INTO access_tokens (token, grant_id, expires) VALUES (?, ?, ?)",
            (access, grant_id, now + self.config.access_token_ttl),
        )
        hard_expires = conn.execute("SELECT hard_expires FROM grants WHERE id=?", (grant_id,)).fetchone()[0]
        if refresh_token is None:
            conn.execute(
                "UPDATE refresh_tokens SET superseded=? WHERE grant_id=? AND superseded IS NULL", (now, grant_id)
            )
            refresh_token = "RT1-" + secrets.token_urlsafe(40)
            conn.execute(
                "INSERT INTO refresh_tokens (token, grant_id, issued, expires) VALUES (?, ?, ?, ?)",
                (refresh_token, grant_id, now, min(now + self.config.refresh_token_ttl, hard_expires)),
            )
        refresh_expires = conn.execute("SELECT expires FROM refresh_tokens WHERE token=?", (refresh_token,)).fetchone()[
            0
        ]
        return {
            "access_token": access,
            "refresh_token": refresh_token,
            "token_type": "bearer",
            "expires_in": int(self.config.access_token_ttl),
            "x_refresh_token_expires_in": int(refresh_expires - now),
        }, hard_expires

    def _new_grant(self, conn, client_id, realm, now):
        cursor = conn.execute(
            "INSERT INTO grants (client_id, realm, created, hard_expires) VALUES (?, ?, ?, ?)",
            (client_id, realm, now, now + self.config.refresh_token_hard_ttl),
        )
        return cursor.lastrowid

    def connected_apps(self, realm):
        """The client ids of the apps connected to the company ``realm`` (granted access once)."""
        with self.store.db() as conn:
            rows = conn.execute("SELECT DISTINCT client_id FROM grants WHERE realm=?", (realm,)).fetchall()
        return [row[0] for row in rows]

    def mint(self, client_id, realm):
        """Connect an app to a company without the browser dance (inspection API)."""
        if not self.store.realm_exists(realm):
            raise ValueError("unknown realm %r" % realm)
        now = self.clock.timestamp()
        with self.store.db() as conn:
            if self._app(conn, client_id) is None:
                raise ValueError("unknown client_id %r" % client_id)
            answer, _ = self._issue(conn, self._new_grant(conn, client_id, realm, now), now)
        answer["realm_id"] = realm
        return answer

    def token(self, request):
        """POST /oauth2/v1/tokens/bearer; annotates request.qbo_log with grant_type and realm."""
        form = request.form
        grant_type = form.get("grant_type", "")
        request.qbo_log["grant_type"] = grant_type
        now = self.clock.timestamp()
        with self.store.db() as conn:
            app = self._client_from_basic(conn, request.headers.get("Authorization"))
            if app is None:
                return oauth_error("invalid_client", status=401)
            if grant_type == "authorization_code":
                result = self._grant_code(conn, app, form, now)
            elif grant_type == "refresh_token":
                result = self._grant_refresh(conn, app, form, now, request.qbo_log)
            else:
                return oauth_error("unsupported_grant_type")
        if isinstance(result, Response):
            if grant_type == "refresh_token" and request.qbo_log.get("realm"):
                self.stats.count(request.qbo_log["realm"], "token_refresh_failures")
            return result
        answer, hard_expires, realm = result
        request.qbo_log["realm"] = realm
        if grant_type == "refresh_token":
            self.stats.count(realm, "token_refreshes")
        if request.headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true":
            answer["x_refresh_token_hard_expires_in"] = int(hard_expires - now)
        return json_response(answer)

    def _grant_code(self, conn, app, form, now):
        row = conn.execute(
            "SELECT client_id, redirect_uri, realm, expires, used FROM auth_codes WHERE code=?", (form.get("code", ""),)
        ).fetchone()
        if row is None or row[0] != app["client_id"]:
            return oauth_error("invalid_grant", "Token invalid")
        client_id, redirect_uri, realm, expires, used = row
        if used:
            return oauth_error("invalid_grant", "Authorization code already used")
        if now > expires:
            return oauth_error("invalid_grant", "Authorization code expired")
        if form.get("redirect_uri") != redirect_uri:
            return oauth_error("invalid_grant", "redirect_uri does not match the authorization request")
        conn.execute("UPDATE auth_codes SET used=1 WHERE code=?", (form["code"],))
        answer, hard_expires = self._issue(conn, self._new_grant(conn, client_id, realm, now), now)
        return answer, hard_expires, realm

    def _grant_refresh(self, conn, app, form, now, request_log):
        row = conn.execute(
            "SELECT t.grant_id, t.expires, t.superseded, g.client_id, g.realm, g.revoked "
            "FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.token=?",
            (form.get("refresh_token", ""),),
        ).fetchone()
        if row is None or row[3] != app["client_id"]:
            return oauth_error("invalid_grant", "Token invalid")
        grant_id, expires, superseded, _, realm, revoked = row
        request_log["realm"] = realm
        if revoked:
            return oauth_error("invalid_grant", "Token revoked")
        if now > expires:
            return oauth_error("invalid_grant", "Token expired")
        if superseded is not None and now > superseded + self.config.refresh_grace_seconds:
            return oauth_error("invalid_grant", "Token invalid")
        keep = None
        if self.config.refresh_rotation == "daily":
            newest = conn.execute(
                "SELECT token, issued FROM refresh_tokens WHERE grant_id=? ORDER BY issued DESC, rowid DESC LIMIT 1",
                (grant_id,),
            ).fetchone()
            if now - newest[1] < ROLLING_DAILY_SECONDS:
                keep = newest[0]
        answer, hard_expires = self._issue(conn, grant_id, now, refresh_token=keep)
        return answer, hard_expires, realm

    def revoke(self, request):
        """Kill the whole grant of the token (if it belongs to the calling app); always 200."""
        try:
            token = json.loads(request.get_data(as_text=True) or "{}").get("token")
        except (ValueError, AttributeError):
            token = None
        with self.store.db() as conn:
            app = self._client_from_basic(conn, request.headers.get("Authorization"))
            if app is None:
                return oauth_error("invalid_client", status=401)
            if not token:
                return oauth_error("invalid_request", "token is required")
            row = conn.execute(
                "SELECT g.id, g.realm FROM grants g WHERE g.client_id=? AND g.id IN ("
                "SELECT grant_id FROM refresh_tokens WHERE token=? UNION "
                "SELECT grant_id FROM access_tokens WHERE token=?)",
                (app["client_id"], token, token),
            ).fetchone()
            if row:
                conn.execute("UPDATE grants SET revoked=1 WHERE id=?", (row[0],))
                request.qbo_log["realm"] = row[1]
        return Response("", status=200)

    # ------------------------------------------------------------ bearer auth
    def authenticate(self, authorization, realm):
        """The realm a bearer token may use; raises AuthFailure as the gateway would."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthFailure(401, "3200", "Token invalid: no bearer token")
        token = authorization[7:].strip()
        with self.store.lock:
            row = self.store.conn.execute(
                "SELECT a.expires, g.realm, g.revoked FROM access_tokens a JOIN grants g "
                "ON g.id = a.grant_id WHERE a.token=?",
                (token,),
            ).fetchone()
        if row is None:
            raise AuthFailure(401, "3200", "Token invalid: unknown access token")
        expires, token_realm, revoked = row
        if revoked:
            raise AuthFailure(401, "3200", "Token revoked")
        if self.clock.timestamp() > expires:
            raise AuthFailure(401, "3200", "Token expired: %s..." % token[:20])
        if token_realm != realm:
            raise AuthFailure(403, "3100", "The token does not grant access to company %s" % realm)
        return token_realm

    def userinfo(self, authorization):
        token = (authorization or "")[7:].strip()
        with self.store.lock:
            row = self.store.conn.execute(
                "SELECT g.realm, a.expires, g.revoked FROM access_tokens a JOIN grants g "
                "ON g.id = a.grant_id WHERE a.token=?",
                (token,),
            ).fetchone()
        if row is None or row[2] or self.clock.timestamp() > row[1]:
            return json_response(gateway_fault("3200", 401, "Token invalid", qbo_time(self.clock.now())), 401)
        return json_response(
            {
                "sub": "emulator-user-" + row[0],
                "givenName": "Emulator",
                "familyName": "User",
                "email": "user@example.invalid",
                "emailVerified": True,
            }
        )
