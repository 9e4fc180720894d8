"""Notifications leave only after commit, from the outbox, with retries."""
