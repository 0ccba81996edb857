"""Soak: a mixed corpus pushed through faults, throttling and killed workers; nothing lost, nothing twice.

Run by `./qbo soak [N]` inside `odoo shell` on a throwaway database with qbo_connector installed:

1. starts the QuickBooks emulator as a process of its own (`python3 -m qbo_emulator serve` on a
   free loopback port, SQLite file in a temporary directory) with QuickBooks' rate limits on,
   connects the main company (US) to its Sandbox Company US, then injects faults on 30 % of
   requests: 429, 500, 503, timeout, reset and drop_after_commit, 5 % each;
2. starts four queue workers (benchmarks/soak_worker.py: Odoo processes looping
   `qbo.sync.job._cron_process_jobs()`), and SIGKILLs one at random every 2-6 s, restarting it;
3. plays users (benchmarks/soak_corpus.py): N documents (invoices, credit notes, partial,
   multiple and grouped payments, refunds) with cancels, resets to draft and re-posts, credit
   notes matched with invoices, new customers and products throughout, each action a committed
   transaction that queues jobs the way the addon does in production;
4. waits until no job is pending or in progress; prints what QuickBooks holds against what Odoo
   holds, the books check, the failed jobs by error code, requests per document, throttle
   responses and wall time. Asserts nothing; the last line is the summary.

Times are compressed (QBO_SOAK_TIME_SCALE, default 1/60) so that the outbox's backoff (60 s ...
12 h) fits in minutes: the workers multiply the backoff, the waits errors name (60 s after a
429) and the request timeout by it, and the emulator holds a "timeout" fault a little longer
than that timeout.
"""

import contextlib
import json
import logging
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict

import requests

from odoo import fields

sys.path.insert(0, os.path.join(os.environ['QBO_REPO'], 'benchmarks'))
from bench_setup import connect, us_company  # noqa: E402
from soak_corpus import Corpus  # noqa: E402

REPO = os.environ['QBO_REPO']
ADDONS_PATH = os.environ['QBO_ADDONS_PATH']
DOCUMENTS = int(os.environ.get('QBO_SOAK_DOCUMENTS') or 500)
SEED = int(os.environ.get('QBO_SOAK_SEED') or 1)
TIME_SCALE = float(os.environ.get('QBO_SOAK_TIME_SCALE') or 1 / 60)
# The workers start once this fraction of the corpus is made (they were down, a deploy, while
# users worked): a backlog, so that they push as fast as they can, into QuickBooks' rate limits.
HEAD_START = float(os.environ.get('QBO_SOAK_HEAD_START') or 0.4)
WORKERS = 4
KILL_EVERY = (2.0, 6.0)  # seconds between two SIGKILLs
FAULT_KINDS = ('429', '500', '503', 'timeout', 'reset', 'drop_after_commit')
FAULT_RATE = 0.30
# Past this long without the queue drained, fault injection goes off for a final clean-up drain.
CONVERGE_SECONDS = float(os.environ.get('QBO_SOAK_CONVERGE_SECONDS') or 900)
GIVE_UP_SECONDS = CONVERGE_SECONDS + 600
REALM = '9130357766900001'
REFERENCE = re.compile(r'\[odoo:([^:\]]+):([a-z._]+):(\d+)\]')
POSTED_PAYMENT_STATES = ('in_process', 'paid')

started = time.monotonic()
# A user transaction that lost a race with a worker is retried (and counted); no need to log it.
logging.getLogger('odoo.sql_db').setLevel(logging.CRITICAL)
env = env(user=env.ref('base.user_admin'))  # noqa: F821 - odoo shell provides env
db = env.cr.dbname
workdir = tempfile.mkdtemp(prefix=f'{db}-')
http = requests.Session()
http.trust_env = False  # loopback stays loopback


def say(text):
    print(f'[{time.monotonic() - started:6.0f}s] {text}', flush=True)


# -- the emulator, a process of its own --------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


port = free_port()
base = f'http://127.0.0.1:{port}'
emulator_log = open(os.path.join(workdir, 'emulator.log'), 'w')  # noqa: SIM115 - open for the whole run
emulator = subprocess.Popen(
    [sys.executable, '-m', 'qbo_emulator', 'serve', '--host', '127.0.0.1', '--port', str(port)]
    + ['--db', os.path.join(workdir, 'emulator.sqlite')],
    cwd=REPO,
    stdout=emulator_log,
    stderr=subprocess.STDOUT,
)
workers = {}  # slot -> pid of a worker forked by the soak_worker.py process
children_lock = threading.Lock()
stopping = threading.Event()
zygote = None  # benchmarks/soak_worker.py: loads the registry once, forks the workers


def stop_children():
    stopping.set()
    with children_lock:
        for pid in workers.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        workers.clear()
        for process in (zygote, emulator):
            if process is None or process.poll() is not None:
                continue
            with contextlib.suppress(OSError):
                process.stdin and process.stdin.close()
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def control(method, path, **kwargs):
    answer = http.request(method, f'{base}/_emulator/{path}', timeout=60, **kwargs)
    answer.raise_for_status()
    return answer.json()


try:
    for _ in range(100):
        try:
            control('GET', 'realms')
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    limits = control('GET', 'config')
    assert limits['limits_enabled'], 'QuickBooks rate limits must be on'

    # -- the company and its connection ---------------------------------------------------

    company, tax = us_company(env, 'Soak 8%')
    connection = connect(env, company, base, REALM)
    env.cr.commit()
    request_timeout = max(5, round(60 * TIME_SCALE)) if TIME_SCALE != 1 else 60
    rates = {kind: round(FAULT_RATE / len(FAULT_KINDS), 4) for kind in FAULT_KINDS}
    faults = {'seed': SEED, 'rates': rates}
    control('PATCH', 'config', json={'fault_injection': faults, 'timeout_hold_seconds': request_timeout + 5})
    say(
        f'emulator pid {emulator.pid} on {base} (rate limits on: {limits["requests_per_minute"]}/min, '
        f'{limits["concurrent_requests"]} concurrent); faults on {FAULT_RATE:.0%} of requests: {rates}'
    )
    say(f'database {db}, work files in {workdir}')

    # -- the request log, read as it goes (it keeps the last 50 000 entries) ------------------

    seen = {'seq': 0}
    traffic = Counter()
    per_second = Counter()  # emulator time (to the second) -> /v3 requests admitted by the limits

    def read_log():
        entries = control('GET', f'requests?since={seen["seq"]}')['requests']
        for entry in entries:
            seen['seq'] = max(seen['seq'], entry['seq'])
            if entry.get('realm') != REALM or '/v3/' not in entry['path']:
                continue
            traffic['requests'] += 1
            if not entry.get('throttled') and entry.get('injected') in (None, 'drop_after_commit'):
                per_second[entry['time'][:19]] += 1  # what the per-minute limit counts
            read = entry['method'] == 'GET' or '/query' in entry['path']
            traffic['reads' if read else 'writes'] += 1
            if entry.get('injected'):
                traffic[f'injected {entry["injected"]}'] += 1
            if entry.get('throttled'):
                traffic[f'rate-limited ({entry["throttled"]})'] += 1
            if entry.get('replayed'):
                traffic['replayed (known requestid)'] += 1

    def poll_log():
        while not stopping.wait(2):
            try:
                read_log()
            except requests.RequestException:
                pass

    threading.Thread(target=poll_log, daemon=True).start()

    # -- four workers, one of them killed every few seconds -----------------------------------

    kills = Counter()

    zygote = subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'benchmarks', 'soak_worker.py'), db, ADDONS_PATH, str(TIME_SCALE)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(os.path.join(workdir, 'workers.log'), 'w'),  # noqa: SIM115 - the child's
        text=True,
    )

    def start_worker(slot):
        zygote.stdin.write('start\n')
        zygote.stdin.flush()
        workers[slot] = int(zygote.stdout.readline())

    def killer():
        rng = random.Random(SEED)
        while not stopping.wait(rng.uniform(*KILL_EVERY)):
            with children_lock:
                if stopping.is_set():
                    return
                slot = rng.randrange(WORKERS)
                try:
                    os.kill(workers[slot], signal.SIGKILL)
                    kills['killed'] += 1
                except ProcessLookupError:
                    kills['found dead'] += 1
                start_worker(slot)

    def start_workers():
        with children_lock:
            for slot in range(WORKERS):
                start_worker(slot)
        threading.Thread(target=killer, daemon=True).start()
        say(f'{WORKERS} workers started (time scale {TIME_SCALE:g}: request timeout {request_timeout} s)')

    # -- the users ---------------------------------------------------------------------------

    corpus = Corpus(env, company, tax, seed=SEED)
    last = 0
    while corpus.documents < DOCUMENTS:
        if not workers and corpus.documents >= DOCUMENTS * HEAD_START:
            start_workers()
        corpus.step()
        if corpus.documents - last >= max(DOCUMENTS // 10, 1):
            last = corpus.documents
            say(f'{corpus.documents} documents made')
    corpus.finish()
    env.cr.commit()
    if not workers:
        start_workers()
    made_at = time.monotonic()
    say(f'corpus made: {corpus.documents} documents; actions {dict(corpus.done)}')

    # -- drain -----------------------------------------------------------------------------

    Job = env['qbo.sync.job'].sudo()
    open_domain = [('state', 'in', ('pending', 'in_progress'))]
    clean_up = False
    advanced = 0
    idle_since = None
    reported = 0
    while True:
        env.cr.commit()  # a fresh snapshot
        env.invalidate_all()
        waiting = Job.search(open_domain)
        if not waiting:
            break
        now = fields.Datetime.now()
        due = waiting.filtered(lambda j, now=now: j.state == 'in_progress' or j.next_attempt_at <= now)
        elapsed = time.monotonic() - made_at
        if due:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > 3:
            # Only backoff left to wait: the clock moves on (the waits are what is compressed).
            waiting.write({'next_attempt_at': now})
            env.cr.commit()
            advanced += 1
            idle_since = None
        if not clean_up and elapsed > CONVERGE_SECONDS:
            clean_up = True
            control('DELETE', 'faults')
            say(f'NOT DRAINED after {elapsed:.0f} s with faults on: fault injection OFF for a final clean-up drain')
        if elapsed > GIVE_UP_SECONDS:
            say(f'GAVE UP: {len(waiting)} jobs still open after {elapsed:.0f} s')
            break
        if time.monotonic() - reported >= 30:
            reported = time.monotonic()
            states = Counter(waiting.mapped('state'))
            say(f'draining: {dict(states)} open, {Job.search_count([("state", "=", "failed")])} failed')
        time.sleep(1)
    drained_at = time.monotonic()
    stopping.set()
    with children_lock:
        for pid in workers.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        workers.clear()
    read_log()
    stats = control('GET', 'stats')['realms'].get(REALM, {})
    if not clean_up:
        control('DELETE', 'faults')  # the books check and the inspection below read without faults
    say(
        f'queue drained in {drained_at - made_at:.0f} s after the corpus was made; '
        f'{kills["killed"]} workers SIGKILLed; backoff fast-forwarded {advanced} times'
    )

    # -- what QuickBooks holds against what Odoo holds ----------------------------------------

    env.invalidate_all()
    live = defaultdict(list)  # (model, id, entity) -> QuickBooks ids of live objects with that reference
    qbo_count = Counter()
    for entity in ('Invoice', 'CreditMemo', 'Payment', 'Purchase', 'SalesReceipt', 'RefundReceipt'):
        objects = control('GET', f'{REALM}/{entity}')['objects']
        qbo_count[entity] = len(objects)
        for obj in objects:
            for ref_db, model, record_id in REFERENCE.findall(obj.get('PrivateNote') or ''):
                if ref_db == db:
                    live[(model, int(record_id), entity)].append(obj['Id'])

    moves = env['account.move'].search(
        [('company_id', '=', company.id), ('move_type', 'in', ('out_invoice', 'out_refund'))]
    )
    payments = env['account.payment'].search([('company_id', '=', company.id), ('partner_type', '=', 'customer')])
    documents = []  # (record, entity, expected live in QuickBooks)
    for move in moves:
        entity = 'Invoice' if move.move_type == 'out_invoice' else 'CreditMemo'
        documents.append((move, entity, move.state == 'posted'))
    for payment in payments:
        entity = 'Payment' if payment.payment_type == 'inbound' else 'Purchase'
        documents.append((payment, entity, payment.state in POSTED_PAYMENT_STATES))

    expected = in_qbo = duplicated = missing = stale = wrong_link = linked_to_dead = 0
    problems = defaultdict(list)
    for record, entity, wanted in documents:
        ids = live.get((record._name, record.id, entity), [])
        label = f'{record._name} {record.id} {record.display_name} ({record.state}, qbo_id {record.qbo_id or "-"})'
        if len(ids) > 1:
            duplicated += 1
            problems['duplicated'].append(f'{label}: {entity} {", ".join(ids)}')
        if wanted:
            expected += 1
            if ids:
                in_qbo += 1
                if record.qbo_id not in ids:
                    wrong_link += 1
                    problems['linked to another object'].append(f'{label}: live {entity} {", ".join(ids)}')
            else:
                missing += 1
                problems['missing'].append(label)
                if record.qbo_id:
                    linked_to_dead += 1
        elif ids:
            stale += 1
            problems['live in QuickBooks, cancelled or draft in Odoo'].append(f'{label}: {entity} {", ".join(ids)}')
    # Links of credit notes (Payment of 0 applying them) and of refunds (Payment linking the check):
    # one per record at most.
    link_twins = [
        f'{model} {record_id}: Payment {", ".join(ids)}'
        for (model, record_id, entity), ids in live.items()
        if entity == 'Payment' and model == 'account.move' and len(ids) > 1
    ]
    link_twins += [
        f'account.payment {p.id} {p.name} (refund): link Payment {", ".join(live[(p._name, p.id, "Payment")])}'
        for p in payments
        if p.payment_type == 'outbound' and len(live.get((p._name, p.id, 'Payment'), [])) > 1
    ]

    # -- the books check (read-only both sides), faults off --------------------------------------

    try:
        check = env['qbo.books.check']._qbo_compare(connection)
        differences = check['differences']
        books_error = None
    except Exception as error:  # noqa: BLE001 - reported, not raised
        differences, books_error = [], f'{type(error).__name__}: {error}'
        check = {'document_count': 0, 'customer_count': 0}

    # -- the report --------------------------------------------------------------------------

    jobs = env['qbo.sync.job'].sudo().search([('connection_id', '=', connection.id)])
    job_states = Counter(jobs.mapped('state'))
    failed = jobs.filtered(lambda j: j.state == 'failed')
    wall = time.monotonic() - started
    print()
    print('=' * 100)
    print(f'soak of {db}: seed {SEED}, {WORKERS} workers, time scale {TIME_SCALE:g}')
    print(f'corpus: {corpus.documents} documents made; user actions: {dict(sorted(corpus.done.items()))}')
    print(
        f'        {len(moves)} invoices and credit notes, {len(payments)} customer payments and refunds, '
        f'{len(corpus.partners)} customers, {len(corpus.products)} products created'
    )
    print(f'        user transactions retried after a concurrent update by a worker: {corpus.retried}')
    for (action, kind, text), n in sorted(corpus.refused.items()):
        print(f'        refused by Odoo ({n}x) {action}: {kind}: {text}')
    print(f'workers: {kills["killed"]} SIGKILLed and restarted; backoff fast-forwarded {advanced} times at the end')
    if clean_up:
        print('FAULT INJECTION WAS SWITCHED OFF for a final clean-up drain: the queue did not drain with faults on')
    print(f'jobs: {dict(job_states)}')
    attempts = Counter(jobs.filtered(lambda j: j.state == 'done').mapped('attempts'))
    print(f'attempts of the jobs done: {dict(sorted(attempts.items()))}')
    print()
    print(f'documents expected in QuickBooks:   {expected}')
    print(f'documents in QuickBooks:            {in_qbo}')
    print(f'documents duplicated:               {duplicated}')
    print(f'documents missing:                  {missing}')
    print(f'live in QuickBooks, not in Odoo:    {stale}   (cancelled or draft in Odoo, not voided in QuickBooks)')
    print(f'linked to another object:           {wrong_link}   (Odoo qbo_id is not the live object)')
    print(f'missing though linked in Odoo:      {linked_to_dead}   (its qbo_id names a deleted or voided object)')
    print(f'credit/refund links duplicated:     {len(link_twins)}')
    print(f'QuickBooks objects:                 {dict(qbo_count)}')
    for title, lines in [*problems.items(), ('credit/refund links duplicated', link_twins)]:
        if lines:
            print(f'  {title}:')
            for line in lines[:15]:
                print(f'    {line}')
            if len(lines) > 15:
                print(f'    ... {len(lines) - 15} more')
    print()
    print(
        f'books check: {len(differences)} differences over {check["document_count"]} documents and '
        f'{check["customer_count"]} customers (run with fault injection off)'
    )
    if books_error:
        print(f'  books check failed: {books_error}')
    by_kind = Counter((d['kind'], d['field']) for d in differences)
    for (kind, field), n in sorted(by_kind.items()):
        print(f'  {kind} / {field}: {n}')
    for difference in differences[:15]:
        record = difference.get('record')
        print(
            f'    {record and record.display_name} {difference.get("qbo_entity")} {difference.get("qbo_id")}: '
            f'{difference["field"]} Odoo {difference.get("odoo")} QuickBooks {difference.get("qbo")}'
        )
    print()
    print(f'jobs failed: {len(failed)}')
    for code, group in sorted(
        ((code, failed.filtered(lambda j, c=code: j.error_code == c)) for code in set(failed.mapped('error_code'))),
        key=lambda item: -len(item[1]),
    ):
        print(f'  [{code}] {len(group)}: {(group[0].error_message or "").strip()[:300]}')
        print(f'      jobs {", ".join(f"{j.id} ({j.res_model} {j.res_id}, {j.operation})" for j in group[:8])}')
    print()
    per_document = traffic['requests'] / max(expected, 1)
    seconds = sorted(per_second)
    peak = 0
    if seconds:
        from datetime import datetime  # noqa: PLC0415

        stamps = [(datetime.fromisoformat(t), per_second[t]) for t in seconds]
        first = 0
        window = 0
        for moment, n in stamps:
            window += n
            while (moment - stamps[first][0]).total_seconds() >= 60:
                window -= stamps[first][1]
                first += 1
            peak = max(peak, window)
    print(
        f'requests: {traffic["requests"]} to QuickBooks ({traffic["reads"]} reads, {traffic["writes"]} writes), '
        f'{per_document:.2f} per document expected'
    )
    print(f'  {", ".join(f"{k}: {v}" for k, v in sorted(traffic.items()) if k not in ("requests", "reads", "writes"))}')
    print(
        f'throttle responses: {stats.get("rate_limited", 0)} from QuickBooks\' rate limits (the emulator\'s own 429s; '
        f'target 0 with a shared throttle), {traffic["injected 429"]} injected 429s; '
        f'peak {peak} requests admitted in 60 s (limit {limits["requests_per_minute"]})'
    )
    if 'qbo.realm.throttle' in env:
        pacer = env['qbo.realm.throttle'].sudo().search([('realm_id', '=', REALM)])
        print(f'shared throttle (qbo.realm.throttle): {pacer.throttled_count} 429s recorded, pausing the company')
    shapes = Counter(
        re.sub(r"'[^']*'", '?', log.request_body or '')[:70]
        for log in env['qbo.sync.log'].sudo().search([('endpoint', 'like', '/query')])
    )
    print('reads by query (call log), most frequent first:')
    for shape, n in shapes.most_common(8):
        print(f'  {n:5d}  {shape}')
    print(
        f'wall time: {wall:.0f} s (corpus made in {made_at - started:.0f} s, drained {drained_at - made_at:.0f} s '
        f'after); emulator stats {json.dumps(stats)}'
    )
    print(f'work files (emulator and worker logs): {workdir}')
    print(
        f'soak: {corpus.documents} documents, {duplicated} duplicated, {missing} missing, '
        f'{len(differences)} books differences'
    )
finally:
    stop_children()
