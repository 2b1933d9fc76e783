"""Placeholder: filled in by the zoo work (see ibbook/models/__init__.py)."""
