from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import email_normalize

from ..tools.qbo_objects import version

from .qbo_conflict_mixin import PROTECTED_FIELDS
from .qbo_synced_mixin import send_current
from .res_partner import customer_names

# The contact fields a customer edited in QuickBooks brings to its Odoo partner.
CONTACT_FIELDS = ('name', 'email', 'phone', 'street', 'street2', 'city', 'zip', 'state_id', 'country_id')
PROTECTED = PROTECTED_FIELDS | {'qbo_contact_changed_at', 'qbo_contact_synced_at'}


class ResPartner(models.Model):
    """Customers edited or created in QuickBooks (issue 10, item 6): the mapped partner's contact
    fields follow QuickBooks, unless Odoo changed the partner since the last sync (then it is
    flagged with both versions, nothing overwritten); a customer created there becomes a partner
    (the one of the same email when there is one) when the connection says so."""

    _name = 'res.partner'
    _inherit = ['res.partner', 'qbo.conflict.mixin']

    # Partners are often shared by the companies (no company): a job of a connection may write the
    # customer such a partner is mapped to (qbo_sync_job.of_company).
    _qbo_shared_records = True

    # When Odoo last changed the contact fields since they were last in line with QuickBooks (cleared
    # at each sync): set, a change made in QuickBooks is flagged rather than applied.
    qbo_contact_changed_at = fields.Datetime(copy=False, readonly=True, groups='base.group_user')
    qbo_contact_synced_at = fields.Datetime(copy=False, readonly=True, groups='base.group_user')

    def write(self, vals):
        if not self.env.su and PROTECTED & set(vals):
            # The connector's own: never a user's to set. Dropped rather than refused, as the contact
            # merge copies every field of the merged contacts onto the one that stays.
            vals = {key: value for key, value in vals.items() if key not in PROTECTED}
        if not self.env.context.get('qbo_pull') and set(CONTACT_FIELDS) & set(vals):
            vals = {**vals, 'qbo_contact_changed_at': fields.Datetime.now()}
        return super().write(vals)

    def _qbo_resolve_customer(self, connection, client, currency=None, invoiced_partner=None):
        ref = super()._qbo_resolve_customer(connection, client, currency=currency, invoiced_partner=invoiced_partner)
        partner = self.sudo()
        if ref and not partner.qbo_contact_synced_at:
            # What Odoo had when its customer was made or found: later edits are Odoo's changes.
            partner.with_context(qbo_pull=True).write(
                {'qbo_contact_synced_at': fields.Datetime.now(), 'qbo_contact_changed_at': False}
            )
        return ref

    # ------------------------------------------------------------------
    # Pull (in a pull job)
    # ------------------------------------------------------------------

    @api.model
    def _qbo_pull_values(self, obj):
        """The Odoo contact fields of the QuickBooks Customer ``obj`` (only those it carries)."""
        values = {}
        if obj.get('DisplayName'):
            values['name'] = obj['DisplayName']
        if 'PrimaryEmailAddr' in obj:
            values['email'] = email_normalize((obj.get('PrimaryEmailAddr') or {}).get('Address') or '') or False
        if 'PrimaryPhone' in obj:
            values['phone'] = (obj.get('PrimaryPhone') or {}).get('FreeFormNumber') or False
        address = obj.get('BillAddr')
        if address is not None:
            country = self.env['res.country']
            code = (address or {}).get('Country') or ''
            if code:
                country = country.search(['|', ('code', '=ilike', code), ('name', '=ilike', code)], limit=1)
            state = self.env['res.country.state']
            subdivision = (address or {}).get('CountrySubDivisionCode')
            if subdivision:
                domain = [('code', '=ilike', subdivision)] + ([('country_id', '=', country.id)] if country else [])
                state = state.search(domain, limit=1)
            values.update(
                {
                    'street': (address or {}).get('Line1') or False,
                    'street2': (address or {}).get('Line2') or False,
                    'city': (address or {}).get('City') or False,
                    'zip': (address or {}).get('PostalCode') or False,
                    'state_id': state.id or False,
                    'country_id': country.id or state.country_id.id or False,
                }
            )
        return values

    def _qbo_pull_differing(self, values, mapping):
        """{field: QuickBooks' value} of ``values`` this partner holds otherwise. Compared with the
        partner as Odoo sends it (its mapper, read back: the billing address may be its invoice
        address's, the email normalised), else with the field itself (the phone, which Odoo does not
        send). The name counts only when QuickBooks renamed the customer (Odoo may have sent it under
        a longer name)."""
        self.ensure_one()
        sent = {}
        if mapping:
            connection = mapping.connection_id
            sent = self._qbo_pull_values(
                self._qbo_prepare_values(connection, mapping.currency_id.name or None, self, None)
            )
        differing = {}
        for field, value in values.items():
            if field == 'name':
                if value not in (mapping.qbo_name, self.name):
                    differing[field] = value
                continue
            if field in sent:
                current = sent[field]
            else:
                current = self[field]
                current = current.id if isinstance(current, models.BaseModel) else current
            if (current or False) != (value or False):
                differing[field] = value
        return differing

    @api.model
    def _qbo_pull(self, connection, obj, entity):
        """Bring the QuickBooks Customer ``obj`` into Odoo. Returns the partner updated, created,
        matched or flagged (empty when nothing changed)."""
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings.search(
            [
                ('connection_id', '=', connection.id),
                ('qbo_entity', '=', 'Customer'),
                ('qbo_id', '=', str(obj['Id'])),
                ('role', 'in', ('record', 'sub_customer')),
                ('res_model', '=', self._name),
            ],
            limit=1,
        )
        partner = self.browse(mapping.res_id).exists().sudo()
        if obj.get('status') == 'Deleted':
            return self.browse()  # QuickBooks makes customers inactive; the partner stays
        values = self._qbo_pull_values(obj)
        if not partner:
            return self._qbo_pull_new(connection, obj, values)
        if version(obj.get('SyncToken')) <= version(mapping.sync_token):
            return self.browse()
        differing = partner._qbo_pull_differing(values, mapping)
        if not differing:
            mapping.write({'sync_token': obj.get('SyncToken')})
            return self.browse()
        if partner.qbo_contact_changed_at:
            # Changed in Odoo since the last sync (its date is cleared at each sync).
            both = [
                (partner._fields[f].string, _shown(partner[f]), _shown(partner._fields[f], v, self.env))
                for f, v in differing.items()
            ]
            partner._qbo_flag_conflict('changed', both, obj)
            return partner
        partner._qbo_pull_apply(differing, mapping, obj)
        return partner

    def _qbo_pull_apply(self, values, mapping, obj):
        """Write QuickBooks' ``values`` on this partner (not an Odoo change) and keep its version."""
        self.ensure_one()
        changed = ', '.join(self._fields[f].string for f in values)
        self.with_context(qbo_pull=True).write(
            {**values, 'qbo_contact_synced_at': fields.Datetime.now(), 'qbo_contact_changed_at': False}
        )
        if mapping:
            mapping.write({'sync_token': obj.get('SyncToken'), 'qbo_name': obj.get('DisplayName') or mapping.qbo_name})
        self.message_post(body=Markup('%s %s') % (self.env._('Changed in QuickBooks:'), changed))

    @api.model
    def _qbo_pull_new(self, connection, obj, values):
        """A customer made in QuickBooks: the partner of its email (never a second one), else a new
        partner, bound to it; nothing unless the connection creates customers."""
        if not connection.pull_customers_create or obj.get('Active') is False:
            return self.browse()
        company = connection.company_id
        partner = self.browse()
        if values.get('email'):
            taken = (
                self.env['qbo.mapping']
                .sudo()
                .search(
                    [
                        ('connection_id', '=', connection.id),
                        ('qbo_entity', '=', 'Customer'),
                        ('res_model', '=', self._name),
                    ]
                )
                .mapped('res_id')
            )
            partner = self.sudo().search(
                [
                    ('email_normalized', '=', values['email']),
                    ('company_id', 'in', (False, company.id)),
                    ('id', 'not in', taken),
                ],
                order='parent_id desc, id',
                limit=1,
            )
            partner = partner.commercial_partner_id if partner else partner
        parent = obj.get('ParentRef') and self.env['qbo.mapping'].sudo()._qbo_record_of(
            connection, 'Customer', obj['ParentRef']['value'], self._name
        )
        if not partner:
            create = {
                **values,
                'company_id': company.id,
                'customer_rank': 1,
                'is_company': bool(obj.get('CompanyName')) and not parent,
                'qbo_contact_synced_at': fields.Datetime.now(),
            }
            if parent:
                create['parent_id'] = parent.id
            partner = self.sudo().with_context(qbo_pull=True).create(create)
            partner.message_post(body=self.env._('Created from QuickBooks customer %(id)s.', id=obj['Id']))
        else:
            partner.message_post(body=self.env._('Bound to QuickBooks customer %(id)s (same email).', id=obj['Id']))
        home = connection._qbo_home_currency()
        code = (obj.get('CurrencyRef') or {}).get('value')
        currency = self.env['res.currency'].search([('name', '=', code)], limit=1) if code and code != home else None
        self.env['qbo.mapping']._qbo_link(
            connection, partner, 'Customer', obj, role='sub_customer' if parent else 'record', currency=currency
        )
        return partner

    # ------------------------------------------------------------------
    # The decisions
    # ------------------------------------------------------------------

    def _qbo_push_again_message(self):
        return self.env._('Odoo\'s version is sent to QuickBooks.')

    def _qbo_conflict_push_again(self, kind, payload):
        """Odoo wins: its name, email, phone and billing address go to the QuickBooks customer, a
        sparse update queued in the outbox, written over QuickBooks' version as the pull read it (its
        SyncToken: no read before the write)."""
        mapping = self._qbo_customer_mapping()
        if not mapping:
            return
        mapping._qbo_take_version(payload)
        self._qbo_enqueue_customer_update(mapping.connection_id)

    def _qbo_enqueue_customer_update(self, connection):
        """Queue the update of this partner's QuickBooks customer (one waiting job per partner).
        Partners are not documents (``qbo.synced.mixin``): their job is made here, for the
        connection of the mapping rather than of the partner's company (often none)."""
        self.ensure_one()
        jobs = self.env['qbo.sync.job'].sudo()
        waiting = jobs.search(
            [
                ('res_model', '=', self._name),
                ('res_id', '=', self.id),
                ('operation', '=', 'push'),
                ('state', 'in', ('pending', 'in_progress')),
            ],
            limit=1,
        )
        if waiting:
            return waiting
        job = jobs.create(
            {
                'connection_id': connection.id,
                'res_model': self._name,
                'res_id': self.id,
                'record_name': self.display_name,
                'operation': 'push',
            }
        )
        self.env.ref('qbo_connector.ir_cron_qbo_process_jobs').sudo()._trigger()
        return job

    def _qbo_push(self, job, outcome_unknown=False):
        """Send this partner's contact fields to the customer it is mapped to (a sparse update: what
        QuickBooks holds besides stays). Returns ('Customer', id). An update is the same whatever
        happened to an earlier attempt: nothing to look up after a lost answer."""
        self.ensure_one()
        connection = job.connection_id
        partner = self.sudo()
        mapping = partner._qbo_customer_mapping().filtered(lambda m: m.connection_id == connection)
        if not mapping:
            return False, False  # unbound meanwhile: nothing to update
        currency_code = mapping.currency_id.name or None
        prepared = partner._qbo_prepare_values(connection, currency_code, partner, None)
        values = {}
        # The name QuickBooks knows the customer by when it is one Odoo would send (a longer one when
        # the short one was taken): renamed in Odoo, the new one.
        names = customer_names(partner, prepared['DisplayName'], currency_code)
        values['DisplayName'] = mapping.qbo_name if mapping.qbo_name in names else prepared['DisplayName']
        for key in ('PrimaryEmailAddr', 'BillAddr'):
            if key in prepared:
                values[key] = prepared[key]
        if partner.phone:
            values['PrimaryPhone'] = {'FreeFormNumber': partner.phone[:30]}
        client = connection._qbo_client()

        def update(version):
            body = {**values, 'Id': version['Id'], 'SyncToken': version['SyncToken']}
            return client.update('Customer', body, request_id=job._qbo_request_id('customer', body))

        result = send_current(client, 'Customer', {'Id': mapping.qbo_id, 'SyncToken': mapping.sync_token}, update)
        self.env['qbo.mapping']._qbo_link(
            connection, partner, 'Customer', result, role=mapping.role, currency=mapping.currency_id or None
        )
        partner.with_context(qbo_pull=True).write(
            {'qbo_contact_synced_at': fields.Datetime.now(), 'qbo_contact_changed_at': False}
        )
        return 'Customer', str(result['Id'])

    def _qbo_on_job_state(self, job):
        """A refused update of the customer goes to the partner's chatter."""
        if job.state == 'failed':
            self.message_post(
                body=self.env._(
                    'QuickBooks refused the update of this customer (%(code)s): %(message)s',
                    code=job.error_code,
                    message=job.error_message,
                )
            )

    def _qbo_customer_mapping(self):
        return (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('res_model', '=', self._name),
                    ('res_id', '=', self.id),
                    ('qbo_entity', '=', 'Customer'),
                    ('role', 'in', ('record', 'sub_customer')),
                ],
                limit=1,
            )
        )

    def _qbo_conflict_accept(self, kind, payload):
        """QuickBooks' contact fields are written on the partner."""
        mapping = self._qbo_customer_mapping()
        self._qbo_pull_apply(self._qbo_pull_differing(self._qbo_pull_values(payload), mapping), mapping, payload)


def _shown(field_or_value, value=None, env=None):
    """A field's value as a person reads it (Odoo's, or QuickBooks' raw value of that field)."""
    if env is None:
        value = field_or_value
        return value.display_name if isinstance(value, models.BaseModel) else (value or '-')
    field = field_or_value
    if field.type == 'many2one' and value:
        return env[field.comodel_name].browse(value).display_name
    return value or '-'
