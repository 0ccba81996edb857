# Run by `./qbo try` inside `odoo shell`: connects the demo company to the QuickBooks
# emulator through the addon's real OAuth code (Connect, consent, callback), the way a
# person does it in the browser, so that a new user finds the company connected; then goes
# through the setup assistant's recommended path and sends the demo's documents.
import os
from urllib.parse import parse_qs, urlsplit

import requests

from odoo import fields

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

# The demo's vendor bills have lines without a product booked to "Expenses", which Sandbox Company
# US lacks: its bookkeeper creates the account, so that the bills go through.
if not client.query("SELECT * FROM Account WHERE Name = 'Expenses'"):
    client.create('Account', {'Name': 'Expenses', 'AccountType': 'Expense'})
    print('qbo: created the expense account Expenses in QuickBooks')
# The writes above bound the connection to its QuickBooks company in a cursor of their own:
# a new transaction sees it (and may write the connection).
env.cr.commit()

# The setup assistant's recommended path, as a new user clicks it (Settings -> QuickBooks Online ->
# Setup Assistant): pre-flight, recommended settings, review, Start. Start queues the demo's posted
# documents (the initial sync); the queue is then run here, so that they are in QuickBooks when
# Odoo starts.
setup = env['qbo.setup'].search([('connection_id', '=', connection.id)])
if setup.step == 'done':
    print(f'qbo: {company.name} was set up with the assistant already')
else:
    setup = env['qbo.setup'].browse(connection.action_open_setup()['res_id'])
    if setup.step == 'connect':
        setup.action_next()
    if setup.step == 'preflight':
        setup.action_run_preflight()
        print(
            f'qbo: pre-flight: {setup.preflight_reads} reads of QuickBooks, {setup.preflight_match_count} customers '
            f'to link, {setup.preflight_duplicate_count} possible duplicates, {setup.preflight_linked_count} '
            f'documents to link, {setup.preflight_clash_count} number clashes'
        )
        setup.action_next()
    if setup.step != 'review':
        setup.action_recommended()
    setup.action_start()
    print(f'qbo: set up with the recommended settings (start date {connection.sync_start_date})')
    env.cr.commit()
    Job = env['qbo.sync.job'].sudo()
    waiting = [('connection_id', '=', connection.id), ('state', 'in', ('pending', 'in_progress'))]
    for _round in range(50):
        if not Job.search_count(waiting + [('next_attempt_at', '<=', fields.Datetime.now())]):
            break
        Job._cron_process_jobs()
        env.cr.commit()
    counts = dict(Job._read_group([('connection_id', '=', connection.id)], ['state'], ['__count']))
    print(
        'qbo: initial sync: '
        + ', '.join(f'{count} {state}' for state, count in sorted(counts.items()))
        + ' (Invoicing -> Configuration -> QuickBooks Online -> Jobs)'
    )
