"""Gunicorn settings, for operators who prefer gunicorn and for bench/'s server comparison.

`make run` and `make serve` use granian, which measured well ahead of gunicorn on both the
page and the sign path (docs/benchmarks.md). To run gunicorn instead:
`.venv/bin/gunicorn --config chorus/gunicorn.conf.py chorus.wsgi`.

Environment: PORT (default 8000), BIND (default 127.0.0.1:$PORT), WEB_CONCURRENCY
(worker processes, default 2 per core + 1), WEB_THREADS (threads per worker, default 4)."""

import os

_cores = len(os.sched_getaffinity(0))

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * _cores + 1))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", 4))
# Seconds an idle keep-alive connection stays open.
keepalive = 5
timeout = 30
graceful_timeout = 20
# Access logs cost throughput; the load balancer or proxy in front keeps them.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Several servers share a machine in tests and benchmarks, and the default control socket
# (~/.gunicorn/gunicorn.ctl) would be one path for all of them.
control_socket_disable = True
# Each worker imports Django itself; the database pool is made after the fork.
preload_app = False
