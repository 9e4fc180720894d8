"""Administration of the directory, for the web admin's Administration pages.

- ``authority``: who may administer what (``AdminScope``); every service here takes the acting
  ``staff_id`` and raises ``PermissionDenied`` outside it;
- ``organisations``: the organisation tree, creating, editing, moving, deactivating;
- ``staff_accounts``: accounts, roles, deactivation, password resets;
- ``classifier_policy``: a region's deadlines and fast-track per subcategory;
- ``routing_rules`` and ``auto_rules``: where a region's messages go;
- ``dry_run``: where one message would go, and why;
- ``audit``: the record of each change (the ``pos.audit`` logger).
"""
