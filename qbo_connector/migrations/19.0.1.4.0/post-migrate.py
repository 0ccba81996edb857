"""19.0.1.4.0: each mapping of an object the connector created says which initial sync created it.

The undo of an initial sync lists the customers and items that sync created by that mark
(``qbo_mapping.initial_sync_id``); before, it took every customer and item created while the
sync ran, pushes running meanwhile included. The syncs of an upgraded database keep what they
listed: their window's created customers, vendors and items are marked as theirs (the former rule, the
best the past tells)."""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """UPDATE qbo_mapping m
              SET initial_sync_id = s.id
             FROM qbo_initial_sync s
            WHERE m.connection_id = s.connection_id
              AND m.initial_sync_id IS NULL
              AND m.origin = 'created'
              AND m.qbo_entity IN ('Customer', 'Vendor', 'Item')
              AND s.started_at IS NOT NULL
              AND m.create_date >= s.started_at
              AND m.create_date <= COALESCE(s.finished_at, now() AT TIME ZONE 'UTC')"""
    )
    _logger.info(
        'qbo_connector migration: %s customers, vendors and items marked as created by an initial sync', cr.rowcount
    )
