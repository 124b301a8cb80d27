"""Test doubles a host may use in its own tests of the product (no pytest imports here)."""
