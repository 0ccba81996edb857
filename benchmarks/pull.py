"""Payments recorded in QuickBooks coming back to Odoo (issue 10): reads per pulled payment, the
webhook's answer time under a burst, payments pulled per minute, reads per idle CDC cycle.

Run by `./qbo bench --pull [N]` inside `odoo shell` on a throwaway database with qbo_connector
installed. The emulator runs in this process with QuickBooks' rate limits on (500 requests per
minute and 10 concurrent requests per company); Odoo's own HTTP server runs as a second process on a
free loopback port, and the webhook burst is posted to it, signed with the verifier token. Reads are
counted from the emulator's request log (GET and queries: what QuickBooks meters). Prints numbers;
asserts nothing about time.

    ./qbo bench --pull [payments]      (default 200 pulled through CDC; the burst is 1,000 events:
                                        QBO_BENCH_BURST)
"""

import atexit
import base64
import hashlib
import hmac
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from odoo import Command, fields
from odoo.tools import config

sys.path.insert(0, os.environ['QBO_REPO'])
from qbo_emulator import Emulator, EmulatorConfig, accounting  # noqa: E402

sys.path.insert(0, os.path.join(os.environ['QBO_REPO'], 'benchmarks'))
from bench_setup import connect, us_company  # noqa: E402

count = int(os.environ.get('QBO_BENCH_PAYMENTS', '200'))
burst = int(os.environ.get('QBO_BENCH_BURST', '1000'))
senders = int(os.environ.get('QBO_BENCH_SENDERS', '10'))
realm = '9130357766900001'
token = 'bench-verifier-token'

emulator = Emulator(EmulatorConfig(db_path=':memory:'))
emulator.start(host='127.0.0.1', port=0)
base = emulator.base_url
limits = requests.get(f'{base}/_emulator/config', timeout=10).json()

env = env(user=env.ref('base.user_admin'))  # noqa: F821 - odoo shell provides env
company, tax = us_company(env)
partner = env['res.partner'].create({'name': 'Bench Payer', 'email': 'payer@example.com'})
product = env['product.product'].create(
    {'name': 'Bench service', 'default_code': 'BENCH-PULL', 'list_price': 1000, 'taxes_id': [Command.set(tax.ids)]}
)
connection = connect(env, company, base, realm, webhook_verifier_token=token)
connection.action_test_connection()  # what Connect reads: country, currency, preferences
env.cr.commit()


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


# Odoo's HTTP server for the webhook burst (no cron threads: this shell runs the queue).
port = free_port()
server = subprocess.Popen(  # noqa: S603 - our own Odoo, on loopback
    [
        sys.executable,
        '-m',
        'odoo',
        f'--addons-path={os.environ.get("QBO_ADDONS_PATH") or ",".join(config["addons_path"])}',
        '-d',
        env.cr.dbname,
        '--http-interface=127.0.0.1',
        f'--http-port={port}',
        '--max-cron-threads=0',
        '--log-level=warn',
    ],
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
atexit.register(server.terminate)
webhook_url = f'http://127.0.0.1:{port}/qbo/webhook'


def api_requests():
    log = requests.get(f'{base}/_emulator/requests', timeout=30).json()['requests']
    return [r for r in log if r.get('realm') == realm and '/v3/' in r['path']]


def is_read(entry):
    """QuickBooks meters reads (reads, queries, CDC), not writes."""
    return entry['method'] == 'GET' or '/query' in entry['path']


def drain():
    done = 0
    while True:
        processed = env['qbo.sync.job']._cron_process_jobs(limit=1000)
        if not processed:
            return done
        done += processed


def pull_now():
    """One scheduled pull, due whatever its last pull."""
    connection.sudo().last_pull_at = False
    env.cr.commit()
    env['qbo.connection']._cron_pull_changes()
    env.invalidate_all()


# Invoices pushed first: the payments recorded in QuickBooks pay parts of them.
invoices = env['account.move']
for _ in range(min(max(count, 1), 20)):
    move = env['account.move'].create(
        {
            'move_type': 'out_invoice',
            'partner_id': partner.id,
            'invoice_date': fields.Date.today(),
            'invoice_line_ids': [Command.create({'product_id': product.id, 'quantity': 100, 'price_unit': 1000})],
        }
    )
    move.action_post()
    invoices |= move
env.cr.commit()
drain()
env.invalidate_all()
qbo_invoices = [(move.qbo_id, move.amount_total) for move in invoices if move.qbo_id]
customer_id = env['qbo.mapping'].sudo()._qbo_find(connection, partner.commercial_partner_id, 'Customer').qbo_id
if not customer_id:
    print('bench: the invoices were not pushed; nothing to pull against')
    server.terminate()
    emulator.stop()
    raise SystemExit(1)
# The sample company's own payments (for documents Odoo never had) are read by a first pull.
pull_now()
drain()


def payments_in_quickbooks(n):
    """``n`` payments recorded in QuickBooks by a bookkeeper (straight into the emulator's books, as
    a user of QuickBooks would: no API request of Odoo's, nothing in the request log); four in five
    pay part of an invoice, the fifth is left unapplied. A second passes every 20, as at a desk."""
    ids = []
    today = fields.Date.to_string(fields.Date.today())
    for i in range(n):
        body = {'CustomerRef': {'value': customer_id}, 'TotalAmt': 1.0 + i % 7, 'TxnDate': today, 'Line': []}
        if i % 5:
            invoice_id, _total = qbo_invoices[i % len(qbo_invoices)]
            body['Line'] = [{'Amount': body['TotalAmt'], 'LinkedTxn': [{'TxnId': invoice_id, 'TxnType': 'Invoice'}]}]
        with emulator.store.transaction(realm) as tx:
            ids.append(accounting.create(tx, 'Payment', body, {})['Id'])
        if i % 20 == 19:
            emulator.clock.advance(1)
    emulator.clock.advance(1)
    return ids


def pulled():
    return env['account.payment'].sudo().search_count([('qbo_pulled', '=', True), ('state', '!=', 'canceled')])


def quantiles(times):
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


# -- Change data capture ------------------------------------------------------------
created = payments_in_quickbooks(count)
before_log, before_pulled = len(api_requests()), pulled()
started = time.monotonic()
pull_now()
drain()
elapsed = time.monotonic() - started
sent = api_requests()[before_log:]
cdc_reads = sum(1 for entry in sent if is_read(entry))
cdc_calls = sum(1 for entry in sent if entry['path'].endswith('/cdc'))
env.invalidate_all()
cdc_pulled = pulled() - before_pulled
print(f'pull: {count} payments recorded in QuickBooks, then one scheduled pull (CDC) and the queue')
print(f'  payments pulled through CDC:          {cdc_pulled} of {count}')
print(
    f'  reads per pulled payment (CDC):       {cdc_reads / max(cdc_pulled, 1):.3f}   ({cdc_reads} reads: '
    f'{cdc_calls} CDC, {cdc_reads - cdc_calls} other; target <= 1, 0 other)'
)
print(f'  payments pulled per minute (CDC):     {cdc_pulled / elapsed * 60:.0f}')

# -- Webhooks: a burst of signed events over real HTTP ------------------------------------
created = payments_in_quickbooks(burst)
for _ in range(240):  # until the server answers the webhook route (401: an unsigned body)
    try:
        if requests.post(webhook_url, json=[], timeout=5).status_code == 401:
            break
    except requests.RequestException:
        pass
    time.sleep(0.5)
http = requests.Session()
http.trust_env = False


def post(payment_id):
    body = (
        '[{"specversion":"1.0","id":"%s","source":"//quickbooks.api.intuit.com","type":"qbo.payment.created.v1",'
        '"time":"%s","datacontenttype":"application/json","intuitentityid":"%s","intuitaccountid":"%s","data":{}}]'
        % (uuid.uuid4(), fields.Datetime.now().isoformat() + 'Z', payment_id, realm)
    ).encode()
    signature = base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()
    begun = time.monotonic()
    answer = http.post(
        webhook_url,
        data=body,
        headers={'Content-Type': 'application/cloudevents+json', 'intuit-signature': signature},
        timeout=30,
    )
    return answer.status_code, time.monotonic() - begun


post(created[0])  # warm-up: the first request loads the registry
before_log, before_pulled = len(api_requests()), pulled()
burst_started = time.monotonic()
with ThreadPoolExecutor(max_workers=senders) as pool:
    answers = list(pool.map(post, created))
burst_elapsed = time.monotonic() - burst_started
times = [seconds * 1000 for status, seconds in answers]
p50, p95 = quantiles(times)
statuses = {}
for status, _seconds in answers:
    statuses[status] = statuses.get(status, 0) + 1
print(f'webhook: a burst of {len(answers)} events (one per request, {senders} at a time) to {webhook_url}')
print(f'  answers:                              {statuses}')
print(
    f'  webhook answer time:                  p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(times):.0f} ms '
    f'(QuickBooks waits 3,000 ms)'
)
print(f'  burst posted in:                      {burst_elapsed:.1f} s')
env.cr.commit()  # a new transaction: it sees what the server stored
env.invalidate_all()
started = time.monotonic()
drain()
elapsed = time.monotonic() - started
sent = api_requests()[before_log:]
hook_reads = sum(1 for entry in sent if is_read(entry))
env.invalidate_all()
hook_pulled = pulled() - before_pulled
print(f'  payments pulled through webhooks:     {hook_pulled} of {len(created)}')
print(f'  reads per pulled payment (webhook):   {hook_reads / max(hook_pulled, 1):.3f}   ({hook_reads} reads)')
print(f'  payments pulled per minute (webhook): {hook_pulled / elapsed * 60:.0f}')
server.terminate()
server.wait(timeout=30)

# -- Idle CDC cycles ---------------------------------------------------------------------
# The first scheduled pull after the burst reads the burst's payments once more (already in:
# nothing stored); then pulls ten minutes apart (more than the five minutes each pull reads again
# in case of late writes), nothing changing in QuickBooks meanwhile.
before_log = len(api_requests())
jobs_before = env['qbo.sync.job'].sudo().search_count([])
pull_now()
after_burst = [entry for entry in api_requests()[before_log:] if is_read(entry)]
print(
    f'cdc: the pull after the burst:         {len(after_burst)} reads, '
    f'{env["qbo.sync.job"].sudo().search_count([]) - jobs_before} changes stored (already in)'
)
cycles = 3
before_log = len(api_requests())
for _ in range(cycles):
    emulator.clock.advance(600)
    pull_now()
idle = [entry for entry in api_requests()[before_log:] if is_read(entry)]
print(
    f'cdc: reads per idle CDC cycle:         {len(idle) / cycles:.2f}   (target 1; {cycles} cycles ten minutes apart, '
    f'{env["qbo.sync.job"].sudo().search_count([]) - jobs_before} changes stored)'
)
throttled = requests.get(f'{base}/_emulator/stats', timeout=10).json()['realms'].get(realm, {}).get('throttled', 0)
print(
    f'429 received from QuickBooks:          {throttled}   (limits: {limits.get("requests_per_minute")} requests/min)'
)
emulator.stop()
