"""Reusable building blocks that connectors compose."""
