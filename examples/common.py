"""What the example services share: their error type and how a quantity travels in an event."""
from decimal import Decimal


class BusinessRuleError(Exception):
    """An operation the current state does not allow. Nothing was written."""

    status = 409  # the HTTP status the views answer with


def plain(number: Decimal) -> str:
    """A decimal as the events carry it: '24' rather than '24.000' (and never '1E+2')."""
    return f"{number.normalize():f}"
