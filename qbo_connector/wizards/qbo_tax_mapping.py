from odoo import fields, models

from ..models.account_tax import UNTAXED_HINT
from .qbo_tax_mapping_line import untaxed_in_us


class QboTaxMapping(models.TransientModel):
    """The tax mapping of one connection: every active sales tax of its company with the
    QuickBooks tax code it goes to — the one stored, else the one suggested by rate, shown as
    such — or sent as a line of its own. Saving stores the choices where the push reads them
    (``qbo.mapping``, entity ``TaxCode``, role ``tax_code``): documents pushed from then on use them."""

    _name = 'qbo.tax.mapping'
    _inherit = ['qbo.mapping.screen']
    _description = 'QuickBooks Online Tax Mapping'
    _qbo_list_model = 'qbo.tax.code'

    qbo_country_code = fields.Char(related='connection_id.qbo_country_code')
    qbo_automated_sales_tax = fields.Boolean(related='connection_id.qbo_automated_sales_tax')
    tax_item_name = fields.Char(related='connection_id.tax_item_name')
    line_ids = fields.One2many('qbo.tax.mapping.line', 'mapping_id', string='Taxes')
    untaxed_tax_code_id = fields.Many2one(
        'qbo.tax.code',
        string='Tax Code for Untaxed Lines',
        check_company=True,
        domain="[('connection_id', '=', connection_id), ('rate', '=', 0)]",
        help='The QuickBooks tax code lines without tax take (outside the US). Empty: the suggestion below.',
    )
    untaxed_suggested_id = fields.Many2one('qbo.tax.code', string='Suggested for Untaxed Lines', readonly=True)

    def _qbo_screen_name(self):
        return self.env._('Tax Mapping')

    def _qbo_refresh_failed(self, error):
        return self.env._(
            'The tax codes of QuickBooks could not be read (%(error)s): these are the ones last read.',
            error=error.message,
        )

    def _qbo_fill(self):
        """One line per active sales tax of the connection's company, as things stand."""
        self.ensure_one()
        connection = self.connection_id
        taxes = self.env['account.tax'].search(
            [('company_id', '=', connection.company_id.id), ('type_tax_use', '=', 'sale')], order='sequence, id'
        )
        codes = self.env['qbo.tax.code']._qbo_of_connection(connection)
        stored = self._qbo_stored_codes(taxes, codes)
        lines = []
        for tax in taxes:
            code = stored.get(tax.id, codes.browse())
            suggested = (
                codes.browse()
                if code or untaxed_in_us(connection, tax)
                else codes._qbo_suggest(tax._qbo_rate(), tax.name)
            )
            lines.append(
                fields.Command.create(
                    {
                        'tax_id': tax.id,
                        'stored_code_id': code.id,
                        'suggested_code_id': suggested.id,
                        'qbo_tax_code_id': (code or suggested).id,
                        'as_line': bool(tax._qbo_sent_as_line()),
                    }
                )
            )
        self.write(
            {
                'line_ids': [fields.Command.clear()] + lines,
                'untaxed_tax_code_id': connection.untaxed_tax_code_id.id,
                'untaxed_suggested_id': codes._qbo_suggest(0.0, UNTAXED_HINT).id,
            }
        )

    def _qbo_stored_codes(self, taxes, codes):
        """{tax id: code} of the stored mappings of ``taxes``."""
        by_qbo_id = {code.qbo_id: code for code in codes}
        # The mappings are the connector's bookkeeping; the connection's readers may see its taxes'.
        found = (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('connection_id', '=', self.connection_id.id),
                    ('res_model', '=', 'account.tax'),
                    ('res_id', 'in', taxes.ids),
                    ('qbo_entity', '=', 'TaxCode'),
                    ('role', '=', 'tax_code'),
                ]
            )
        )
        return {mapping.res_id: by_qbo_id.get(mapping.qbo_id, codes.browse()).with_env(self.env) for mapping in found}

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_refresh(self):
        """Read QuickBooks' tax codes again, keeping the choices made on screen."""
        self.ensure_one()
        self._qbo_refresh_list()
        codes = self.env['qbo.tax.code']._qbo_of_connection(self.connection_id)
        for line in self.line_ids.filtered(lambda line: not line.stored_code_id and not line.untaxed):
            suggested = codes._qbo_suggest(line.tax_id._qbo_rate(), line.tax_id.name)
            unchanged = line.qbo_tax_code_id == line.suggested_code_id
            line.write({'suggested_code_id': suggested.id, **({'qbo_tax_code_id': suggested.id} if unchanged else {})})
        return True

    def action_save(self):
        """Store what the screen shows: each tax's code (none: back to the suggestion by
        rate), its "send as a line" mark and the code for untaxed lines. QuickBooks
        administrators only, like every sync setting of the connection."""
        self.ensure_one()
        connection = self.connection_id
        connection.check_access('write')
        mappings = self.env['qbo.mapping'].sudo()
        for line in self.line_ids:
            tax = line.tax_id.sudo()
            if line.untaxed:
                continue  # never asked for a code
            if tax.amount_type != 'fixed' and tax.qbo_as_line != line.as_line:
                tax.qbo_as_line = line.as_line
            mapping = mappings._qbo_find(connection, tax, 'TaxCode', 'tax_code')
            code = line.qbo_tax_code_id
            if code and code.qbo_id != mapping.qbo_id:
                mappings._qbo_link(connection, tax, 'TaxCode', {'Id': code.qbo_id, 'Name': code.name}, 'tax_code')
            elif not code and mapping:
                mapping.unlink()
        if connection.untaxed_tax_code_id != self.untaxed_tax_code_id:
            connection.untaxed_tax_code_id = self.untaxed_tax_code_id
        self._qbo_fill()
        return True
