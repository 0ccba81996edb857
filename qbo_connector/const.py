"""Constants of the QuickBooks Online protocol that the addon relies on."""

# Intuit's published endpoints. The discovery documents are what intuitlib reads.
DISCOVERY_URLS = {
    'production': 'https://developer.intuit.com/.well-known/openid_configuration/',
    'sandbox': 'https://developer.intuit.com/.well-known/openid_sandbox_configuration/',
}
API_URLS = {
    'production': 'https://quickbooks.api.intuit.com/v3',
    'sandbox': 'https://sandbox-quickbooks.api.intuit.com/v3',
}
# Where a user opens a document in the QuickBooks web application.
APP_URLS = {
    'production': 'https://app.qbo.intuit.com/app',
    'sandbox': 'https://app.sandbox.qbo.intuit.com/app',
}
# A custom base URL (the project's emulator) serves all of these under one root.
CUSTOM_DISCOVERY_PATH = '/.well-known/openid_configuration'
CUSTOM_API_PATH = '/v3'
CUSTOM_APP_PATH = '/app'

# Since 2025-08-01 QuickBooks treats anything below 75 as 75; we say what we mean.
MINOR_VERSION = 75

# QuickBooks answers at most this many objects per query page.
QUERY_PAGE = 1000

# Every request gets a timeout: python-quickbooks sets none, and QuickBooks itself
# gives up on requests after 120 s.
# One number, not a (connect, read) pair: Odoo's test harness compares it to an int.
REQUEST_TIMEOUT = 60

# A request that meets a passing fault (a server error, a timeout, a reset connection) is sent
# again after these many seconds, within the same attempt, when sending it again cannot do a
# thing twice: a read (a query, a get, CDC); an update, void or delete (it carries the
# object's SyncToken: performed already, it is answered from its request id or refused as
# stale, never applied twice); a create once the lookup of what it would have created found
# nothing (qbo.synced.mixin._qbo_create). A 429 is not retried so: it pauses the company.
RETRY_DELAYS = (1, 3)

# Refresh the access token this long before QuickBooks would refuse it.
ACCESS_TOKEN_MARGIN_SECONDS = 300
# The daily cron renews refresh tokens that have less than this left (they roll over 100 days).
REFRESH_TOKEN_RENEW_DAYS = 60
# Nobody waits longer than this for another process to finish refreshing (which may take
# two requests of REQUEST_TIMEOUT each: discovery and token).
TOKEN_LOCK_TIMEOUT_MS = 150000

# The signed OAuth state is good for this long, and only once.
OAUTH_STATE_MAX_AGE_SECONDS = 900
OAUTH_CALLBACK_PATH = '/qbo/oauth/callback'

# intuitlib fetches the discovery document whenever a client is built; we keep it this long.
DISCOVERY_CACHE_SECONDS = 3600

# Bodies kept in the sync log are cut to this many characters.
LOG_BODY_MAX_CHARS = 20000
LOG_RETENTION_DAYS_DEFAULT = 90
# Call-log rows removed per commit by the vacuum (which goes on while old rows remain).
LOG_VACUUM_BATCH = 5000

# The outbox. A job gives up after this many attempts, including those of workers that died
# during it (a job left "in progress" that no live session holds the claim of).
JOB_MAX_ATTEMPTS = 8
# Waits between attempts after a retryable error (QuickBooks' own Retry-After wins).
JOB_BACKOFF_SECONDS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
# First key of the advisory locks that claim jobs (the second is the job id).
JOB_LOCK_NAMESPACE = 7_162_610
# A job waiting for the documents it applies to looks again this late at most (they make it due
# as soon as they are in QuickBooks); waiting spends no attempt.
JOB_WAITING_RETRY_SECONDS = 300
# A job that lost a race to link the same master data retries this soon.
JOB_CONCURRENT_RETRY_SECONDS = 5
# QuickBooks' rate limits per company are 500 requests per minute and 10 requests at once
# (429 beyond, for a minute). The workers of an Odoo server share these (qbo.realm.throttle)
# and keep below them, as other apps of the same company count too; system parameters
# qbo_connector.requests_per_minute and qbo_connector.concurrent_requests override them.
THROTTLE_REQUESTS_PER_MINUTE = 450
THROTTLE_CONCURRENT_REQUESTS = 8
# Requests that may go at once before the pace applies (with 450 a minute: at most 491 in any
# minute, under QuickBooks' 500).
THROTTLE_BURST = 40
# A worker sleeps at most this long for a request slot; longer, its job waits in the queue.
THROTTLE_MAX_WAIT_SECONDS = 10
# What a 429 without Retry-After pauses the company for (QuickBooks: "wait 60 seconds").
THROTTLE_PAUSE_SECONDS = 60
# First key of the advisory locks that hold concurrency slots (the second: hash of company:slot).
THROTTLE_LOCK_NAMESPACE = 7_162_611
# QuickBooks allows 40 batch calls a minute per company, counted over a sliding minute: one fewer,
# evenly spaced, so that a batch delayed on its way never makes a 41st in anyone's minute
# (system parameter qbo_connector.batch_calls_per_minute overrides it).
THROTTLE_BATCH_CALLS_PER_MINUTE = 39
# Objects per batch call (QuickBooks' maximum).
BATCH_MAX_ITEMS = 30
# QuickBooks refuses longer document numbers (2050).
DOC_NUMBER_MAX = 21

# Pulling changes made in QuickBooks (change data capture and webhooks).
# QuickBooks answers at most this many objects per CDC call, and looks back at most CDC_MAX_DAYS.
CDC_MAX_OBJECTS = 1000
CDC_MAX_DAYS = 30
# A first pull looks back this much less than CDC_MAX_DAYS (clocks differ; a request takes time).
CDC_FIRST_PULL_MARGIN_SECONDS = 3600
# The mark of a pull that got everything is QuickBooks' time of the answer less this much: a change
# committed while the answer was being built is read again next time (and recognised), never lost.
CDC_OVERLAP_SECONDS = 300
# CDC calls of one connection per run at most, when answers are full (1,000 objects each).
CDC_MAX_ROUNDS = 50
# Default minutes between two scheduled pulls of a connection.
PULL_INTERVAL_MINUTES_DEFAULT = 60
# Pull jobs run after the pushes waiting with them.
PULL_PRIORITY = 40
WEBHOOK_PATH = '/qbo/webhook'
# A webhook body larger than this is refused before its signature is computed.
WEBHOOK_MAX_BYTES = 5_000_000
