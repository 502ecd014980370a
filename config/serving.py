"""How gunicorn runs Django: a request's body is read whole before Django sees it, and Django runs one
request at a time per worker, as with gunicorn's sync workers.

A sync worker reads the body when Django asks for it, so a client that sends half a body holds the
worker until gunicorn's timeout kills it (two such clients stalled both workers for 31 s). Under
gunicorn's gevent worker (config/gunicorn.py) each connection is a greenlet; `BufferedApp` reads the
body there, where waiting costs that connection alone, and only then hands the request to the one
greenlet of the worker that runs Django. Everything Django keeps per thread (its database
connections, kept `CONN_MAX_AGE`; the cache clients; prepared statements) thus stays in one greenlet,
as it stayed in a sync worker's one thread, instead of one set per client connection.

The body comes out of gunicorn's reader decoded, chunked or not, and goes in with its CONTENT_LENGTH:
Django reads nothing without one (api/bodies.py refuses such a request where nothing buffered it).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import gevent
from gevent.queue import Empty, Queue

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]

# Read at a time from a client; the whole body is at most the limit plus one such piece.
READ_SIZE = 64 * 1024
_DONE = object()
# Where the environ keeps the body read here, for closing once the response is done.
BODY_KEY = "config.serving.body"


def _error(start_response: StartResponse, status: str, code: str, message: str) -> list[bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")]
    )
    return [body]


class _Job:
    """One request handed to the runner, and the response chunks it sends back."""

    def __init__(self, environ: dict, start_response: StartResponse) -> None:
        self.environ = environ
        self.start_response = start_response
        # One chunk in flight: the runner waits for this connection to take each (as a sync worker waits
        # for its socket), so a streamed export's cursor is read no faster than the client reads.
        self.outbox: Queue = Queue(maxsize=1)
        self.abandoned = False

    def run(self, app: WSGIApp) -> None:
        try:
            result = app(self.environ, self.start_response)
        except Exception as exc:  # raised in the connection's greenlet, where gunicorn answers it
            self._close_body()
            self.outbox.put(exc)
            return
        try:
            for chunk in result:
                if self.abandoned:
                    break
                self.outbox.put(chunk)
        except Exception as exc:
            self.outbox.put(exc)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()  # Django's request_finished: the database connection is released or kept here
            self._close_body()
            if not self.abandoned:
                self.outbox.put(_DONE)

    def _close_body(self) -> None:
        body = self.environ.get(BODY_KEY)
        if body is not None:
            body.close()

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self.outbox.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        """gunicorn closes the response when the client went away or all was sent: let the runner go on."""
        self.abandoned = True
        try:
            while True:
                self.outbox.get_nowait()
        except Empty:
            pass


class BufferedApp:
    """The WSGI app gunicorn's gevent workers call (config/gunicorn.py): bodies first, Django after.

    An API body over `max_body_bytes` is refused with 413, as api.middleware refuses one that declares
    it; elsewhere (the admin's file imports) the bound is `max_upload_bytes`, and a body past
    `max_body_bytes` waits in a temporary file rather than in memory.
    """

    def __init__(
        self, app: WSGIApp, *, max_body_bytes: int, max_upload_bytes: int, api_prefix: str, body_seconds: float
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.api_prefix = api_prefix
        self.body_seconds = body_seconds
        self.inbox: Queue = Queue()
        self.runner = gevent.spawn(self._run)

    def _run(self) -> None:
        while True:
            job = self.inbox.get()
            if not job.abandoned:
                job.run(self.app)

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        refusal = self._buffer_body(environ, start_response)
        if refusal is not None:
            return refusal
        job = _Job(environ, start_response)
        self.inbox.put(job)
        return job

    def _buffer_body(self, environ: dict, start_response: StartResponse) -> list[bytes] | None:
        """Read the body (or refuse it); None when the request may go on to Django."""
        length = environ.get("CONTENT_LENGTH") or ""
        # gunicorn marks every request's input as terminated; a chunked one is the one with this header.
        if not length and not environ.get("HTTP_TRANSFER_ENCODING"):
            return None
        api = environ.get("PATH_INFO", "").startswith(self.api_prefix)
        limit = self.max_body_bytes if api else self.max_upload_bytes
        too_large = ("413 Request Entity Too Large", "too_large", f"The request body is over {limit} bytes.")
        if length and int(length) > limit:  # gunicorn has refused a Content-Length that is not a number
            return _error(start_response, *too_large)
        stream = environ["wsgi.input"]
        # Handed to Django as its wsgi.input; _Job closes it once the response is done.
        body = tempfile.SpooledTemporaryFile(max_size=self.max_body_bytes)  # noqa: SIM115
        size = 0
        with gevent.Timeout(self.body_seconds, False):
            while piece := stream.read(READ_SIZE):
                size += len(piece)
                if size > limit:
                    body.close()
                    return _error(start_response, *too_large)
                body.write(piece)
            if length and size < int(length):
                body.close()
                return _error(start_response, "400 Bad Request", "incomplete_body", "The request body ended early.")
            body.seek(0)
            environ["wsgi.input"] = environ[BODY_KEY] = body
            environ["CONTENT_LENGTH"] = str(size)
            # Decoded now: nothing after this must take the body for chunked (api/bodies.py would refuse it).
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            return None
        body.close()
        return _error(
            start_response,
            "408 Request Timeout",
            "body_timeout",
            f"The request body did not arrive within {self.body_seconds:g} seconds.",
        )
