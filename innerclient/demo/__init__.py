"""The demo company: a realistic, seeded Russian company for newcomers and demonstrations.

``structure``, ``people`` and ``request_log`` are pure generators; ``build`` writes, with
``cycles`` (past evaluation cycles and their responses) and ``actions`` (action plans) as two of
its steps; ``manage.py demo_company`` runs it. An app of its own, on top of every app it seeds
(docs/architecture.md, "Layers").
"""
