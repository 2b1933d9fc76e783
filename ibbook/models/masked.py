"""Placeholder: filled in by the masked work (see ibbook/models/__init__.py)."""
