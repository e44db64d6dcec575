"""Django's Redis cache, made to degrade: an unreachable Redis is an empty cache, not a 500.

The cache only ever saves work (rendered pages, rate-limit counters), so when Redis is down
or hangs, readers should still get every page, only slower. Django's `RedisCache` raises on
a connection error, and with no socket timeout a hung Redis would hold each request forever.
This backend answers a failed read as a miss and drops a failed write, logs the outage
(at most once a minute per process), and then leaves Redis alone for a few seconds, so
that while it is down only one request now and then waits for the socket timeout.

Settings: `CACHES["default"]` with `OPTIONS` as for Django's backend (the socket timeouts
go to redis-py), plus `RETRY_AFTER`: seconds to skip Redis after a failure (default 5).
"""

import functools
import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

logger = logging.getLogger(__name__)

LOG_INTERVAL = 60  # seconds between two "Redis is unreachable" log lines of a process
_log_lock = threading.Lock()
_last_logged = -LOG_INTERVAL


def _log_outage(error):
    global _last_logged
    with _log_lock:
        now = time.monotonic()
        if now - _last_logged < LOG_INTERVAL:
            return
        _last_logged = now
    logger.warning("Redis cache unreachable, serving without it: %s", error)


def _degrades_to(fallback):
    """Make a cache method answer as `fallback` does, instead of raising, while Redis is down."""

    def decorator(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if time.monotonic() < self._skip_until:
                return fallback(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except self._redis_errors as error:
                self._skip_until = time.monotonic() + self._retry_after
                _log_outage(error)
                return fallback(*args, **kwargs)

        return wrapper

    return decorator


def _miss(key, default=None, *args, **kwargs):
    return default


def _key_not_found(key, *args, **kwargs):
    # What Django's cache API says for incr() on a missing key: the cache is empty now.
    raise ValueError(f"Key {key!r} not found (the Redis cache is unreachable).")


def _nothing(*args, **kwargs):
    return None


def _false(*args, **kwargs):
    return False


def _no_values(keys, *args, **kwargs):
    return {}


def _all_failed(data, *args, **kwargs):
    return list(data)


class RedisCache(DjangoRedisCache):
    """Django's RedisCache, read as empty and written to nowhere while Redis is unreachable."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self._retry_after = float(options.pop("RETRY_AFTER", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self._skip_until = 0.0
        import redis  # only needed, and only installed, when a Redis cache is configured

        self._redis_errors = (redis.exceptions.RedisError,)

    get = _degrades_to(_miss)(DjangoRedisCache.get)
    get_many = _degrades_to(_no_values)(DjangoRedisCache.get_many)
    has_key = _degrades_to(_false)(DjangoRedisCache.has_key)
    add = _degrades_to(_false)(DjangoRedisCache.add)
    set = _degrades_to(_nothing)(DjangoRedisCache.set)
    set_many = _degrades_to(_all_failed)(DjangoRedisCache.set_many)
    touch = _degrades_to(_false)(DjangoRedisCache.touch)
    incr = _degrades_to(_key_not_found)(DjangoRedisCache.incr)
    delete = _degrades_to(_false)(DjangoRedisCache.delete)
    delete_many = _degrades_to(_nothing)(DjangoRedisCache.delete_many)
    clear = _degrades_to(_false)(DjangoRedisCache.clear)
