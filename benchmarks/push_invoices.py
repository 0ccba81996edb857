"""Pushing invoices to QuickBooks: requests per invoice, SQL queries per job, throughput.

Run by `./qbo bench` inside `odoo shell` on a throwaway database with qbo_connector installed.
The emulator runs in this process with QuickBooks' rate limits on (500 requests per minute and
10 concurrent requests per company). Prints numbers; asserts nothing about time.

    ./qbo bench [invoices]        (default 60)
"""

import os
import sys
import time

import requests

from odoo import Command, fields

sys.path.insert(0, os.environ['QBO_REPO'])
from qbo_emulator import Emulator, EmulatorConfig  # noqa: E402

sys.path.insert(0, os.path.join(os.environ['QBO_REPO'], 'benchmarks'))
from bench_setup import connect, us_company  # noqa: E402

count = int(os.environ.get('QBO_BENCH_INVOICES', '60'))
realm = '9130357766900001'

emulator = Emulator(EmulatorConfig(db_path=':memory:'))
emulator.start(host='127.0.0.1', port=0)
base = emulator.base_url
limits = requests.get(f'{base}/_emulator/config', timeout=10).json()

env = env(user=env.ref('base.user_admin'))  # noqa: F821 - odoo shell provides env
company, tax = us_company(env)
products = env['product.product'].create(
    [
        {
            'name': f'Bench product {i}',
            'default_code': f'BENCH-{i}',
            'list_price': 10 + i,
            'taxes_id': [Command.set(tax.ids)],
        }
        for i in range(5)
    ]
)
partner = env['res.partner'].create({'name': 'Bench Customer', 'email': 'bench@example.com'})
connection = connect(env, company, base, realm)
env.cr.commit()


def invoice():
    move = env['account.move'].create(
        {
            'move_type': 'out_invoice',
            'partner_id': partner.id,
            'invoice_date': fields.Date.today(),
            'invoice_line_ids': [
                Command.create({'product_id': p.id, 'quantity': 1 + i, 'price_unit': p.list_price})
                for i, p in enumerate(products)
            ],
        }
    )
    move.action_post()
    return move


def api_requests():
    log = requests.get(f'{base}/_emulator/requests', timeout=10).json()['requests']
    return [r for r in log if r.get('realm') == realm and '/v3/' in r['path']]


# Warm-up: the first invoice maps the customer, the items and the tax.
invoice()
env.cr.commit()
env['qbo.sync.job']._cron_process_jobs()

moves = env['account.move']
for _ in range(count):
    moves |= invoice()
env.cr.commit()
requests_before = len(api_requests())
queries_before = env.cr.sql_log_count
started = time.monotonic()
processed = 0
while processed < count:
    done = env['qbo.sync.job']._cron_process_jobs(limit=count)
    if not done:
        break
    processed += done
elapsed = time.monotonic() - started
queries = env.cr.sql_log_count - queries_before
sent = len(api_requests()) - requests_before
env.invalidate_all()
synced = len(moves.filtered(lambda m: m.qbo_sync_state == 'synced'))
per_invoice = sent / max(synced, 1)
rate = synced / elapsed * 60
limit_per_minute = limits.get('requests_per_minute', 500)
ceiling = limit_per_minute / max(per_invoice, 1e-9)
print(f'invoices pushed (steady state):      {synced} of {count}')
for job in env['qbo.sync.job'].sudo().search([('state', '!=', 'done')], limit=3):
    print(f'  not pushed: {job.record_name}: [{job.error_code}] {job.error_message}')
print(f'HTTP requests per synced invoice:    {per_invoice:.2f}   (target <= 1.0)')
print(
    f'SQL queries per processed job:       {queries / max(processed, 1):.1f}   (this cursor; the log rows use their '
    f'own)'
)
print(f'invoices per minute:                 {rate:.0f}')
print(f'rate limit allows (at this ratio):   {ceiling:.0f} invoices/min ({limit_per_minute} requests/min)')
print(f'fraction of what the limits allow:   {min(rate / ceiling, 1.0):.2f}')
throttled = requests.get(f'{base}/_emulator/stats', timeout=10).json()['realms'].get(realm, {}).get('throttled', 0)
print(f'429 received from QuickBooks:        {throttled}   (target 0: the workers share the limits)')


def is_read(entry):
    """QuickBooks meters reads (reads, queries, CDC), not writes."""
    return entry['method'] == 'GET' or '/query' in entry['path']


def reads_and_writes(label, documents, act):
    """Run ``act`` (which changes ``documents`` in Odoo), drain the queue, print reads and writes per document."""
    act()
    env.cr.commit()
    before = len(api_requests())
    while env['qbo.sync.job']._cron_process_jobs(limit=1000):
        pass
    sent = api_requests()[before:]
    reads = sum(1 for entry in sent if is_read(entry))
    n = max(len(documents), 1)
    print(f'{label:<37}{reads / n:.2f} reads, {(len(sent) - reads) / n:.2f} writes per document')


sample = moves[: min(count, 20)]
print(f'reads and writes, steady state ({len(sample)} documents each):')
steady = api_requests()[requests_before : requests_before + sent]
steady_reads = sum(1 for entry in steady if is_read(entry))
print(
    f'{"  invoices":<37}{steady_reads / max(synced, 1):.2f} reads, '
    f'{(len(steady) - steady_reads) / max(synced, 1):.2f} writes per document'
)


def update_invoices():
    for move in sample:
        move.button_draft()
        move.ref = 'Bench update'
        move.action_post()


reads_and_writes('  invoice updates', sample, update_invoices)


def pay_invoices():
    for move in sample:
        env['account.payment.register'].with_context(active_model='account.move', active_ids=move.ids).create(
            {}
        )._create_payments()


reads_and_writes('  payments', sample, pay_invoices)
credit_notes = env['account.move']


def credit_invoices():
    global credit_notes
    for move in sample:
        reversal = move._reverse_moves([{'ref': 'Bench credit'}])
        reversal.action_post()
        credit_notes |= reversal


reads_and_writes('  credit notes', sample, credit_invoices)
emulator.stop()
