"""Example module: orders that confirm and take payments (events sales.order_confirmed, sales.payment_received)."""
