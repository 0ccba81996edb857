"""19.0.1.2.0: the call log's retention is a setting of each connection.

It was the system parameter ``qbo_connector.log_retention_days``, for every company at once.
Runs after the ORM added the column (every connection then has the default, 90 days): a
parameter set on the site is copied onto every connection, then deleted, so that nothing reads
it again by mistake."""

import logging

_logger = logging.getLogger(__name__)

PARAM = 'qbo_connector.log_retention_days'


def migrate(cr, version):
    if not version:
        return
    cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [PARAM])
    row = cr.fetchone()
    if not row:
        return
    try:
        # The vacuum read any number up to 0 as "keep every row".
        days = max(int(row[0]), 0)
    except (TypeError, ValueError):
        _logger.warning('qbo_connector migration: %s = %r is not a number of days; the default is kept', PARAM, row[0])
    else:
        cr.execute("UPDATE qbo_connection SET log_retention_days = %s", [days])
        _logger.info('qbo_connector migration: call log retention of %s days set on %s connections', days, cr.rowcount)
    cr.execute("DELETE FROM ir_config_parameter WHERE key = %s", [PARAM])
