"""Use cases. Each opens one unit of work, changes state, writes audit and outbox rows, commits."""
