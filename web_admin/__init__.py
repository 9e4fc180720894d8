"""Staff web admin and the public side (widget, status page, public API)."""
