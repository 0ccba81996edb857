from odoo import api, fields, models

from ..exceptions import QboValidationError
from ..tools.qbo_objects import is_voided, version
from .account_move import ENTITY_BY_MOVE_TYPE

# What of a sales document Odoo sent is compared with what QuickBooks holds later: a change of
# Balance alone (a payment applied there, or by Odoo) is not an edit.
SNAPSHOT_LABELS = (
    ('customer', 'Customer'),
    ('date', 'Date'),
    ('number', 'Number'),
    ('total', 'Total'),
    ('tax', 'Tax'),
    ('lines', 'Lines'),
)


def document_snapshot(obj):
    """What of the QuickBooks sales document ``obj`` (an Invoice or CreditMemo) makes it the
    document it is, as comparable plain values."""
    lines = []
    for line in obj.get('Line') or []:
        detail = line.get('SalesItemLineDetail')
        if detail is None:
            continue
        lines.append(
            [
                str((detail.get('ItemRef') or {}).get('value') or ''),
                round(float(detail.get('Qty') or 0.0), 4),
                round(float(line.get('Amount') or 0.0), 2),
                line.get('Description') or '',
            ]
        )
    return {
        'customer': str((obj.get('CustomerRef') or {}).get('value') or ''),
        'date': obj.get('TxnDate') or '',
        'number': obj.get('DocNumber') or '',
        'total': round(float(obj.get('TotalAmt') or 0.0), 2),
        'tax': round(float((obj.get('TxnTaxDetail') or {}).get('TotalTax') or 0.0), 2),
        'lines': sorted(lines),
    }


def describe(key, value):
    if key == 'lines':
        return f'{len(value)} line(s), {sum(line[2] for line in value):.2f}'
    return str(value) if value not in (None, '') else '-'


class AccountMove(models.Model):
    """Invoices and credit notes Odoo sent, changed in QuickBooks (issue 10, item 5): flagged, never
    silently overwritten or re-created; Push again or Accept decides."""

    _name = 'account.move'
    _inherit = ['account.move', 'qbo.conflict.mixin']

    # QuickBooks' answer to Odoo's last write of the document, as compared (document_snapshot).
    qbo_pushed_snapshot = fields.Json(copy=False, readonly=True, groups='base.group_user')

    # ------------------------------------------------------------------
    # Push side: remember what was sent, hold back while flagged
    # ------------------------------------------------------------------

    def _qbo_keep_odoo_tax(self, job, client, entity, values, result):
        result = super()._qbo_keep_odoo_tax(job, client, entity, values, result)
        if entity in ENTITY_BY_MOVE_TYPE.values() and result:
            self._qbo_write_status({'qbo_pushed_snapshot': document_snapshot(result)})
        return result

    def _qbo_push(self, job, outcome_unknown=False):
        if self.move_type in ENTITY_BY_MOVE_TYPE and self.sudo().qbo_conflict:
            raise QboValidationError(
                'changed_in_quickbooks',
                self.env._(
                    '%(move)s was changed in QuickBooks (%(what)s) and is not sent until someone decides: Push again '
                    'sends Odoo\'s version, Accept keeps QuickBooks\'.',
                    move=self.display_name,
                    what=dict(self._fields['qbo_conflict'].selection)[self.sudo().qbo_conflict],
                ),
            )
        return super()._qbo_push(job, outcome_unknown=outcome_unknown)

    def _qbo_enqueue(self, operation):
        if self.env.context.get('qbo_accepting'):
            return None  # QuickBooks already holds what the user accepted
        return super()._qbo_enqueue(operation)

    # ------------------------------------------------------------------
    # Pull (in a pull job)
    # ------------------------------------------------------------------

    def _qbo_pull_unchanged(self, entity, obj):
        """Whether QuickBooks' version ``obj`` of this document is the one Odoo sent (its balance aside)."""
        self.ensure_one()
        if is_voided(obj):
            return self.state == 'cancel'
        return bool(self.qbo_pushed_snapshot) and self.qbo_pushed_snapshot == document_snapshot(obj)

    @api.model
    def _qbo_pull(self, connection, obj, entity):
        """A change QuickBooks made to the ``entity`` (Invoice, CreditMemo) ``obj`` (or its deletion):
        nothing when it is Odoo's own document as sent (a payment applied changes only its balance),
        else the document is flagged. Returns the document flagged (empty otherwise)."""
        mapping = (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('connection_id', '=', connection.id),
                    ('qbo_entity', '=', entity),
                    ('qbo_id', '=', str(obj['Id'])),
                    ('role', '=', 'record'),
                    ('res_model', '=', self._name),
                ],
                limit=1,
            )
        )
        move = self.browse(mapping.res_id).exists()
        if not move:
            return self.browse()
        deleted = obj.get('status') == 'Deleted'
        if not deleted and version(obj.get('SyncToken')) <= version(mapping.sync_token):
            return self.browse()  # this version, or a later one, is Odoo's own
        kind, differences = move._qbo_pull_differences(connection, entity, obj)
        if not kind:
            if not deleted:
                # The version QuickBooks holds now (a payment applied): the next update carries it.
                mapping.write({'sync_token': obj.get('SyncToken')})
                if not move.qbo_pushed_snapshot and not is_voided(obj):
                    # Sent before Odoo kept what it sent, and found in agreement: compared exactly from now on.
                    move._qbo_write_status({'qbo_pushed_snapshot': document_snapshot(obj)})
            return self.browse()
        responsible = move.invoice_user_id
        if not (responsible and responsible.has_group('qbo_connector.group_qbo_user')):
            responsible = None
        move._qbo_flag_conflict(kind, differences, obj, responsible=responsible)
        return move

    def _qbo_pull_differences(self, connection, entity, obj):
        """(kind, [(what, Odoo's, QuickBooks')]) of what QuickBooks changed in this document since Odoo
        sent it; (None, []) when nothing that matters did."""
        self.ensure_one()
        if obj.get('status') == 'Deleted':
            return 'deleted', [(self.env._('Exists'), self.env._('yes'), self.env._('deleted'))]
        if is_voided(obj):
            if self.state == 'cancel':
                return None, []  # Odoo's own void
            return 'voided', [(self.env._('Status'), self.env._('open'), self.env._('voided'))]
        theirs = document_snapshot(obj)
        pushed = self.qbo_pushed_snapshot
        differences = []
        if pushed:
            labels = dict(SNAPSHOT_LABELS)
            for key, _label in SNAPSHOT_LABELS:
                if pushed.get(key) != theirs.get(key):
                    differences.append(
                        (self.env._(labels[key]), describe(key, pushed.get(key)), describe(key, theirs[key]))
                    )
        else:
            # Sent before the connector kept what it sent: the books check's comparison of amounts.
            check = self.env['qbo.books.check']
            for field, odoo_amount, qbo_amount in check._qbo_compare_document(connection, self, entity, obj):
                if field != 'balance':
                    differences.append((field.capitalize(), f'{odoo_amount:.2f}', f'{qbo_amount:.2f}'))
            if theirs['date'] and theirs['date'] != fields.Date.to_string(self.invoice_date or self.date):
                differences.append((self.env._('Date'), str(self.invoice_date or self.date), theirs['date']))
        return ('changed' if differences else None), differences

    # ------------------------------------------------------------------
    # The decisions
    # ------------------------------------------------------------------

    def _qbo_conflict_push_again(self, kind, payload):
        """Odoo's version goes again: an update (of the voided document too, which brings it back), a
        new document after a deletion; a document cancelled in Odoo is voided."""
        mapping = self._qbo_conflict_mapping(ENTITY_BY_MOVE_TYPE[self.move_type])
        if kind == 'deleted':
            mapping.unlink()
            self._qbo_write_status({'qbo_pushed_snapshot': False})
        else:
            mapping._qbo_take_version(payload)
        operation = 'void' if self.state == 'cancel' else 'push'
        if operation == 'push' and self.state != 'posted':
            return  # posted again, it is sent
        self.env['qbo.sync.job']._qbo_enqueue(self, operation, priority=20)

    def _qbo_conflict_accept(self, kind, payload):
        """QuickBooks' version stays: the next comparison starts from it; a voided or deleted document
        is cancelled in Odoo (nothing sent: QuickBooks holds it so already)."""
        mapping = self._qbo_conflict_mapping(ENTITY_BY_MOVE_TYPE[self.move_type])
        if kind in ('voided', 'deleted') and self.state != 'cancel':
            move = self.with_context(qbo_accepting=True)
            if move.state == 'posted':
                move.button_draft()
            move.button_cancel()
        if kind == 'deleted':
            mapping.unlink()
            self._qbo_write_status({'qbo_pushed_snapshot': False})
        elif payload:
            if mapping and version(payload.get('SyncToken')) > version(mapping.sync_token):
                mapping.write({'sync_token': payload.get('SyncToken')})
            self._qbo_write_status({'qbo_pushed_snapshot': document_snapshot(payload)})
        self._qbo_conflict_settle_jobs(kind, mapping, self.state == 'cancel')
