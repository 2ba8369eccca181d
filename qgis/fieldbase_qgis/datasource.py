"""Datasources as shown to every reader of a project: with user names and passwords taken out."""

import re

# key=value pairs of QgsDataSourceUri ("user='x' password='y'") and of URL-style sources
# ("url=...&username=x&password=y"); values may be quoted with escaped quotes inside.
_CREDENTIAL = re.compile(
    r"""(^|[\s&?|;])(?:user|username|password|passwd|pwd)=(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&|;]*)""",
    re.IGNORECASE)
# user:password@ in URLs, also when percent-encoded inside another parameter
_USERINFO = re.compile(r"(://|%3A%2F%2F)[^/@\s&|]*(@|%40)", re.IGNORECASE)


def without_credentials(source: str) -> str:
    source = _CREDENTIAL.sub(lambda match: match.group(1), source)
    source = _USERINFO.sub(lambda match: match.group(1), source)
    # Leftovers of removed pairs: doubled separators and a separator right after "?".
    source = re.sub(r"  +", " ", source)
    source = re.sub(r"&&+", "&", source).replace("?&", "?").rstrip("&")
    return source.strip()
