"""Real-browser tests (issue 6, point 6): Chromium, driven by Playwright, against pytest-django's live server."""

from urllib.parse import urlsplit


def from_this_server(url: str, server_url: str) -> bool:
    """Whether the browser asked the test's own server (or no server at all: data:, blob:, about: URLs)."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.netloc == urlsplit(server_url).netloc
