"""Example business modules: how a Chesanto module notifies through the outbox.

Three small Django apps, each a model or two, one `services.py` holding the business
operations and thin staff-only JSON views over them:

- `examples.accounts`: invite a user (auth.user_invited), request a login code (auth.otp_requested)
- `examples.sales`: confirm an order (sales.order_confirmed), record a payment (sales.payment_received)
- `examples.inventory`: record a stock movement; crossing the threshold emits inventory.stock_low

The pattern is the same everywhere (see each `services.py`): one `transaction.atomic()`
changes the module's rows and emits the event, so both commit or neither does.
"""
