"""What every benchmark sets up before it measures: the main company made a US company with a
chart of accounts and a sales tax of 8 %, and connected to an emulator company through tokens the
emulator mints (no OAuth dance: what Connect would store). Used by push_invoices.py,
initial_sync.py, pull.py and soak.py, which run inside `odoo shell` with this directory on
sys.path."""

from datetime import timedelta

import requests

from odoo import fields

CLIENT_ID = 'emulator-client-id'
CLIENT_SECRET = 'emulator-client-secret'


def us_company(env, tax_name='Bench 8%'):
    """The main company, in the US, with the generic chart and an 8 % sales tax: (company, tax)."""
    company = env.ref('base.main_company')
    company.write({'country_id': env.ref('base.us').id})
    if not company.chart_template:
        env['account.chart.template'].try_loading('generic_coa', company=company, install_demo=False)
    tax = env['account.tax'].create(
        {'name': tax_name, 'amount': 8.0, 'amount_type': 'percent', 'type_tax_use': 'sale', 'company_id': company.id}
    )
    return company, tax


def connect(env, company, base_url, realm, **values):
    """``company``'s connection to ``realm`` of the emulator at ``base_url``, connected with minted
    tokens and the company information read as Connect reads it; ``values`` are more settings."""
    tokens = requests.post(
        f'{base_url}/_emulator/mint', json={'client_id': CLIENT_ID, 'realm_id': realm}, timeout=10
    ).json()
    connection = env['qbo.connection']._qbo_for_company(company).sudo()
    connection.write(
        {
            'environment': 'custom',
            'custom_base_url': base_url,
            'client_id': CLIENT_ID,
            'client_secret': CLIENT_SECRET,
            'realm_id': realm,
            'state': 'connected',
            'access_token': tokens['access_token'],
            'refresh_token': tokens['refresh_token'],
            'access_token_expires_at': fields.Datetime.now() + timedelta(seconds=tokens['expires_in']),
            'refresh_token_expires_at': fields.Datetime.now() + timedelta(days=100),
            **values,
        }
    )
    connection.action_test_connection()  # what Connect reads: country, currency, preferences
    return connection
