"""gunicorn settings for the web process (Procfile, ``make prod-web``, docs/deploy.md).

Everything comes from the environment so that one file serves a laptop and a server:

- ``GUNICORN_BIND`` (default ``127.0.0.1:8001``): nginx proxies to it.
- ``WEB_CONCURRENCY`` (default 2): worker processes. Two at least, so a worker restarting
  (``max_requests``) or stuck on a slow PDF never stops the site; about one per CPU core.
- ``GUNICORN_THREADS`` (default 4): threads per worker (gthread). Raters' requests wait on
  the database more than on Python, so threads multiply throughput cheaply
  (benchmarks/rater_load.py uses the same worker class).
- ``GUNICORN_TIMEOUT`` (default 60 s): a department card PDF renders well within it.

No access log here: gunicorn's would write rater links (``/r/<public_id>/<token>/``) as
they are; the application writes its own access line with the link redacted
(innerclient/ops/middleware.py).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# nginx on the same machine sets X-Forwarded-Proto; trust it from loopback only.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
