"""The demo company: a realistic, seeded Russian company for newcomers and demonstrations.

``structure``, ``people`` and ``request_log`` are pure generators; ``build`` writes.
"""
