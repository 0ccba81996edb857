"""The queue workers of `./qbo soak`: Odoo processes that drain `qbo.sync.job` until killed.

    python3 benchmarks/soak_worker.py DB ADDONS_PATH [TIME_SCALE]

This process loads the registry once, then forks a worker for each line `start` read on its
standard input and answers the worker's pid on its standard output (the way Odoo's prefork
server forks its workers from a master that preloaded the registry). Each worker opens its own
database connections and does what the scheduled action "QuickBooks: process jobs" does in a
cron worker: the cron's user, a cursor of its own, `qbo.sync.job._cron_process_jobs()`, again
and again. A worker SIGKILLed by the soak dies with its transaction and its session's advisory
locks, as a cron worker killed by the OOM killer or a redeploy does.

Outside a cron run `ir.cron._commit_progress` has no progress record to write and just commits
(Odoo 19, base/models/ir_cron.py): the same commits at the same points as in a cron run; only
the cron's time budget (`cron_end_time`, which merely ends a run early) is not there.
`ir.cron.method_direct_trigger` is not used: it takes the cron's row lock, so the four workers
would run one at a time (Odoo runs one job of a cron at once); the point is four at once.

TIME_SCALE (default 1) compresses the outbox's waits so that a soak converges in minutes: the
backoff between attempts (const.JOB_BACKOFF_SECONDS: 60 s ... 12 h), the waits errors name
(QboRetryableError.retry_after: 60 s after a 429, 5 s after a lost race; not the pace of the
shared throttle, which follows QuickBooks' real per-minute limit), the pauses before a request is
sent again (const.RETRY_DELAYS) and the request timeout
(const.REQUEST_TIMEOUT, 60 s; at least 5 s) are multiplied by it, in these processes only.
Nothing else of the addon is touched, and all waits keep their proportions.
"""

import os
import random
import sys
import time
import traceback


def main():
    db, addons_path = sys.argv[1], sys.argv[2]
    scale = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    from odoo import api, sql_db  # noqa: PLC0415 - imported by the worker only
    from odoo.modules.registry import Registry  # noqa: PLC0415
    from odoo.service import server  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(
        ['-d', db, f'--addons-path={addons_path}', '--log-level=warn', '--no-http', '--db_maxconn=4'],
        setup_logging=True,
    )
    server.load_server_wide_modules()
    registry = Registry(db)
    from odoo.addons.qbo_connector import const, exceptions  # noqa: PLC0415 - importable once the registry is loaded

    if scale != 1.0:
        const.JOB_BACKOFF_SECONDS = tuple(max(1, round(s * scale)) for s in const.JOB_BACKOFF_SECONDS)
        const.REQUEST_TIMEOUT = max(5, round(const.REQUEST_TIMEOUT * scale))
        const.RETRY_DELAYS = tuple(delay * scale for delay in const.RETRY_DELAYS)
        # A wait named by the error (QuickBooks' 60 s after a 429, which pauses the company for
        # every worker, 5 s after a lost race) is compressed alike: left at 60 s, a throttled
        # invoice would wait out many compressed backoffs of the payments waiting for it, each
        # one an attempt they use up. Not the waits of the shared throttle's pace (code
        # 'throttled'): they are QuickBooks' real per-minute limit, which is not compressed.
        retryable_init = exceptions.QboRetryableError.__init__

        def compressed_init(self, *args, **kwargs):
            retryable_init(self, *args, **kwargs)
            if self.retry_after and self.code != 'throttled':
                self.retry_after = max(1, round(self.retry_after * scale))

        exceptions.QboRetryableError.__init__ = compressed_init
    with registry.cursor() as cr:
        cron = api.Environment(cr, api.SUPERUSER_ID, {}).ref('qbo_connector.ir_cron_qbo_process_jobs')
        cron_id, uid = cron.id, cron.user_id.id
    sql_db.close_all()  # no connection is shared with the children
    for line in sys.stdin:
        while True:  # reap the workers killed since
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if not pid:
                break
        if line.strip() != 'start':
            continue
        pid = os.fork()
        if pid:
            print(pid, flush=True)
            continue
        os.dup2(2, 1)  # the pid channel is the parent's alone
        random.seed()
        try:
            while True:
                with registry.cursor() as cr:
                    env = api.Environment(cr, uid, {'lastcall': False, 'cron_id': cron_id})
                    env['qbo.sync.job']._cron_process_jobs()
                time.sleep(0.3)
        except BaseException:  # noqa: BLE001 - a worker that stops says why
            traceback.print_exc()
        finally:
            os._exit(1)


if __name__ == '__main__':
    main()
