import logging

from odoo import api, models

_logger = logging.getLogger(__name__)


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = 'base.partner.merge.automatic.wizard'

    @api.model
    def _update_reference_fields(self, src_partners, dst_partner):
        """Odoo moves what refers to the merged-away partners onto the one that stays, but not
        our mappings (a ``Many2oneReference``, which it does not look at): they would stay bound
        to deleted partners, and the partner that stays would get another QuickBooks customer
        the next time it is invoiced.

        Each mapping of a merged-away partner goes to the destination, unless the destination
        already has one of the same connection, entity, role and currency (an Odoo record maps
        to one QuickBooks object of each): then the destination keeps its own, the other is
        dropped and the destination's chatter names the QuickBooks customer no longer linked.
        Between merged-away partners, the first in the wizard's order wins. Nothing is sent
        to QuickBooks: its customers are merged there by hand, if they are the same."""
        super()._update_reference_fields(src_partners, dst_partner)
        mappings = self.env['qbo.mapping'].sudo()
        moving = mappings.search([('res_model', '=', 'res.partner'), ('res_id', 'in', src_partners.ids)], order='id')
        if not moving:
            return

        def key(mapping):
            return mapping.connection_id, mapping.qbo_entity, mapping.role, mapping.currency_id

        taken = {key(m) for m in mappings.search([('res_model', '=', 'res.partner'), ('res_id', '=', dst_partner.id)])}
        dropped = []
        for partner in src_partners:
            for mapping in moving.filtered(lambda m, p=partner: m.res_id == p.id):
                if key(mapping) in taken:
                    dropped.append((partner.display_name, mapping))
                else:
                    taken.add(key(mapping))
                    mapping.res_id = dst_partner.id
        for partner_name, mapping in dropped:
            kept = mappings._qbo_find(mapping.connection_id, dst_partner, *key(mapping)[1:])
            _logger.info(
                'Partner merge: QuickBooks %s %s of %s no longer linked (%s keeps %s)',
                mapping.qbo_entity,
                mapping.qbo_id,
                partner_name,
                dst_partner.id,
                kept.qbo_id,
            )
            dst_partner.message_post(
                body=self.env._(
                    'Merged with %(merged)s, which was the QuickBooks customer "%(name)s" (id %(id)s) of '
                    '%(company)s. This contact keeps its own, "%(kept)s" (id %(kept_id)s): documents sent from now '
                    'on go to it, while "%(name)s" is no longer linked to Odoo. If both are the same customer, '
                    'merge them in QuickBooks.',
                    merged=partner_name,
                    name=mapping.qbo_name or mapping.qbo_id,
                    id=mapping.qbo_id,
                    company=mapping.connection_id.qbo_company_name or mapping.connection_id.display_name,
                    kept=kept.qbo_name or kept.qbo_id,
                    kept_id=kept.qbo_id,
                )
            )
        mappings.browse(m.id for _name, m in dropped).unlink()
