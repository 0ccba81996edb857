"""The initial sync: invoices per minute sent in QuickBooks batches, against what QuickBooks'
limits allow, and 429s received.

Run by `./qbo bench --initial N` inside `odoo shell` on a throwaway database with qbo_connector
installed. The emulator runs in this process with QuickBooks' limits on (500 requests a minute,
10 at once, 40 batch calls a minute, 30 objects a batch). N posted invoices exist before the
connector sends anything (manual mode); their customer and items are mapped first (one
invoice's push), then the initial sync runs, drained by QBO_BENCH_WORKERS queue workers (default
2, as Odoo's two cron threads). Prints numbers; asserts nothing about time.

    ./qbo bench --initial [invoices]        (default 600)
"""

import os
import sys
import threading
import time

import requests

from odoo import Command, api, fields

sys.path.insert(0, os.environ['QBO_REPO'])
from qbo_emulator import Emulator, EmulatorConfig  # noqa: E402

sys.path.insert(0, os.path.join(os.environ['QBO_REPO'], 'benchmarks'))
from bench_setup import connect, us_company  # noqa: E402

count = int(os.environ.get('QBO_BENCH_INVOICES', '600'))
workers = int(os.environ.get('QBO_BENCH_WORKERS', '2'))
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
connection = connect(env, company, base, realm, sync_mode='manual')
env.cr.commit()


def invoice_values():
    return {
        'move_type': 'out_invoice',
        'partner_id': partner.id,
        'invoice_date': fields.Date.today(),
        'invoice_line_ids': [
            Command.create({'product_id': p.id, 'quantity': 1 + i, 'price_unit': p.list_price})
            for i, p in enumerate(products)
        ],
    }


def invoices(n):
    moves = env['account.move'].create([invoice_values() for _ in range(n)])
    moves.action_post()
    return moves


def drain():
    """Run the queue as the cron does, until nothing is due."""
    while env['qbo.sync.job']._cron_process_jobs(limit=1000):
        pass


# Masters mapped: one invoice pushed by hand maps the customer, the items, the tax code.
warm = invoices(1)
env.cr.commit()
warm.action_qbo_push()
env.cr.commit()
drain()

print(f'creating {count} posted invoices (manual mode: nothing queued)…', flush=True)
moves = env['account.move']
while len(moves) < count:
    moves |= invoices(min(50, count - len(moves)))
    env.cr.commit()


def api_requests():
    log = requests.get(f'{base}/_emulator/requests', timeout=10).json()['requests']
    return [r for r in log if r.get('realm') == realm and '/v3/' in r['path']]


requests_before = len(api_requests())
started = time.monotonic()
sync = connection._qbo_initial_sync_start()
env.cr.commit()
# The driver job alone (one run of the queue: the documents' jobs do not exist when it looks for
# due jobs): what QuickBooks holds read and linked, the lists, the documents queued.
env['qbo.sync.job']._cron_process_jobs(limit=1000)
env.invalidate_all()
driver_seconds = time.monotonic() - started
documents_started = time.monotonic()
errors = []


def worker():
    try:
        with env.registry.cursor() as cr:
            wenv = api.Environment(cr, env.uid, {})
            while wenv['qbo.initial.sync'].browse(sync.id).waiting_count:
                if not wenv['qbo.sync.job']._cron_process_jobs(limit=1000):
                    time.sleep(0.2)
                cr.commit()
                wenv.invalidate_all()
    except Exception as error:  # noqa: BLE001 - reported below
        errors.append(error)


threads = [threading.Thread(target=worker) for _ in range(workers)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
finished = time.monotonic()
env.invalidate_all()
drain()

sent = api_requests()[requests_before:]
batches = [r for r in sent if r['path'].endswith('/batch')]
synced = len(moves.filtered(lambda m: m.qbo_sync_state == 'synced'))
elapsed = finished - documents_started
rate = synced / elapsed * 60 if elapsed else 0.0
overall = synced / (finished - started) * 60
ceiling = limits.get('batch_calls_per_minute', 40) * limits.get('batch_max_items', 30)
throttled = requests.get(f'{base}/_emulator/stats', timeout=10).json()['realms'].get(realm, {}).get('throttled', 0)
print(f'invoices sent by the initial sync:    {synced} of {count}   ({len(batches)} batch calls, {workers} workers)')
for error in errors:
    print(f'  worker error: {error!r}')
for job in env['qbo.sync.job'].sudo().search([('initial_sync_id', '=', sync.id), ('state', '!=', 'done')], limit=3):
    print(f'  not sent: {job.record_name}: [{job.error_code}] {job.error_message}')
print(f'HTTP requests per invoice:            {len(sent) / max(synced, 1):.3f}')
print(f'invoices per minute (documents):      {rate:.0f}   (target >= 1000)')
print(f'invoices per minute (whole sync):     {overall:.0f}   (driver: {driver_seconds:.1f} s)')
print(f'limits allow:                         {ceiling} invoices/min (40 batch calls of 30 a minute)')
print(f'fraction of what the limits allow:    {rate / ceiling:.2f}   (target >= 0.90)')
print(f'429 received from QuickBooks:         {throttled}   (target 0)')
print(
    f'bench --initial {count}: {rate:.0f} invoices/min, {rate / ceiling:.0%} of the {ceiling}/min ceiling, '
    f'{throttled} x 429'
)
emulator.stop()
