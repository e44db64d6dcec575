"""The request id every log line of a request carries (see RequestIdMiddleware)."""

import contextvars
import logging

request_id = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        rid = request_id.get()
        if rid == "-":
            # Django logs "Not Found" and "Bad Request" after the middleware has returned;
            # those records carry the request itself.
            rid = getattr(getattr(record, "request", None), "request_id", "-")
        record.request_id = rid
        return True
