"""Citizen dialogs written once for every channel: the bots only translate events and replies."""
