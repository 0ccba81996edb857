"""Customer payments and refunds pushed to QuickBooks (see the payments work in progress)."""
