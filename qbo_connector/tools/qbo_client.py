"""The one HTTP path between Odoo and QuickBooks Online.

Every request the addon makes — discovery, token, revoke, Accounting API — goes through a
session built here, so that each one has a timeout, leaves exactly one `qbo.sync.log` row
with secrets redacted, and fails with one of the typed errors of `exceptions.py`.
"""

import json
import logging
import re
import threading
import time
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks import exceptions as qb_exceptions

from .. import const
from ..exceptions import (
    QboAuthError,
    QboDuplicateError,
    QboError,
    QboGrantError,
    QboNotFoundError,
    QboRetryableError,
    QboStaleError,
    QboValidationError,
)

_logger = logging.getLogger(__name__)

# Keys whose values never reach a log, in JSON bodies and (with the authorization code)
# in form bodies and query strings. In JSON, "code" is QuickBooks' fault code: keep it.
SECRET_KEYS = frozenset(
    {
        'access_token',
        'refresh_token',
        'client_secret',
        'token',
        'id_token',
        'authorization',
        'password',
    }
)
FORM_SECRET_KEYS = SECRET_KEYS | {'code'}
REDACTED = '***'
# The python-quickbooks calls that can change something in QuickBooks.
_WRITING_CALLS = frozenset(
    {'create_object', 'update_object', 'delete_object', 'misc_operation', 'batch_operation', 'post'}
)
# The writes that carry the object's SyncToken: sent twice, the second is refused as stale (or
# answered from its request id), so a passing fault is cured by sending them again (_call).
_GUARDED_CALLS = frozenset({'update_object', 'delete_object'})
# What QboClient.create() adds to the object QuickBooks answered: it was created by this call
# (qbo.mapping records it as created, not found, for the undo). QuickBooks never sends it.
CREATED_MARK = 'qbo_created_by_odoo'
_EXISTING_ID_RE = re.compile(r'(?:Id|TxnId)=(\d+)')
# 6240: "Another Vendor is already using this name"; 6140: "TxnType=Invoice with TxnId=…".


# ----------------------------------------------------------------------------
# Redaction
# ----------------------------------------------------------------------------


def redact(text, secrets=()):
    """Return ``text`` (a body or URL) with every secret value replaced.

    Structured bodies are redacted by key; then every known secret string (the
    connection's tokens and client secret) is replaced wherever it still appears, so
    that a token echoed in an unexpected place is caught too.
    """
    if text is None:
        return ''
    if isinstance(text, bytes):
        text = text.decode('utf-8', errors='replace')
    text = str(text)
    stripped = text.strip()
    if stripped.startswith(('{', '[')):
        try:
            text = json.dumps(_redact_json(json.loads(stripped)), ensure_ascii=False)
        except ValueError:  # pylint: disable=except-pass; not JSON after all: redacted as text below
            pass
    elif '=' in stripped and not any(c in stripped for c in ' \n/?'):  # a form body
        pairs = parse_qsl(text, keep_blank_values=True)
        if pairs:
            text = urlencode([(k, REDACTED if k.lower() in FORM_SECRET_KEYS else v) for k, v in pairs])
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    return text[: const.LOG_BODY_MAX_CHARS]


def _redact_json(value):
    if isinstance(value, dict):
        return {k: (REDACTED if k.lower() in SECRET_KEYS and v else _redact_json(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    return value


def token_is_fresh(expires_at):
    """Whether an access token expiring at ``expires_at`` (naive UTC, as Odoo stores it)
    is still good for a while."""
    margin = timedelta(seconds=const.ACCESS_TOKEN_MARGIN_SECONDS)
    return bool(expires_at) and expires_at > datetime.now(timezone.utc).replace(tzinfo=None) + margin


def endpoint_of(url, params=None):
    """The path and query of a request (URL + requests' params): what the log keeps of it."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    pairs += list(params.items()) if isinstance(params, dict) else []
    query = urlencode([(k, REDACTED if k.lower() in FORM_SECRET_KEYS else v) for k, v in pairs])
    return parts.path + (f'?{query}' if query else '')


def form_pairs(body):
    return parse_qsl(body, keep_blank_values=True) if isinstance(body, str) else []


# ----------------------------------------------------------------------------
# Sessions: timeout + one log row per request
# ----------------------------------------------------------------------------


class _LoggedSessionMixin:
    """A requests session whose every request has a timeout and is recorded."""

    qbo_recorder = None
    qbo_last_response = None

    def request(self, method, url, **kwargs):
        kwargs.setdefault('timeout', const.REQUEST_TIMEOUT)
        started = time.monotonic()
        try:
            response = super().request(method, url, **kwargs)
        except requests.RequestException as exc:
            self._qbo_log_call(method, url, kwargs, None, exc, time.monotonic() - started)
            raise
        self.qbo_last_response = response
        self._qbo_log_call(method, url, kwargs, response, None, time.monotonic() - started)
        return response

    def _qbo_log_call(self, *args):
        """Logging must never cost a response: a rotated token or a created invoice that
        the caller does not get is worse than a missing log row."""
        if not self.qbo_recorder:
            return
        try:
            self.qbo_recorder(*args)
        except Exception:  # noqa: BLE001
            _logger.exception('QuickBooks: could not write the call log row for %s %s', args[0], endpoint_of(args[1]))


class QboAuthClient(_LoggedSessionMixin, AuthClient):
    """intuitlib's AuthClient on the logged, time-limited session.

    AuthClient fetches the discovery document every time it is built; the document
    changes rarely, so one fetch per process and hour is enough."""

    _discovery_cache = {}
    _discovery_lock = threading.Lock()

    def __init__(self, *args, recorder=None, **kwargs):
        self.qbo_recorder = recorder
        super().__init__(*args, **kwargs)

    def request(self, method, url, **kwargs):
        if method.upper() != 'GET' or url != self.environment:
            return super().request(method, url, **kwargs)
        with self._discovery_lock:
            fetched_at, response = self._discovery_cache.get(url, (None, None))
            if fetched_at is None or time.monotonic() - fetched_at > const.DISCOVERY_CACHE_SECONDS:
                response = super().request(method, url, **kwargs)
                if response.status_code == 200:
                    self._discovery_cache[url] = (time.monotonic(), response)
            return response


class _QboApiSession(_LoggedSessionMixin, requests.Session):
    """What python-quickbooks needs of its session: ``request`` and ``access_token``.

    A plain session rather than requests-oauthlib's: python-quickbooks sets the Bearer
    header itself, and oauthlib would refuse the plain-http base URL of the emulator."""

    def __init__(self, access_token, recorder):
        super().__init__()
        self.access_token = access_token
        self.qbo_recorder = recorder


# ----------------------------------------------------------------------------
# Fault translation
# ----------------------------------------------------------------------------


def translate_quickbooks_error(exc, http_status=None, what='the request', method='GET', retry_after=None):
    """Map a python-quickbooks exception (and the HTTP status seen) to our types.

    :param method: 'POST' for requests that write: a server error answering one of those
        leaves its outcome unknown (the gateway may answer 502 after the backend wrote).
    :param retry_after: the answer's Retry-After header, if any: how long a 429 pauses
    """
    code = getattr(exc, 'error_code', None)
    message = getattr(exc, 'message', None) or str(exc)
    detail = getattr(exc, 'detail', '') or ''
    code_str = str(code or '')
    writes = method == 'POST'
    if http_status == 429 or code_str == '3001':
        # A throttled request was not performed, whatever it was.
        seconds = retry_after_seconds(retry_after) or const.THROTTLE_PAUSE_SECONDS
        return QboRetryableError(
            code_str or '429',
            f'QuickBooks is throttling requests for this company; nothing is sent to it for {seconds} s, '
            'then the work goes on.',
            detail,
            retry_after=seconds,
            throttled=True,
        )
    if http_status == 401 or code_str in ('100', '3200', '401'):
        return QboAuthError(code_str or '401', 'QuickBooks refused our credentials; reconnect the company.', detail)
    if http_status == 403 or code_str == '3100':
        return QboValidationError(
            code_str or '403',
            'QuickBooks refused access to this operation (check the '
            'QuickBooks subscription and the connected user\'s rights).',
            detail,
        )
    # python-quickbooks reports 10000 for any answer it could not read: a server error only
    # when the status says so (or there was none); an HTML page with a 4xx is a wrong address.
    server_side = (http_status and http_status >= 500) or (
        isinstance(code, int) and code >= 10000 and not (http_status and http_status < 500)
    )
    if server_side:
        return QboRetryableError(
            code_str or str(http_status),
            f'QuickBooks had a server error on {what}; it will be retried.',
            detail,
            outcome_unknown=writes,
        )
    if code_str == '10000':
        return QboValidationError(
            code_str,
            f'QuickBooks answered {what} with something that is not its API '
            f'(HTTP {http_status}); check the environment and base URL.',
            detail[:500],
        )
    if code_str == '5010':
        return QboStaleError(code_str, f'The record changed in QuickBooks since it was last read ({what}).', detail)
    if code_str in ('6240', '6140'):
        match = _EXISTING_ID_RE.search(detail)
        return QboDuplicateError(
            code_str,
            f'QuickBooks already has this name or number: {detail or message}',
            detail,
            existing_id=match.group(1) if match else None,
        )
    if code_str in ('610', '2500'):
        return QboNotFoundError(code_str, f'QuickBooks does not know a referenced record: {detail or message}', detail)
    return QboValidationError(code_str, f'QuickBooks refused {what}: {detail or message}', detail)


def retry_after_seconds(value):
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return max(1, int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(1, int((when - datetime.now(timezone.utc)).total_seconds()))


class RequestNeeded(Exception):
    """A call made inside QboClient.no_requests(): nothing was sent."""


def translate_batch_fault(fault, what='the batch item'):
    """A batch item's Fault (QuickBooks' JSON) as one of our errors, through python-quickbooks'
    own reading of a Fault, as a single request's would be."""
    try:
        QuickBooks.handle_exceptions(fault)
    except qb_exceptions.QuickbooksException as exc:
        return translate_quickbooks_error(exc, 200, what, method='POST')
    return translate_quickbooks_error(qb_exceptions.QuickbooksException(str(fault)), 200, what, method='POST')


def translate_transport_error(exc, method):
    """A request that got no HTTP answer. Whether it was performed is unknown when the
    request may have reached QuickBooks (anything past connecting) and it could write."""
    reached = not isinstance(exc, (requests.ConnectTimeout,)) and not (
        isinstance(exc, requests.ConnectionError) and 'Connection refused' in str(exc)
    )
    if isinstance(exc, requests.Timeout):
        return QboRetryableError(
            'timeout',
            'QuickBooks did not answer in time; the work will be retried.',
            str(exc),
            outcome_unknown=reached and method == 'POST',
        )
    return QboRetryableError(
        'connection',
        'The connection to QuickBooks failed; the work will be retried.',
        str(exc),
        outcome_unknown=reached and method == 'POST',
    )


def translate_oauth_error(exc, secrets=()):
    """Map intuitlib's AuthClientError (Intuit's OAuth service answered other than 200) to our
    types: a dead grant or refused app keys (invalid_grant, HTTP 401) -> QboGrantError; any
    other answer -> QboRetryableError coded with the HTTP status."""
    content = exc.content or b''
    detail = redact(content, secrets)
    if b'invalid_grant' in content or exc.status_code == 401:
        oauth_error = 'invalid_grant' if b'invalid_grant' in content else 'invalid_client'
        return QboGrantError(
            f'QuickBooks refused the authorization ({oauth_error}); an administrator must reconnect.',
            detail,
            http_status=exc.status_code,
            oauth_error=oauth_error,
        )
    return QboRetryableError(
        str(exc.status_code), f'The QuickBooks sign-in service failed ({exc.status_code}); try again later.', detail
    )


# ----------------------------------------------------------------------------
# The client
# ----------------------------------------------------------------------------


class QboClient:
    """The HTTP side of one `qbo.connection`: its Intuit app's OAuth service and the
    Accounting API of its QuickBooks company.

    The connection builds it (``qbo.connection._qbo_client``) and keeps every state: the
    client asks ``token_provider`` for access tokens and reports through ``on_write`` and
    ``on_auth_refused``. A token refused by QuickBooks is renewed once and the call retried.
    """

    def __init__(
        self,
        *,
        discovery_url,
        api_url,
        client_id,
        client_secret,
        redirect_uri,
        recorder=None,
        realm_id=None,
        access_token=None,
        token_provider=None,
        on_write=None,
        on_auth_refused=None,
        pacer=None,
    ):
        """:param recorder: called once per HTTP request (see ``_LoggedSessionMixin``) to log it
        :param realm_id: the QuickBooks company the Accounting API calls go to
        :param access_token: a token used as it is, never renewed: the OAuth callback reads the
            company before anything is stored
        :param token_provider: ``token_provider(refused_token=None)`` returns an access token good
            for a while and its expiry (naive UTC); with ``refused_token``, one other than that
            token, which QuickBooks just refused
        :param on_write: called after every call that changed something in QuickBooks
        :param on_auth_refused: called with a message when QuickBooks refuses the renewed token too
        :param pacer: the company's shared rate limits (``qbo.realm.throttle``'s QboPacer): every
            Accounting API request waits for its ``slot()``, and a 429 is reported to ``throttled``
        """
        self.realm_id = realm_id
        self._discovery_url = discovery_url
        self._api_url = api_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        self._recorder = recorder
        self._fixed_token = access_token
        self._token_provider = token_provider
        self._on_write = on_write
        self._on_auth_refused = on_auth_refused
        self._pacer = pacer
        self._offline = False
        self._qb = None
        self._access_token = None
        self._expires_at = None

    # -- OAuth 2.0 --------------------------------------------------------------

    @contextmanager
    def _oauth_errors_translated(self, method, *secrets):
        """intuitlib's errors become ours here, and nowhere else.

        :param method: 'GET' for discovery; 'POST' for token requests, whose lost answer
            leaves it unknown whether Intuit issued (and rotated) tokens
        """
        try:
            yield
        except AuthClientError as exc:
            raise translate_oauth_error(exc, [self._client_secret, *secrets]) from exc
        except requests.RequestException as exc:
            raise translate_transport_error(exc, method) from exc

    def _auth_client(self):
        """A fresh intuitlib AuthClient of the app (its discovery document read, logged)."""
        with self._oauth_errors_translated('GET'):
            return QboAuthClient(
                client_id=self._client_id,
                client_secret=self._client_secret,
                redirect_uri=self._redirect_uri,
                environment=self._discovery_url,
                recorder=self._recorder,
            )

    def authorization_url(self, state):
        """The address of Intuit's consent page for the accounting scope; Intuit sends the
        browser back to the redirect URI with ``state``."""
        return self._auth_client().get_authorization_url([Scopes.ACCOUNTING], state_token=state)

    def exchange_code(self, code, realm_id):
        """The tokens Intuit grants for the authorization ``code`` of the company ``realm_id``,
        as the values to store (see ``_issued_tokens``)."""
        auth_client = self._auth_client()
        with self._oauth_errors_translated('POST', code):
            auth_client.get_bearer_token(code, realm_id=realm_id)
        return _issued_tokens(auth_client)

    def refresh(self, refresh_token):
        """New tokens for ``refresh_token``, which Intuit then retires, as the values to store
        (see ``_issued_tokens``). Raises QboGrantError when Intuit no longer honours the grant."""
        auth_client = self._auth_client()
        with self._oauth_errors_translated('POST', refresh_token):
            try:
                auth_client.refresh(refresh_token=refresh_token)
            except (requests.Timeout, requests.ConnectionError):
                # The answer was lost, maybe after Intuit rotated the token: ask again at once,
                # while the old token may still be honoured, rather than some time later.
                auth_client.refresh(refresh_token=refresh_token)
        return _issued_tokens(auth_client)

    def revoke(self, token):
        """End, at Intuit, the grant ``token`` (a refresh or access token) belongs to."""
        auth_client = self._auth_client()
        with self._oauth_errors_translated('POST', token):
            auth_client.revoke(token=token)

    # -- Accounting API: plumbing -------------------------------------------------

    def _token(self, refused_token):
        """Our own copy of the token: after a refresh the connection's snapshot in the
        caller's transaction is older than the token we were handed."""
        if self._fixed_token:
            return self._fixed_token
        if refused_token or not self._access_token or not token_is_fresh(self._expires_at):
            self._access_token, self._expires_at = self._token_provider(refused_token=refused_token)
        return self._access_token

    def _session(self, refused_token=None):
        access_token = self._token(refused_token)
        if self._qb is None:
            # No AuthClient here: tokens are the connection's to manage.
            self._qb = QuickBooks(company_id=self.realm_id, minorversion=const.MINOR_VERSION)
            self._qb.sandbox_api_url_v3 = self._qb.api_url_v3 = self._api_url
        if self._qb.session is None or self._qb.session.access_token != access_token:
            self._qb.session = _QboApiSession(access_token, self._recorder)
        return self._qb

    @contextmanager
    def no_requests(self):
        """Within it, a call raises RequestNeeded instead of going out: a mapper run this way
        tells whether a document needs nothing more from QuickBooks (its customer, items and
        codes all mapped), so that it can go in a batch."""
        self._offline = True
        try:
            yield self
        finally:
            self._offline = False

    def _call(self, what, func_name, *args, **kwargs):
        """Run one python-quickbooks call; on an authentication refusal renew the token and
        retry once (a refused request was not performed, so the retry is safe). A call that
        met a passing fault (a server error, a timeout, a reset connection; not a 429, which
        pauses the company) is sent again, after const.RETRY_DELAYS, when sending it twice
        cannot do anything twice: a read, or an update, void or delete, which carry the
        object's SyncToken (performed already, QuickBooks answers the repeated request id
        with its first answer, or refuses the stale SyncToken: 5010). Failing the whole
        attempt over it would spend one of the job's attempts on what a second of patience
        cures. A create is not: its outcome is unknown, and it is looked up before it is sent
        again (qbo.synced.mixin._qbo_create)."""
        if self._offline:
            raise RequestNeeded(what)
        # What matters about the method is whether the call can write (a lost answer then
        # leaves its outcome unknown); a query is a POST that writes nothing.
        method = 'POST' if func_name in _WRITING_CALLS else 'GET'
        batch = kwargs.pop('qbo_batch', False)
        delays = list(const.RETRY_DELAYS) if method == 'GET' or func_name in _GUARDED_CALLS else []
        refused_token = None
        auth_retried = False
        while True:
            qb = self._session(refused_token)
            qb.session.qbo_last_response = None
            try:
                with self._pacer.slot(batch=batch) if self._pacer else nullcontext():
                    return getattr(qb, func_name)(*args, **kwargs)
            except requests.RequestException as exc:
                error = translate_transport_error(exc, method)
                if delays:
                    _logger.info('QuickBooks: %s failed (%s); sending it again', what, error.code)
                    time.sleep(delays.pop(0))
                    continue
                raise error from exc
            except (qb_exceptions.QuickbooksException, TypeError, ValueError, KeyError) as exc:
                last = qb.session.qbo_last_response
                if last is None and not isinstance(exc, qb_exceptions.QuickbooksException):
                    raise  # a bug of ours, not an answer of QuickBooks'
                status = last.status_code if last is not None else None
                retry_after = last.headers.get('Retry-After') if last is not None else None
                error = translate_quickbooks_error(exc, status, what, method=method, retry_after=retry_after)
                if getattr(error, 'throttled', False) and self._pacer:
                    self._pacer.throttled(error.retry_after)
                if isinstance(error, QboAuthError) and not self._fixed_token:
                    if not auth_retried:
                        auth_retried = True
                        refused_token = qb.session.access_token
                        continue
                    if self._on_auth_refused:
                        self._on_auth_refused(error.message)
                if isinstance(error, QboRetryableError) and not error.throttled and delays:
                    _logger.info('QuickBooks: %s failed (%s); sending it again', what, error.code)
                    time.sleep(delays.pop(0))
                    continue
                raise error from exc

    def _url(self, path):
        return f'{self._api_url}/company/{self.realm_id}/{path}'

    def _wrote(self):
        if self._on_write:
            self._on_write()

    # -- Accounting API -------------------------------------------------------------

    def read(self, entity, qbo_id):  # pylint: disable=method-required-super; not an Odoo model
        result = self._call(f'reading {entity} {qbo_id}', 'get_single_object', entity, qbo_id)
        return result[entity]

    def query(self, statement):
        """Run a query; returns the list of objects (empty when none match)."""
        result = self._call('a query', 'query', statement)
        response = result.get('QueryResponse', {})
        entity = statement.split(' FROM ', 1)[1].split()[0] if ' FROM ' in statement else None
        return response.get(entity, []) if entity else response

    def query_all(self, statement):
        """Every object ``statement`` (``SELECT * FROM Entity [WHERE …]``, without ORDERBY or
        paging) matches, read page after page in the order of their Ids, so that an object
        created meanwhile cannot shift a page."""
        found = []
        while True:
            page = self.query(f'{statement} ORDERBY Id STARTPOSITION {len(found) + 1} MAXRESULTS {const.QUERY_PAGE}')
            found += page
            if len(page) < const.QUERY_PAGE:
                return found

    def create(self, entity, values, request_id=None):  # pylint: disable=method-required-super; not an Odoo model
        result = self._call(f'the new {entity}', 'create_object', entity, json.dumps(values), request_id=request_id)
        self._wrote()
        return dict(result[entity], **{CREATED_MARK: True})

    def batch(self, items, request_id=None):
        """POST /batch: up to 30 operations in one request, counted against the company's batch
        limit (40 a minute) as well as its request limit. ``items`` are QuickBooks' batch items
        ({'bId', 'operation', <Entity>: {...}} or {'bId', 'Query'}). Returns {bId: answer item}:
        each item carries its object (a created one marked as create() marks it) or its own
        Fault, which fails that item alone; a failure of the whole call raises, as any call."""
        body = json.dumps({'BatchItemRequest': items})
        result = self._call('a batch', 'post', self._url('batch'), body, request_id=request_id, qbo_batch=True)
        self._wrote()
        operations = {str(item['bId']): item.get('operation') for item in items}
        answers = {}
        for answer in result.get('BatchItemResponse') or []:
            bid = str(answer.get('bId'))
            if operations.get(bid) == 'create':
                for key, value in answer.items():
                    if key not in ('bId', 'Fault') and isinstance(value, dict) and 'Id' in value:
                        answer[key] = dict(value, **{CREATED_MARK: True})
            answers[bid] = answer
        return answers

    def update(self, entity, values, request_id=None, sparse=True):
        body = dict(values, sparse=sparse)
        result = self._call(
            f'the change to {entity} {values.get("Id")}',
            'update_object',
            entity,
            json.dumps(body),
            request_id=request_id,
        )
        self._wrote()
        return result[entity]

    def activate(self, entity, obj):
        """``obj`` (a list object as QuickBooks answered it), made active again when it is
        not: QuickBooks refuses references to inactive names (610)."""
        if obj.get('Active') is not False:
            return obj
        return self.update(entity, {'Id': obj['Id'], 'SyncToken': obj['SyncToken'], 'Active': True})

    def void(self, entity, values, request_id=None):
        """Void a transaction: ?operation=void for invoices, a sparse update with
        include=void for payments and sales receipts (as QuickBooks wants it)."""
        if entity == 'Invoice':
            params = {'operation': 'void'}
            body = values
        else:
            params = {'operation': 'update', 'include': 'void'}
            body = dict(values, sparse=True)
        result = self._call(
            f'voiding {entity} {values.get("Id")}',
            'update_object',
            entity,
            json.dumps(body),
            request_id=request_id,
            params=params,
        )
        self._wrote()
        return result[entity]

    def delete(self, entity, values, request_id=None):
        """Delete a transaction QuickBooks does not void through the API (a Purchase)."""
        result = self._call(
            f'deleting {entity} {values.get("Id")}', 'delete_object', entity, json.dumps(values), request_id=request_id
        )
        self._wrote()
        return result[entity]

    def create_tax_code(self, values):
        """POST taxservice/taxcode: the only way to create a TaxCode (with its TaxRates)."""
        result = self._call('the new tax code', 'misc_operation', 'taxservice/taxcode', json.dumps(values))
        self._wrote()
        return result

    def company_info(self):
        result = self._call('reading the company information', 'get', self._url(f'companyinfo/{self.realm_id}'))
        return result['CompanyInfo']

    def preferences(self):
        result = self._call('reading the company preferences', 'get', self._url('preferences'))
        return result['Preferences']

    def cdc(self, entities, changed_since):
        """Change data capture: what changed in ``entities`` (QuickBooks names) since
        ``changed_since`` (an ISO 8601 string with its offset), in one request. Returns
        ``({entity: [objects]}, answered_at)``: deleted objects come as ``{'status': 'Deleted', 'Id',
        'MetaData'}``; ``answered_at`` is QuickBooks' ``time`` of the answer (a string, or None)."""
        result = self._call('change data capture', 'change_data_capture', ','.join(entities), changed_since)
        changed = {}
        for response in result.get('CDCResponse') or []:
            for query_response in response.get('QueryResponse') or []:
                for entity in entities:
                    changed.setdefault(entity, []).extend(query_response.get(entity) or [])
        return changed, result.get('time')


def _issued_tokens(auth_client):
    """The values to store of the tokens Intuit just issued (intuitlib puts them on its
    AuthClient): both tokens and when each expires (naive UTC, as Odoo stores it)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    return {
        'access_token': auth_client.access_token,
        'refresh_token': auth_client.refresh_token,
        'access_token_expires_at': now + timedelta(seconds=int(auth_client.expires_in or 3600)),
        'refresh_token_expires_at': now + timedelta(seconds=int(auth_client.x_refresh_token_expires_in or 8726400)),
    }


__all__ = [
    'QboAuthClient',
    'QboClient',
    'QboError',
    'endpoint_of',
    'form_pairs',
    'qbo_quote',
    'redact',
    'token_is_fresh',
    'translate_oauth_error',
    'translate_quickbooks_error',
    'translate_transport_error',
]


def qbo_quote(value):
    """A string literal of the QuickBooks query language (backslash escapes the quote)."""
    return "'" + str(value).replace('\\', '\\\\').replace("'", "\\'") + "'"
