from odoo import api, fields, models

from ..tools.qbo_client import CREATED_MARK

# The QuickBooks entities an Odoo record can be bound to.
QBO_ENTITIES = [
    ('Customer', 'Customer'),
    ('Vendor', 'Vendor'),
    ('Item', 'Item'),
    ('Term', 'Term'),
    ('PaymentMethod', 'Payment Method'),
    ('TaxCode', 'Tax Code'),
    ('Account', 'Account'),
    ('Invoice', 'Invoice'),
    ('CreditMemo', 'Credit Memo'),
    ('SalesReceipt', 'Sales Receipt'),
    ('RefundReceipt', 'Refund Receipt'),
    ('Payment', 'Payment'),
    ('Purchase', 'Purchase (check or card)'),
    ('Bill', 'Bill'),
    ('VendorCredit', 'Vendor Credit'),
    ('BillPayment', 'Bill Payment'),
]
# What the QuickBooks object is to the Odoo record. "record" is the record itself (an invoice's
# Invoice, a partner's Customer, a product's Item); the others are the cases where one record
# legitimately has several QuickBooks objects, or shares one with other records.
ROLES = [
    ('record', 'The record itself'),
    ('sub_customer', 'Sub-customer of its company'),
    ('receipt', 'Payment held in a receipt'),
    ('credit_application', 'Credit applied to invoices'),
    ('refund_link', 'Refund linked to credit notes'),
    ('bank_account', 'Bank account of the journal'),
    ('undeposited', 'Undeposited funds of the journal'),
    ('income_account', 'Income account'),
    ('expense_account', 'Expense account'),
    ('receivable', 'Accounts receivable of the currency'),
    ('tax_code', 'Tax code of the tax'),
    ('payment_method', 'Payment method of the method line'),
    ('term', 'Term of the payment term'),
]
# Roles whose QuickBooks object several Odoo records share: many taxes go to one tax code,
# many method lines to one payment method, many journals to Undeposited Funds, many currencies
# or accounts to one account, payment terms named alike (in any case) to one term. Every other
# role binds a QuickBooks object to one Odoo record.
SHARED_ROLES = (
    'tax_code',
    'payment_method',
    'undeposited',
    'receivable',
    'income_account',
    'expense_account',
    'term',
)


class QboMapping(models.Model):
    """The binder: which QuickBooks object an Odoo record is, per connection, entity and role."""

    _name = 'qbo.mapping'
    _description = 'QuickBooks Online Mapping'
    _order = 'id desc'
    _check_company_auto = True

    connection_id = fields.Many2one('qbo.connection', required=True, index=True, ondelete='cascade', readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    res_model = fields.Char(string='Odoo Model', required=True, readonly=True)
    res_id = fields.Many2oneReference(string='Odoo Record', model_field='res_model', required=True, readonly=True)
    qbo_entity = fields.Selection(QBO_ENTITIES, string='QuickBooks Entity', required=True, readonly=True)
    role = fields.Selection(ROLES, required=True, default='record', readonly=True)
    currency_id = fields.Many2one(
        'res.currency',
        readonly=True,
        help="A customer's currency when it is not the home currency: QuickBooks fixes a customer's currency, "
        "so a partner has one customer per currency.",
    )
    qbo_id = fields.Char(string='QuickBooks Id', required=True, readonly=True)
    sync_token = fields.Char(readonly=True, help="QuickBooks' version of the object when we last wrote or read it.")
    qbo_name = fields.Char(string='QuickBooks Name', readonly=True)
    origin = fields.Selection(
        [('created', 'Created by Odoo'), ('found', 'Found in QuickBooks')],
        default='found',
        readonly=True,
        help='Whether the connector created the QuickBooks object, or found it there and linked it: '
        '"Remove what Odoo created in QuickBooks" removes only the former.',
    )
    initial_sync_id = fields.Many2one(
        'qbo.initial.sync',
        string='Created by Initial Sync',
        readonly=True,
        index='btree_not_null',
        ondelete='set null',
        help='The initial sync whose work created the QuickBooks object (its undo removes it).',
    )

    _odoo_side_unique = models.UniqueIndex(
        '(connection_id, res_model, res_id, qbo_entity, role, COALESCE(currency_id, 0))',
        'An Odoo record maps to one QuickBooks object of each entity, role and currency.',
    )
    _qbo_side_unique = models.UniqueIndex(
        f"(connection_id, qbo_entity, role, qbo_id) WHERE role NOT IN {SHARED_ROLES}",
        'A QuickBooks object maps to one Odoo record.',
    )

    def _qbo_ref(self):
        """This mapping as a QuickBooks reference ({'value', 'name'})."""
        self.ensure_one()
        return {'value': self.qbo_id, 'name': self.qbo_name}

    @api.model
    def _qbo_find(self, connection, record, entity, role='record', currency=None):
        """The mapping of ``record`` to a QuickBooks ``entity`` in ``role`` (empty if none)."""
        return self.search(
            [
                ('connection_id', '=', connection.id),
                ('res_model', '=', record._name),
                ('res_id', '=', record.id),
                ('qbo_entity', '=', entity),
                ('role', '=', role),
                ('currency_id', '=', currency.id if currency else False),
            ],
            limit=1,
        )

    @api.model
    def _qbo_record_of(self, connection, entity, qbo_id, model, role='record'):
        """The ``model`` record bound to the QuickBooks object ``entity`` ``qbo_id`` in ``role``."""
        mapping = self.search(
            [
                ('connection_id', '=', connection.id),
                ('qbo_entity', '=', entity),
                ('role', '=', role),
                ('qbo_id', '=', str(qbo_id)),
                ('res_model', '=', model),
            ],
            limit=1,
        )
        return self.env[model].browse(mapping.res_id)

    @api.model
    def _qbo_link(self, connection, record, entity, qbo_object, role='record', currency=None, origin=None):
        """Bind ``record`` to ``qbo_object`` (QuickBooks JSON, or {'Id', 'Name'}); returns the mapping.

        ``origin``: 'created' when Odoo created the object (also told by QboClient.create's mark on
        it), else 'found'; a link written again keeps a 'created' it had."""
        if origin is None and qbo_object.get(CREATED_MARK):
            origin = 'created'
        values = {
            'qbo_id': str(qbo_object['Id']),
            'sync_token': qbo_object.get('SyncToken'),
            'qbo_name': qbo_object.get('DisplayName') or qbo_object.get('Name') or qbo_object.get('DocNumber'),
        }
        mapping = self.sudo()._qbo_find(connection, record, entity, role, currency)
        if mapping:
            if origin == 'created' or (origin and mapping.qbo_id != values['qbo_id']):
                values['origin'] = origin
            if origin == 'created' and mapping.qbo_id != values['qbo_id']:
                values['initial_sync_id'] = self.env.context.get('qbo_initial_sync_id') or False
            mapping.write(values)
        else:
            values['origin'] = origin or 'found'
            if values['origin'] == 'created':
                # Run by a job of an initial sync (qbo.sync.job._qbo_run): its undo removes it.
                values['initial_sync_id'] = self.env.context.get('qbo_initial_sync_id') or False
            mapping = self.sudo().create(
                {
                    'connection_id': connection.id,
                    'res_model': record._name,
                    'res_id': record.id,
                    'qbo_entity': entity,
                    'role': role,
                    'currency_id': currency.id if currency else False,
                    **values,
                }
            )
        _invalidate_records(mapping)
        return mapping

    @api.model
    def _qbo_written_now(self, connection):
        """The mappings of ``connection`` this transaction created or changed, as (id, values) to
        write again once the transaction is rolled back to before them (see ``_qbo_restore``).
        Shared ones (tax codes, payment methods, accounts, terms) are left out: they are found again
        without a write, and every worker touches them."""
        mappings = self.sudo().search(
            [
                ('connection_id', '=', connection.id),
                ('write_date', '>=', self.env.cr.now()),
                ('role', 'not in', SHARED_ROLES),
            ],
            order='id',
        )
        keys = ('connection_id', 'res_model', 'res_id', 'qbo_entity', 'role', 'currency_id')
        return [
            (m.id, {k: m[k].id if k in ('connection_id', 'currency_id') else m[k] for k in keys} | _values_of(m))
            for m in mappings
        ]

    def _qbo_take_version(self, obj):
        """Hold ``obj``'s SyncToken (QuickBooks' version as a pull read it): the next update is
        written over that version without a read first."""
        if self and (obj or {}).get('SyncToken') is not None:
            self.sudo().write({'sync_token': obj['SyncToken']})

    @api.model
    def _qbo_restore(self, written):
        """Write ``written`` (from ``_qbo_written_now``) again: the objects QuickBooks created or
        changed before an attempt failed exist there whatever becomes of the attempt."""
        mappings = self.sudo()
        if not written:
            return mappings
        kept = set(mappings.browse([mapping_id for mapping_id, _values in written]).exists().ids)
        for mapping_id, values in written:
            if mapping_id in kept:
                mappings |= mappings.browse(mapping_id)
                mappings.browse(mapping_id).write(_values_of(values))
            else:
                mappings |= mappings.create(values)
        _invalidate_records(mappings)
        return mappings

    def unlink(self):
        _invalidate_records(self)
        return super().unlink()

    @api.model
    def _qbo_resolve(self, connection, record, entity, find, role='record', currency=None):
        """The QuickBooks reference of ``record``: its mapping without a request, else what
        ``find()`` returns (a QuickBooks object found or created), bound to it. None when
        ``find()`` returns nothing (the record needs no QuickBooks object)."""
        mappings = self.sudo()
        mapping = mappings._qbo_find(connection, record, entity, role, currency)
        if not mapping:
            qbo_object = find()
            if not qbo_object:
                return None
            mapping = mappings._qbo_link(connection, record, entity, qbo_object, role, currency)
        return mapping._qbo_ref()

    @api.model
    def _qbo_unclaimed(self, connection, record, entity, qbo_objects, role='record'):
        """The ``qbo_objects`` no other Odoo record is bound to in ``role``: binding a taken
        one would break the mapping's uniqueness."""
        ids = [str(obj['Id']) for obj in qbo_objects]
        taken = (
            set(
                self.sudo()
                .search(
                    [
                        ('connection_id', '=', connection.id),
                        ('qbo_entity', '=', entity),
                        ('role', '=', role),
                        ('qbo_id', 'in', ids),
                        '!',
                        '&',
                        ('res_model', '=', record._name),
                        ('res_id', '=', record.id),
                    ]
                )
                .mapped('qbo_id')
            )
            if ids
            else set()
        )
        return [obj for obj in qbo_objects if str(obj['Id']) not in taken]


def _values_of(mapping):
    """What a mapping says of its QuickBooks object (a mapping or its values)."""
    return {
        'qbo_id': mapping['qbo_id'],
        'sync_token': mapping['sync_token'],
        'qbo_name': mapping['qbo_name'],
        'origin': mapping['origin'],
        'initial_sync_id': mapping['initial_sync_id'].id
        if isinstance(mapping['initial_sync_id'], models.BaseModel)
        else mapping['initial_sync_id'],
    }


def _invalidate_records(mappings):
    """Make the records of ``mappings`` forget what they computed from them (their QuickBooks id)."""
    for mapping in mappings:
        record = mappings.env[mapping.res_model].browse(mapping.res_id)
        computed = [name for name in ('qbo_id', 'qbo_url') if name in record._fields]
        if computed:
            record.invalidate_recordset(computed)
