"""Hide credentials in URIs before they are shown: reprs, messages, status lines.

Tracking URIs may carry a password (``http://ada:secret@host``, ``postgresql://u:pw@db/x``) or
a secret in the query (``?password=...``, ``?token=...``). Anything that displays a URI passes it
through :func:`redact_uri` first, so ``user:***@host`` is all a log, a traceback or a notebook
output ever shows; the user name stays, since it says which account is in use.
"""

from __future__ import annotations

import re

__all__ = ["redact_uri"]

# The authority runs from "//" to the first "/", "?" or "#"; its credentials end at its *last*
# "@" (an unencoded "@" in a password must not leave the password's tail visible).
_AUTHORITY = re.compile(r"(?P<head>//[^/?#]*?)(?P<creds>[^/?#]*)@(?P<host>[^@/?#]*)")
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&;](?:password|passwd|pwd|token|access_token|secret|api_key)=)[^&;#]*",
    re.IGNORECASE,
)


def _mask_credentials(match: re.Match[str]) -> str:
    creds = match.group("head")[2:] + match.group("creds")
    user, sep, _ = creds.partition(":")
    return f"//{user}{':***' if sep else ''}@{match.group('host')}"


def redact_uri(uri: str) -> str:
    """Return ``uri`` with its password (and secret query values) replaced by ``***``.

    Example:
        >>> redact_uri("http://ada:s3cr@t@tracking:5000/x?token=abc&n=1")
        'http://ada:***@tracking:5000/x?token=***&n=1'
    """
    return _QUERY_SECRET.sub(r"\g<key>***", _AUTHORITY.sub(_mask_credentials, str(uri), count=1))
