"""ПОС platform core: domain, storage, services and notifications; no web or bot framework."""
