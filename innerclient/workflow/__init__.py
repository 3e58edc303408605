"""Cross-app orchestration: what one step of the process does across several apps.

Publishing a cycle changes its status (``surveys``), stores its results (``results``) and
enqueues the heads' emails (``reports``) in one transaction; the reminder loop sends the
invitations and reminders of open cycles (``surveys``) and the action plans' reminders
(``actions``). Each app does its own part; this one, above them, calls them in order, so no
app has to import from an app above its own (docs/architecture.md, "Layers").
"""
