from odoo import fields, models

# What the bank side binds (issue 12, items 3, 4, 6, 7, 8; docs/bank-and-matters.md).
BANK_ENTITIES = [('Deposit', 'Deposit')]
BANK_ROLES = [
    ('trust_liability', 'Client trust liability account of the connection'),
    ('matter', 'Sub-customer of the matter'),
    ('writeoff_item', 'Write-off item of the account'),
    ('writeoff', 'Write-off credit memo of the payment'),
]


class QboMapping(models.Model):
    # A file of its own: qbo_mapping.py is the binder every side shares.
    _inherit = 'qbo.mapping'  # pylint: disable=consider-merging-classes-inherited

    qbo_entity = fields.Selection(selection_add=BANK_ENTITIES, ondelete={k: 'cascade' for k, _label in BANK_ENTITIES})
    role = fields.Selection(selection_add=BANK_ROLES, ondelete={k: 'cascade' for k, _label in BANK_ROLES})
