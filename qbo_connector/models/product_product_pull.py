from markupsafe import Markup

from odoo import api, fields, models

from ..tools.qbo_objects import version


# The product fields an item edited in QuickBooks brings to its Odoo product (on its template).
ITEM_FIELDS = ('name', 'description_sale', 'list_price', 'lst_price')
PROTECTED = frozenset({'qbo_item_changed_at', 'qbo_item_synced_at'})


class ProductTemplate(models.Model):
    _inherit = 'product.template'

    def write(self, vals):
        """The name, sales description and price are kept on the template: a change of them made in
        Odoo (not by the pull) is a change of each of its variants since the last sync."""
        result = super().write(vals)
        if not self.env.context.get('qbo_pull') and set(ITEM_FIELDS) & set(vals):
            self.product_variant_ids._qbo_item_changed()
        return result


class ProductProduct(models.Model):
    """Items edited or created in QuickBooks (issue 10, item 6): the mapped product's name, sales
    description and price follow QuickBooks, unless Odoo changed the product since the last sync
    (then it is flagged with both versions, nothing overwritten, as partners are); an item created
    there becomes a product when the connection says so (the product of the same internal reference
    when there is one)."""

    _name = 'product.product'
    _inherit = ['product.product', 'qbo.conflict.mixin']  # pylint: disable=consider-merging-classes-inherited

    # When Odoo last changed the name, sales description or price since they were last in line with
    # QuickBooks (cleared at each sync): set, a change made in QuickBooks is flagged rather than applied.
    qbo_item_changed_at = fields.Datetime(copy=False, readonly=True, groups='base.group_user')
    qbo_item_synced_at = fields.Datetime(copy=False, readonly=True, groups='base.group_user')

    def write(self, vals):
        if not self.env.su and PROTECTED & set(vals):
            vals = {key: value for key, value in vals.items() if key not in PROTECTED}
        result = super().write(vals)
        if not self.env.context.get('qbo_pull') and set(ITEM_FIELDS) & set(vals):
            self._qbo_item_changed()
        return result

    def _qbo_item_changed(self):
        """Odoo changed these products' item fields: only the mapped ones keep the date."""
        synced = self.sudo().filtered('qbo_item_synced_at')
        if synced:
            synced.with_context(qbo_pull=True).write({'qbo_item_changed_at': fields.Datetime.now()})

    def _qbo_item_ref(self, connection, client):
        ref = super()._qbo_item_ref(connection, client)
        product = self.sudo()
        if ref and product and not product.qbo_item_synced_at:
            # What Odoo had when its item was made or found: later edits are Odoo's changes.
            product.with_context(qbo_pull=True).write(
                {'qbo_item_synced_at': fields.Datetime.now(), 'qbo_item_changed_at': False}
            )
        return ref

    @api.model
    def _qbo_pull_values(self, obj):
        values = {}
        if obj.get('Name'):
            values['name'] = obj['Name']
        if 'Description' in obj:
            values['description_sale'] = obj.get('Description') or False
        if obj.get('UnitPrice') is not None:
            values['lst_price'] = float(obj['UnitPrice'])
        return values

    def _qbo_pull_differing(self, values, mapping):
        self.ensure_one()
        differing = {}
        for field, value in values.items():
            # The name counts only when QuickBooks renamed the item (Odoo may have sent it under a longer name).
            if field == 'name' and value in (
                mapping.qbo_name,
                self.with_context(display_default_code=False).display_name,
            ):
                continue
            if field == 'lst_price':
                if self.currency_id.compare_amounts(self.lst_price, value):
                    differing[field] = value
            elif (self[field] or False) != (value or False):
                differing[field] = value
        return differing

    @api.model
    def _qbo_pull(self, connection, obj, entity):
        """Bring the QuickBooks Item ``obj`` into Odoo. Returns the product updated or created."""
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings.search(
            [
                ('connection_id', '=', connection.id),
                ('qbo_entity', '=', 'Item'),
                ('qbo_id', '=', str(obj['Id'])),
                ('role', '=', 'record'),
                ('res_model', '=', self._name),
            ],
            limit=1,
        )
        product = self.browse(mapping.res_id).exists().sudo()
        if obj.get('status') == 'Deleted' or obj.get('Type') == 'Category':
            return self.browse()
        values = self._qbo_pull_values(obj)
        if not product:
            if not connection.pull_products_create or obj.get('Active') is False:
                return self.browse()
            sku = (obj.get('Sku') or '').strip()
            company = connection.company_id
            if sku:
                product = self.sudo().search(
                    [('default_code', '=', sku), ('company_id', 'in', (False, company.id))], limit=1
                )
            if not product:
                product = self.sudo().create(
                    {
                        **values,
                        'default_code': sku or False,
                        'type': 'service' if obj.get('Type') == 'Service' else 'consu',
                        'company_id': company.id,
                    }
                )
            mappings._qbo_link(connection, product, 'Item', obj)
            product.with_context(qbo_pull=True).write(
                {'qbo_item_synced_at': fields.Datetime.now(), 'qbo_item_changed_at': False}
            )
            product.product_tmpl_id.message_post(body=self.env._('From QuickBooks item %(id)s.', id=obj['Id']))
            return product
        if version(obj.get('SyncToken')) <= version(mapping.sync_token):
            return self.browse()
        differing = product._qbo_pull_differing(values, mapping)
        if not differing:
            mapping.write({'sync_token': obj.get('SyncToken'), 'qbo_name': obj.get('Name') or mapping.qbo_name})
            return self.browse()
        if product.qbo_item_changed_at:
            # Changed in Odoo since the last sync (its date is cleared at each sync).
            both = [(product._fields[f].string, product[f] or '-', v or '-') for f, v in differing.items()]
            product._qbo_flag_conflict('changed', both, obj)
            return product
        product._qbo_pull_apply(differing, mapping, obj)
        return product

    def _qbo_pull_apply(self, values, mapping, obj):
        """Write QuickBooks' ``values`` on this product (not an Odoo change) and keep its version."""
        self.ensure_one()
        self.with_context(qbo_pull=True).write(
            {**values, 'qbo_item_synced_at': fields.Datetime.now(), 'qbo_item_changed_at': False}
        )
        if mapping:
            mapping.write({'sync_token': obj.get('SyncToken'), 'qbo_name': obj.get('Name') or mapping.qbo_name})
        if values:
            self.product_tmpl_id.message_post(
                body=Markup('%s %s')
                % (self.env._('Changed in QuickBooks:'), ', '.join(self._fields[f].string for f in values))
            )

    # ------------------------------------------------------------------
    # The decisions
    # ------------------------------------------------------------------

    def _qbo_item_mapping(self):
        return (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('res_model', '=', self._name),
                    ('res_id', '=', self.id),
                    ('qbo_entity', '=', 'Item'),
                    ('role', '=', 'record'),
                ],
                limit=1,
            )
        )

    def _qbo_push_again_message(self):
        return self.env._('Odoo\'s version is kept; QuickBooks keeps its own until it is edited there.')

    def _qbo_conflict_push_again(self, kind, payload):
        """Odoo's name, description and price stay, and stay Odoo's (a later change in QuickBooks is
        flagged again); QuickBooks' version is taken as seen (not flagged again). The connector sends
        items when documents need them and updates none: the QuickBooks item keeps its fields until
        someone edits it there (docs/two-way-sync.md)."""
        mapping = self._qbo_item_mapping()
        if mapping and payload.get('SyncToken') is not None:
            mapping.write({'sync_token': payload['SyncToken']})

    def _qbo_conflict_accept(self, kind, payload):
        """QuickBooks' name, description and price are written on the product."""
        mapping = self._qbo_item_mapping()
        self._qbo_pull_apply(self._qbo_pull_differing(self._qbo_pull_values(payload), mapping), mapping, payload)
