from markupsafe import Markup

from odoo import api, models


def version(token):
    try:
        return int(token)
    except (TypeError, ValueError):
        return -1


class ProductProduct(models.Model):
    """Items edited or created in QuickBooks (issue 10, item 6): the mapped product's name, sales
    description and price follow QuickBooks; an item created there becomes a product when the
    connection says so (the product of the same internal reference when there is one)."""

    _inherit = 'product.product'  # pylint: disable=consider-merging-classes-inherited

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

    def _qbo_pull_unchanged(self, entity, obj):
        mapping = (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [('res_model', '=', self._name), ('res_id', '=', self.id), ('qbo_id', '=', str(obj['Id']))], limit=1
            )
        )
        return not self._qbo_pull_differing(self._qbo_pull_values(obj), mapping)

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
            product.product_tmpl_id.message_post(body=self.env._('From QuickBooks item %(id)s.', id=obj['Id']))
            return product
        if version(obj.get('SyncToken')) <= version(mapping.sync_token):
            return self.browse()
        differing = product._qbo_pull_differing(values, mapping)
        mapping.write({'sync_token': obj.get('SyncToken'), 'qbo_name': obj.get('Name') or mapping.qbo_name})
        if not differing:
            return self.browse()
        product.write(differing)
        product.product_tmpl_id.message_post(
            body=Markup('%s %s')
            % (
                self.env._('Changed in QuickBooks:'),
                ', '.join(product._fields[f].string for f in differing),
            )
        )
        return product
