"""The books check: QuickBooks and Odoo compared (see the books check work in progress)."""
