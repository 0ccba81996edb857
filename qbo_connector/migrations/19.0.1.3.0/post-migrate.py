"""19.0.1.3.0: a connection remembers that receipts were ever on (``receipts_used``).

Only then is a receipt looked up after an attempt whose answer was lost. The column is new, so
it is set here for the connections that have receipts on, hold receipts in QuickBooks, or sent
one (the call log): for them a lost attempt may have made one."""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE qbo_connection c SET receipts_used = TRUE
         WHERE c.receipts_paid_at_once
            OR EXISTS (SELECT 1 FROM qbo_mapping m WHERE m.connection_id = c.id
                        AND m.qbo_entity IN ('SalesReceipt', 'RefundReceipt'))
            OR EXISTS (SELECT 1 FROM qbo_sync_log l WHERE l.connection_id = c.id AND l.method = 'POST'
                        AND (l.endpoint ILIKE '%%salesreceipt%%' OR l.endpoint ILIKE '%%refundreceipt%%'))
        """
    )
    _logger.info('qbo_connector migration: %s connections have used receipts', cr.rowcount)
