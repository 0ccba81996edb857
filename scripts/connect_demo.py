# Run by `./qbo try` inside `odoo shell`: connects the demo company to the QuickBooks
# emulator through the addon's real OAuth code (Connect, consent, callback), the way a
# person does it in the browser, so that a new user finds the company connected.
import os
from urllib.parse import parse_qs, urlsplit

import requests

emulator_url = os.environ['QBO_EMULATOR_URL']
realm_id = os.environ.get('QBO_EMULATOR_REALM', '9130357766900001')
admin = env.ref('base.user_admin')  # noqa: F821 - odoo shell provides env
env = env(user=admin)  # noqa: F821
company = env.ref('base.main_company')
params = env['ir.config_parameter'].sudo()
params.set_param('web.base.url', 'http://localhost:8069')
# A demo database must not call anything but loopback: point Odoo's online services
# (IAP, partner autocomplete) at a closed local port and stop the update-notification cron.
for key in ('iap.endpoint', 'iap.partner_autocomplete.endpoint'):
    params.set_param(key, 'http://127.0.0.1:9')
update_cron = env.ref('mail.ir_cron_module_update_notification', raise_if_not_found=False)
if update_cron:
    update_cron.sudo().active = False

connection = env['qbo.connection']._qbo_for_company(company)
if connection.state == 'connected':
    print(f'qbo: {company.name} is already connected to {connection.qbo_company_name}')
else:
    connection.sudo().write(
        {
            'environment': 'custom',
            'custom_base_url': emulator_url,
            'client_id': 'emulator-client-id',
            'client_secret': 'emulator-client-secret',
        }
    )
    if not company.country_id:
        company.country_id = env.ref('base.us')
    authorize_url = connection.action_connect()['url']
    # The consent page, approved for the sample US company.
    answer = requests.post(
        f'{emulator_url}/connect/oauth2/approve?{urlsplit(authorize_url).query}',
        data={'realm_id': realm_id},
        allow_redirects=False,
        timeout=30,
    )
    answer.raise_for_status()
    callback = parse_qs(urlsplit(answer.headers['Location']).query)
    checked = env['qbo.connection']._qbo_check_oauth_state(callback['state'][0])
    checked.with_user(admin)._qbo_exchange_code(callback['code'][0], callback['realmId'][0])
    print(f'qbo: {company.name} connected to {checked.qbo_company_name} (realm {checked.realm_id})')

# The demo company charges 15 % sales tax; Sandbox Company US has no such rate. Create it in
# QuickBooks (as its bookkeeper would), so that taxed demo invoices map by rate.
connection = env['qbo.connection']._qbo_for_company(company)
rates = {company.account_sale_tax_id.amount} - {0.0}
client = connection._qbo_client()
known = {float(r.get('RateValue') or 0) for r in client.query('SELECT * FROM TaxRate')}
agencies = client.query('SELECT * FROM TaxAgency')
for rate in rates - known:
    name = f'Odoo demo {rate:g}%'
    client.create_tax_code(
        {
            'TaxCode': name,
            'TaxRateDetails': [
                {
                    'TaxRateName': name,
                    'RateValue': str(rate),
                    'TaxAgencyId': agencies[0]['Id'],
                    'TaxApplicableOn': 'Sales',
                }
            ],
        }
    )
    print(f'qbo: created the tax code {name} in QuickBooks')
env.cr.commit()
