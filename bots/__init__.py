"""Messenger adapters over the core conversation engine."""
