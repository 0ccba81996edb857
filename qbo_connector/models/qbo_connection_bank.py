from odoo import fields, models


class QboConnection(models.Model):
    """The bank side of a connection (issue 12, items 3, 4, 6, 7, 8): which of deposits, trust
    receipts, write-offs, billable hard costs and matters go to QuickBooks. Each is off by
    default; the start date of the connection applies to each (docs/bank-and-matters.md)."""

    # A file of its own: qbo_connection.py is every side's.
    _inherit = 'qbo.connection'  # pylint: disable=consider-merging-classes-inherited

    sync_deposits = fields.Boolean(
        string='Bank Deposits',
        tracking=True,
        help='Customer payments wait in QuickBooks\' Undeposited Funds, and the bank statement line Odoo reconciles '
        'them with goes to QuickBooks as one Deposit of those payments into the journal\'s bank account.',
    )
    sync_trust = fields.Boolean(
        string='Trust Accounts',
        tracking=True,
        help='Customer payments into a journal marked as a trust account go to QuickBooks as a Deposit into the '
        'trust bank account, booked to the client trust liability account: never applied to invoices as '
        'operating income.',
    )
    trust_liability_account_name = fields.Char(
        string='Client Trust Liability Account',
        tracking=True,
        help='The QuickBooks Other Current Liability account (subtype Trust Accounts - Liabilities) trust receipts '
        'book to: found by name, else created. Empty: "Client Trust Liability".',
    )
    sync_writeoffs = fields.Boolean(
        string='Write-offs',
        tracking=True,
        help='An invoice balance written off in Odoo (a payment difference booked to a write-off account) goes to '
        'QuickBooks as a credit memo on a write-off item of that account, applied to the invoice with the payment.',
    )
    sync_billable = fields.Boolean(
        string='Billable Hard Costs',
        tracking=True,
        help='Bill lines whose analytic account names a client go to QuickBooks as billable expenses of that '
        'client (or of the matter\'s sub-customer when matters are on).',
    )
    sync_matters = fields.Boolean(
        string='Matters as Sub-customers',
        tracking=True,
        help='An invoice whose lines all carry one analytic account of a client goes to a QuickBooks sub-customer '
        'of the client named after the analytic account (created when missing). Invoices spanning several '
        'analytic accounts fail, saying so, unless they are split by matter.',
    )
    split_matters = fields.Boolean(
        string='Split Invoices by Matter',
        tracking=True,
        help='With matters as sub-customers: a customer invoice or credit note whose lines belong to several '
        'matters is split on posting, in Odoo, into one document per matter (lines of no matter on one of their '
        'own, to the client), each sent to its own sub-customer. Off: such a document fails, saying so.',
    )

    def write(self, vals):
        renamed = self.filtered(
            lambda c: (
                'trust_liability_account_name' in vals
                and (c.trust_liability_account_name or False) != (vals['trust_liability_account_name'] or False)
            )
        )
        if renamed:
            # What the former name was found to be no longer holds (Settings write every value back
            # on each save: an unchanged name keeps what was found, and costs no lookup again).
            self.env['qbo.mapping'].sudo().search(
                [('res_model', '=', self._name), ('res_id', 'in', renamed.ids), ('role', '=', 'trust_liability')]
            ).unlink()
        return super().write(vals)

    def _qbo_dated_in(self, date):
        """Whether ``date`` is on or after the start date (the bank side's documents honour it)."""
        self.ensure_one()
        return not (self.sync_start_date and date and date < self.sync_start_date)
