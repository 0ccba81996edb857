"""The pre-flight's near-identical names at scale: N Odoo customers against N QuickBooks customers.

    python3 benchmarks/preflight_names.py [N]     # default 10000

The setup assistant's pre-flight offers, for each Odoo customer, the QuickBooks customers of a
near-identical name (tools/near_names.py). Compared pairwise that is N x N difflib ratios; the name
index compares each name with the few that hold one of its pieces whole. This prints, for a
synthetic corpus (a quarter of the Odoo names are QuickBooks names with one to three typos), the
names compared and the seconds taken by the index, the same for a sample of the Odoo names done
pairwise (extrapolated to all N, marked so), and whether both found the same names for the
sample. It asserts nothing about time.
"""

import random
import string
import sys
import time
from pathlib import Path

import odoo.addons

odoo.addons.__path__.append(str(Path(__file__).resolve().parent.parent))

from odoo.addons.qbo_connector.tools.near_names import NameIndex, near_identical  # noqa: E402

SAMPLE = 200  # Odoo names compared pairwise


def corpus(size, seed=20261204):
    rng = random.Random(seed)
    words = [''.join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(size // 2 + 50)]

    def name():
        return ' '.join(rng.choices(words, k=rng.randint(1, 3))).title() + rng.choice(['', ' Inc', ' LLC', ', Ltd.'])

    def typo(text):
        text = list(text)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            roll = rng.random()
            if roll < 0.33 and at < len(text):
                del text[at]
            elif roll < 0.66:
                text.insert(at, rng.choice(string.ascii_letters + ' -,.'))
            elif at < len(text):
                text[at] = rng.choice(string.ascii_letters)
        return ''.join(text)

    qbo = [{'Id': str(i + 1), 'DisplayName': name()} for i in range(size)]
    odoo_names = [typo(rng.choice(qbo)['DisplayName']) if rng.random() < 0.25 else name() for _ in range(size)]
    return qbo, odoo_names


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    qbo, odoo_names = corpus(size)
    started = time.perf_counter()
    index = NameIndex(qbo, lambda customer: customer['DisplayName'])
    found = [index.near(name) for name in odoo_names]
    indexed_seconds = time.perf_counter() - started

    sample = odoo_names[:SAMPLE]
    started = time.perf_counter()
    pairwise = [[c for c in qbo if near_identical(c['DisplayName'], name)] for name in sample]
    sample_seconds = time.perf_counter() - started
    agree = all([c['Id'] for c in a] == [c['Id'] for c in b] for a, b in zip(found[:SAMPLE], pairwise, strict=True))

    print(f'pre-flight near-identical names: {size} Odoo customers against {size} QuickBooks customers')
    print(
        f'  name index: {index.compared} names compared ({index.compared / size:.1f} per customer), '
        f'{sum(map(len, found))} near-identical found, {indexed_seconds:.2f} s'
    )
    print(
        f'  pairwise:   {size * size} names compared ({size} per customer); '
        f'{sample_seconds:.2f} s for {len(sample)} customers, about {sample_seconds * size / len(sample):.0f} s '
        f'for all (extrapolated)'
    )
    print(f'  the same names found for the {len(sample)} customers compared both ways: {"yes" if agree else "NO"}')


if __name__ == '__main__':
    main()
