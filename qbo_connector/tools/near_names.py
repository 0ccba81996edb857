"""Names a person would take for one party though QuickBooks keeps them apart ("Acme Inc" and
"ACME, Inc."), found without comparing every Odoo name with every QuickBooks name: the setup
assistant's pre-flight meets thousands of customers on each side."""

import difflib
import re
from collections import defaultdict

from .qbo_names import qbo_same_name

# Words that do not tell two companies apart ("Acme Inc" and "ACME, Inc." are near-identical).
_NOISE = re.compile(r'\b(inc|incorporated|llc|ltd|limited|corp|corporation|co|company|gmbh|sa|sarl|plc)\b')
_NOT_ALNUM = re.compile(r'[^0-9a-z]+')
NEAR_RATIO = 0.9
_GRAM = 3  # pieces are looked up by their first letters, up to this many


def squeeze(name):
    """``name`` as compared for near-identity: letters and digits only, case and noise words out."""
    text = _NOT_ALNUM.sub(' ', (name or '').casefold())
    return ''.join(_NOISE.sub(' ', text).split())


def near_identical(left, right):
    """Two names QuickBooks would keep apart but a person would take for one party: the same
    once squeezed, or 90 % alike (difflib's ratio)."""
    if qbo_same_name(left, right):
        return False
    a, b = squeeze(left), squeeze(right)
    return bool(a and b) and (a == b or difflib.SequenceMatcher(None, a, b).ratio() >= NEAR_RATIO)


def _pieces(key):
    """``key`` cut into as many contiguous pieces as a near-identical name may make edits, plus
    one. Two names whose ratio is at least r (2M / T, M the letters matched in order, T both
    lengths) differ by at most (1 - r) T insertions and deletions, and T is at most 2n / r for a
    name of n letters; each edit breaks one piece at most, so one piece is whole in the other."""
    n = len(key)
    edits = int((1 - NEAR_RATIO) * 2 * n / NEAR_RATIO + 1e-9)
    count = min(n, edits + 1)
    bounds = [round(i * n / count) for i in range(count + 1)]
    return [key[bounds[i] : bounds[i + 1]] for i in range(count)]


class NameIndex:
    """``objects`` by their name (``name_of``): those of the same name as QuickBooks compares
    names, and those of a near-identical one, each in the order given. A lookup compares the name
    with the few names that hold one of its pieces whole (_pieces), not with all of them."""

    def __init__(self, objects, name_of):
        self._name_of = name_of
        self._same = defaultdict(list)
        self._squeezed = defaultdict(list)  # squeezed name -> [(position, object)]
        self._grams = None  # the first 1 to _GRAM letters of any piece -> squeezed names; at the first near()
        for position, obj in enumerate(objects):
            name = name_of(obj)
            self._same[(name or '').strip().casefold()].append(obj)
            key = squeeze(name)
            if key:
                self._squeezed[key].append((position, obj))
        self.compared = 0  # names compared by near(), for the benchmarks

    def _grams_of(self):
        if self._grams is None:
            self._grams = defaultdict(set)
            for key in self._squeezed:
                for size in range(1, _GRAM + 1):
                    for start in range(len(key) - size + 1):
                        self._grams[key[start : start + size]].add(key)
        return self._grams

    def same(self, name):
        """The objects QuickBooks would say have ``name`` (case and surrounding spaces aside)."""
        return self._same.get((name or '').strip().casefold(), [])

    def near(self, name):
        """The objects whose name is near-identical to ``name`` (never the same name)."""
        key = squeeze(name)
        if not key:
            return []
        low, high = len(key) * NEAR_RATIO / (2 - NEAR_RATIO), len(key) * (2 - NEAR_RATIO) / NEAR_RATIO
        candidates, grams = set(), self._grams_of()
        for piece in _pieces(key):
            for other in grams.get(piece[:_GRAM], ()):
                if low - 1e-9 <= len(other) <= high + 1e-9 and piece in other:
                    candidates.add(other)
        found = []
        for other in candidates:
            for position, obj in self._squeezed[other]:
                self.compared += 1
                if near_identical(self._name_of(obj), name):
                    found.append((position, obj))
        return [obj for _position, obj in sorted(found, key=lambda pair: pair[0])]
