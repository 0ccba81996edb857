"""Typed errors of the one HTTP path; callers decide what to do by type, not by text."""


class QboError(Exception):
    """Any error QuickBooks (or the way to it) gave us.

    :param code: QuickBooks' fault code as a string ('6240', '3200', ...), or a short
        name of ours for errors without one ('timeout', 'connection', 'invalid_grant').
    :param message: a sentence a user understands.
    :param detail: QuickBooks' own detail text, for the log and the expert.
    """

    def __init__(self, code, message, detail=''):
        super().__init__(message)
        self.code = str(code or '')
        self.message = message
        self.detail = detail or ''

    def __str__(self):
        return f'[{self.code}] {self.message}' if self.code else self.message


class QboRetryableError(QboError):
    """Try again later: throttling, a server fault, a timeout, a dropped connection.

    ``retry_after`` is the number of seconds QuickBooks asks us to wait, if any.
    ``outcome_unknown`` is set when the request may have been performed (the response
    was lost): the caller must look the record up before creating it again.
    ``throttled`` is set when QuickBooks' rate limits of the company refused the request (a 429)
    or kept it from being sent: the work waits ``retry_after`` seconds, and costs no attempt.
    """

    def __init__(self, code, message, detail='', retry_after=None, outcome_unknown=False, throttled=False):
        super().__init__(code, message, detail)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown
        self.throttled = throttled


class QboAuthError(QboError):
    """The connection is not authorised any more; a person has to reconnect."""


class QboGrantError(QboAuthError):
    """Intuit's OAuth service refused the grant or the app's keys (code 'invalid_grant').

    ``http_status`` is Intuit's answer (400, 401); ``oauth_error`` the OAuth error it named
    ('invalid_grant', 'invalid_client').
    """

    def __init__(self, message, detail='', http_status=None, oauth_error=None):
        super().__init__('invalid_grant', message, detail)
        self.http_status = http_status
        self.oauth_error = oauth_error


class QboValidationError(QboError):
    """QuickBooks refused the data: fix the record, then retry."""


class QboNotFoundError(QboValidationError):
    """The referenced object does not exist (or is inactive) in QuickBooks."""


class QboDuplicateError(QboValidationError):
    """A name or document number already exists (6240 / 6140).

    ``existing_id`` is the id QuickBooks names in its detail (a 6240 name clash may be with
    a Vendor or an Employee, not a Customer).
    """

    def __init__(self, code, message, detail='', existing_id=None):
        super().__init__(code, message, detail)
        self.existing_id = existing_id


class QboStaleError(QboValidationError):
    """5010: the object changed in QuickBooks since we last read it."""
