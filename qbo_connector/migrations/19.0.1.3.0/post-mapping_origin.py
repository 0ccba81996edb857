"""19.0.1.3.0: each mapping says whether the connector created its QuickBooks object or found it.

The ORM added ``qbo_mapping.origin`` with its default, 'found', on every row: what the undo
("Remove what Odoo created in QuickBooks") never touches. Documents and payments were only
ever linked to what the connector sent (a lost answer's object is found by Odoo's reference in
it), so their mappings become 'created' — except payments recorded in QuickBooks and pulled.
Customers, items, accounts and the like stay 'found': nothing tells today whether the
connector created them or matched them, and the undo must not deactivate what a user made."""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """UPDATE qbo_mapping m
              SET origin = 'created'
            WHERE m.res_model IN ('account.move', 'account.payment')
              AND m.role IN ('record', 'receipt', 'credit_application', 'refund_link')
              AND NOT EXISTS (
                  SELECT 1 FROM account_payment p
                   WHERE m.res_model = 'account.payment' AND p.id = m.res_id AND p.qbo_pulled
              )"""
    )
    _logger.info('qbo_connector migration: %s document mappings marked as created by Odoo', cr.rowcount)
