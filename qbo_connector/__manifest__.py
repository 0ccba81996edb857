{
    'name': 'QuickBooks Online Connector',
    'version': '19.0.1.3.0',
    'summary': 'Keep an Odoo company and a QuickBooks Online company in agreement',
    'description': """
Connects each Odoo company to one QuickBooks Online company over OAuth 2.0 and keeps
them in agreement: documents pushed exactly once through a durable queue, payments
coming back, every call logged and every error explained.
""",
    'category': 'Accounting/Accounting',
    'author': 'qbo_connector developers',
    'website': 'https://github.com/qbo-connector/qbo_connector',
    'license': 'LGPL-3',
    'depends': ['account', 'mail'],
    'external_dependencies': {'python': ['python-quickbooks', 'intuit-oauth']},
    'data': [
        'security/qbo_security.xml',
        'security/ir.model.access.csv',
        'data/mail_template_data.xml',
        'data/mail_activity_type_data.xml',
        'data/ir_cron_data.xml',
        'views/qbo_oauth_templates.xml',
        'views/qbo_connection_views.xml',
        'views/qbo_sync_log_views.xml',
        'views/qbo_sync_job_views.xml',
        'views/qbo_inbound_event_views.xml',
        'views/account_move_views.xml',
        'views/account_payment_views.xml',
        'views/qbo_books_check_views.xml',
        'views/qbo_tax_mapping_views.xml',
        'views/qbo_payment_method_mapping_views.xml',
        'views/res_config_settings_views.xml',
        'views/qbo_menus.xml',
        'security/qbo_initial_sync_security.xml',
        'views/qbo_initial_sync_views.xml',
        'views/qbo_dashboard_views.xml',
        'views/qbo_undo_views.xml',
    ],
    'assets': {
        'web.assets_tests': [
            'qbo_connector/static/tests/tours/qbo_dashboard_tour.js',
        ],
    },
    'installable': True,
    'application': False,
}
