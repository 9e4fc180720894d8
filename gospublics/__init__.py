"""Gospublics: organisations' social accounts, content plans and scheduled publishing."""
