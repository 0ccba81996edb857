"""What master data (customers, items, tax codes) shares on its way to QuickBooks: names
QuickBooks accepts, and the rule that a QuickBooks object already bound to one Odoo record
is never matched to another one."""

import re

# The kind of mapping of the connection's tax item (on the connection), and of every item it
# ever was, TAX_ITEM_ENTITY:<item id>: the books check counts the lines of all of them as tax.
TAX_ITEM_ENTITY = 'Item:tax'
# Uses of one kind of QuickBooks object that never share an object, whatever Odoo record
# holds it: an item is a product's (or the item of unmatched lines, kind Item) or a tax item,
# whose lines are tax, not sales.
EXCLUSIVE_USES = {'Item': ('Item', TAX_ITEM_ENTITY)}
# QuickBooks refuses these in name fields (2040): the colon separates levels of a
# FullyQualifiedName ("Parent:Child"), tabs and line breaks break its lists.
_FORBIDDEN = re.compile(r'[:\t\r\n]')
_SPACES = re.compile(r' {2,}')


def qbo_name(value, limit):
    """``value`` as a QuickBooks name: forbidden characters replaced, cut to ``limit``."""
    text = _FORBIDDEN.sub(lambda m: '-' if m.group() == ':' else ' ', value or '')
    return _SPACES.sub(' ', text).strip()[:limit].strip()


def qbo_name_with_suffix(value, suffix, limit):
    """``value`` followed by ``suffix``, cutting ``value`` rather than the suffix, so that
    names made unique by their suffix stay unique when they are long."""
    suffix = f' ({suffix})'
    return qbo_name(value, limit - len(suffix)) + suffix


def qbo_same_name(left, right):
    """QuickBooks compares names without regard to case or surrounding spaces."""
    return (left or '').strip().casefold() == (right or '').strip().casefold()


def qbo_use(entity):
    """The use a mapping kind stands for: its own, or, for the kind keeping an object's
    history in an exclusive use (``Item:tax:12``), that use (``Item:tax``)."""
    use, _sep, qbo_id = entity.rpartition(':')
    return use if qbo_id.isdigit() and use in EXCLUSIVE_USES.get(entity.split(':')[0], ()) else entity


def qbo_unclaimed(env, connection, entity, record, qbo_objects):
    """The ``qbo_objects`` that no other Odoo record is bound to (a QuickBooks object maps
    to one Odoo record: linking a taken one would fail on the mapping's unique index). In
    EXCLUSIVE_USES, an object another use holds is taken too, even by the same record: a
    product never gets the tax item, nor the tax item a product's item (or the item of
    unmatched lines), so that the books check counts as tax exactly the tax items' lines."""
    ids = [str(obj['Id']) for obj in qbo_objects]
    if not ids:
        return []
    mappings = env['qbo.mapping'].sudo()
    use = qbo_use(entity)
    uses = EXCLUSIVE_USES.get(entity.split(':')[0], ())
    if use not in uses:
        taken = mappings.search([
            ('connection_id', '=', connection.id), ('qbo_entity', '=', entity), ('qbo_id', 'in', ids),
            '!', '&', ('res_model', '=', record._name), ('res_id', '=', record.id),
        ]).mapped('qbo_id')
        return [obj for obj in qbo_objects if str(obj['Id']) not in taken]
    found = mappings.search([
        ('connection_id', '=', connection.id), ('qbo_id', 'in', ids),
        '|', ('qbo_entity', 'in', list(uses)), ('qbo_entity', '=like', entity.split(':')[0] + ':%'),
    ])
    taken = {
        mapping.qbo_id for mapping in found
        if qbo_use(mapping.qbo_entity) in uses and not (
            qbo_use(mapping.qbo_entity) == use and (mapping.res_model, mapping.res_id) == (record._name, record.id))
    }
    return [obj for obj in qbo_objects if str(obj['Id']) not in taken]
