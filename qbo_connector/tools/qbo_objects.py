"""What QuickBooks' objects say of themselves, read the same way by every pull."""


def version(token):
    """A SyncToken as a number to compare (QuickBooks counts them up); -1 when there is none."""
    try:
        return int(token)
    except (TypeError, ValueError):
        return -1


def is_voided(obj):
    """A voided QuickBooks transaction keeps its lines at 0 and its total at 0 ("Voided" in its note)."""
    return not float(obj.get('TotalAmt') or 0.0) and (
        'voided' in (obj.get('PrivateNote') or '').lower()
        or not any(float(line.get('Amount') or 0.0) for line in obj.get('Line') or [])
    )
