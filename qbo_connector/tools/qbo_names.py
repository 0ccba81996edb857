"""Names as QuickBooks takes and compares them."""

import re

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
