"""Staff inboxes: workspaces (a role in an organisation), their folders with live counters,
filters, search and pages of message cards. Every query is scoped in SQL by the workspace, and
the scope agrees with :func:`core.domain.permissions.roles_for_message` (a test proves it)."""
