"""Request body parsers: DRF's JSON parser, refusing JSON nested deeper than any record of ours needs.

`json.loads` recurses once per level, so a body of a few thousand `[` raised RecursionError, which DRF
does not catch (it catches ValueError): a 500 with a traceback, open to anonymous clients at the token
endpoint. Shallower nesting parsed, then walked recursively by serializers and the error renderer.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# The deepest record of the API nests three levels (a project's participants' fields); this leaves room.
DEFAULT_MAX_DEPTH = 64


def max_depth() -> int:
    return getattr(settings, "API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)


def exceeds_depth(data: Any, limit: int) -> bool:
    """Whether `data` (parsed JSON) nests more than `limit` arrays or objects, found without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        limit = max_depth()
        message = gettext("JSON parse error - nested deeper than %(limit)d levels.") % {"limit": limit}
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(message) from None
        if exceeds_depth(data, limit):
            raise ParseError(message)
        return data
