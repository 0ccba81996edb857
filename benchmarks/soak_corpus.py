"""What the users of `./qbo soak` do in Odoo: a seeded, mixed stream of documents and changes.

Each action is one user transaction (committed on its own, retried when it lost a race with a
queue worker writing the same rows), and goes through the same Odoo buttons a user presses, so
that the addon queues its jobs as it does in production: posting, Register Payment, cancelling,
resetting to draft and posting again, matching a credit note with an invoice.
"""

import random
from collections import Counter

import psycopg2

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError

# Weights of what a user does next. The first group makes a new document (counted in N);
# the second changes existing ones.
DOCUMENT_ACTIONS = {
    'invoice': 40,
    'credit_note_of_invoice': 6,
    'credit_note': 5,
    'full_payment': 12,
    'partial_payment': 10,
    'payment_of_two_invoices': 4,
    'refund': 6,
}
CHANGE_ACTIONS = {
    'apply_credit_note': 4,
    'cancel_invoice': 3,
    'cancel_payment': 3,
    'reset_invoice': 4,
    'reset_payment': 3,
}
CONCURRENT_ERRORS = (
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.LockNotAvailable,
    psycopg2.errors.DeadlockDetected,
)


class Corpus:
    """Creates documents in ``env``'s company, one committed user transaction per action."""

    def __init__(self, env, company, tax, seed=1):
        self.env = env
        self.company = company
        self.tax = tax
        self.rng = random.Random(seed)
        self.documents = 0
        self.done = Counter()  # action -> times done
        self.refused = Counter()  # (action, error class) -> times Odoo refused it
        self.retried = 0  # transactions retried after a concurrent update by a worker
        self.to_repost = []  # (model, id) reset to draft, posted again a few actions later
        self.partners = self.env['res.partner']
        self.products = self.env['product.product']

    # -- the stream ----------------------------------------------------------

    def step(self):
        """One user action; returns how many documents it created."""
        if self.to_repost and (self.rng.random() < 0.3 or len(self.to_repost) > 5):
            model, record_id = self.to_repost.pop(0)
            self._transaction('repost', lambda: self._repost(model, record_id))
            return 0
        table = DOCUMENT_ACTIONS if self.rng.random() < 0.8 else CHANGE_ACTIONS
        action = self.rng.choices(list(table), weights=list(table.values()))[0]
        made = self._transaction(action, getattr(self, f'_{action}'))
        return made or 0

    def finish(self):
        """Post again whatever is still reset to draft: no user leaves them so at the end."""
        while self.to_repost:
            model, record_id = self.to_repost.pop(0)
            self._transaction('repost', lambda m=model, i=record_id: self._repost(m, i))

    def _transaction(self, action, act):
        for _attempt in range(8):
            try:
                made = act()
                self.env.cr.commit()
            except CONCURRENT_ERRORS:
                self._rollback()
                self.retried += 1
                continue
            except (UserError, ValidationError) as error:
                self._rollback()
                self.refused[(action, type(error).__name__, str(error).splitlines()[0][:90])] += 1
                return 0
            if made is None:  # nothing to act on yet
                return 0
            self.done[action] += 1
            self.documents += made
            return made
        self.refused[(action, 'gave up', 'concurrent updates 8 times in a row')] += 1
        return 0

    def _rollback(self):
        self.env.cr.rollback()
        self.partners = self.partners.exists()
        self.products = self.products.exists()

    # -- master data, created throughout --------------------------------------

    def _partner(self):
        if not self.partners or self.rng.random() < 0.2:
            n = len(self.partners) + 1
            self.partners |= self.env['res.partner'].create(
                {'name': f'Soak Customer {n}', 'email': f'soak{n}@example.com', 'company_id': False}
            )
            return self.partners[-1]
        return self.rng.choice(self.partners)

    def _product(self):
        if len(self.products) < 3 or self.rng.random() < 0.12:
            n = len(self.products) + 1
            taxed = self.rng.random() < 0.7
            self.products |= self.env['product.product'].create(
                {
                    'name': f'Soak Product {n}',
                    'default_code': f'SOAK-{n}',
                    'list_price': self.rng.randint(5, 400),
                    'taxes_id': [Command.set(self.tax.ids if taxed else [])],
                }
            )
            return self.products[-1]
        return self.rng.choice(self.products)

    def _lines(self, count=None):
        lines = []
        for _ in range(count or self.rng.randint(1, 3)):
            product = self._product()
            lines.append(
                Command.create(
                    {
                        'product_id': product.id,
                        'quantity': self.rng.randint(1, 5),
                        'price_unit': product.list_price,
                        'tax_ids': [Command.set(product.taxes_id.ids)],
                    }
                )
            )
        return lines

    # -- picking what to act on -------------------------------------------------

    def _pick(self, model, domain):
        domain = [('company_id', '=', self.company.id), *domain]
        count = self.env[model].search_count(domain)
        if not count:
            return self.env[model]
        return self.env[model].search(domain, offset=self.rng.randrange(count), limit=1, order='id')

    def _open(self, move_type, states=('not_paid', 'partial')):
        return self._pick(
            'account.move', [('move_type', '=', move_type), ('state', '=', 'posted'), ('payment_state', 'in', states)]
        )

    # -- documents ---------------------------------------------------------------

    def _invoice(self, move_type='out_invoice', lines=None):
        move = self.env['account.move'].create(
            {
                'move_type': move_type,
                'partner_id': self._partner().id,
                'invoice_date': fields.Date.context_today(self.env.user),
                'invoice_line_ids': lines or self._lines(),
            }
        )
        move.action_post()
        return 1

    def _credit_note(self):
        return self._invoice('out_refund', self._lines(1))

    def _credit_note_of_invoice(self):
        invoice = self._open('out_invoice', ('not_paid',))
        if not invoice:
            return None
        reversal = invoice._reverse_moves([{'ref': f'Credit of {invoice.name}'}])
        reversal.action_post()
        return 1

    def _register(self, moves, **values):
        wizard = self.env['account.payment.register'].with_context(active_model='account.move', active_ids=moves.ids)
        return wizard.create(values)._create_payments()

    def _full_payment(self):
        invoice = self._open('out_invoice')
        if not invoice:
            return None
        self._register(invoice)
        return 1

    def _partial_payment(self):
        invoice = self._open('out_invoice')
        if not invoice or invoice.amount_residual < 2:
            return None
        amount = round(invoice.amount_residual * self.rng.uniform(0.2, 0.7), 2)
        self._register(invoice, amount=amount)
        return 1

    def _payment_of_two_invoices(self):
        first = self._open('out_invoice')
        if not first:
            return None
        others = self.env['account.move'].search(
            [
                ('company_id', '=', self.company.id),
                ('move_type', '=', 'out_invoice'),
                ('state', '=', 'posted'),
                ('payment_state', 'in', ('not_paid', 'partial')),
                ('partner_id', '=', first.partner_id.id),
                ('id', '!=', first.id),
            ],
            limit=1,
        )
        if not others:
            return None
        payments = self._register(first | others, group_payment=True)
        return len(payments)

    def _refund(self):
        credit_note = self._open('out_refund')
        if not credit_note:
            return None
        self._register(credit_note)
        return 1

    # -- changes -----------------------------------------------------------------

    def _apply_credit_note(self):
        credit_note = self._open('out_refund', ('not_paid',))
        if not credit_note:
            return None
        invoice = self.env['account.move'].search(
            [
                ('company_id', '=', self.company.id),
                ('move_type', '=', 'out_invoice'),
                ('state', '=', 'posted'),
                ('payment_state', 'in', ('not_paid', 'partial')),
                ('partner_id', '=', credit_note.partner_id.id),
            ],
            limit=1,
        )
        if not invoice:
            return None
        line = credit_note.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')
        invoice.js_assign_outstanding_line(line.id)
        return 0

    def _cancel_invoice(self):
        invoice = self._open(self.rng.choice(['out_invoice', 'out_refund']), ('not_paid',))
        if not invoice:
            return None
        invoice.button_draft()
        invoice.button_cancel()
        return 0

    def _posted_payment(self):
        return self._pick(
            'account.payment', [('partner_type', '=', 'customer'), ('state', 'in', ('in_process', 'paid'))]
        )

    def _cancel_payment(self):
        payment = self._posted_payment()
        if not payment:
            return None
        payment.action_cancel()
        return 0

    def _reset_invoice(self):
        invoice = self._open('out_invoice', ('not_paid',))
        if not invoice:
            return None
        invoice.button_draft()
        invoice.ref = f'Changed {self.rng.randint(1, 10**6)}'
        self.to_repost.append(('account.move', invoice.id))
        return 0

    def _reset_payment(self):
        payment = self._posted_payment()
        if not payment:
            return None
        payment.action_draft()
        self.to_repost.append(('account.payment', payment.id))
        return 0

    def _repost(self, model, record_id):
        record = self.env[model].browse(record_id)
        if record.state != 'draft':
            return 0
        record.action_post()
        return 0
