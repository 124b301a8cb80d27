"""Example module: stock and its movements; crossing a product's threshold emits inventory.stock_low."""
