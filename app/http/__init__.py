"""Cross-cutting HTTP mechanics, one module per concern."""
