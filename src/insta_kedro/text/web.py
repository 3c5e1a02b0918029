"""Web addresses in captions: with a scheme (``https://…``) or without one
(``shop.example.com/events``), as the text features and the tag readers skip them."""

import re

URL = re.compile(r"https?://\S+")
# A web address written without its scheme ("shop.magnumphotos.com/events"). Its ending is
# looked for first: most captions have none, and that search is cheaper than the whole
# pattern's.
_WEB_ENDINGS = r"\.(?:com|net|org|co|io|tv|me|ly|shop|store|us|uk)\b"
_WEB_ENDING = re.compile(_WEB_ENDINGS, re.IGNORECASE)
_WEB_ADDRESS = re.compile(rf"\b(?:[\w-]+\.)*[\w-]+{_WEB_ENDINGS}(?:/\S*)?", re.IGNORECASE)
# An address that has a path, where a '#' or '@' belongs to the address
# ("example.com/page#section", "youtube.com/@name"): with a scheme, or without one when it is
# not itself an account or a tag ("@shop.tv/", "#rock.com/").
_LINK = re.compile(
    rf"https?://\S+|(?<![@#\w.])(?:[\w-]+\.)*[\w-]+{_WEB_ENDINGS}/\S*", re.IGNORECASE
)


def without_web_addresses(text: str) -> str:
    """``text`` with its web addresses, with a scheme (``https://…``) or without one
    (``shop.example.com/events``), replaced by a space."""
    if "://" in text:
        text = URL.sub(" ", text)
    return _WEB_ADDRESS.sub(" ", text) if _WEB_ENDING.search(text) else text


def without_links(text: str) -> str:
    """``text`` with the web addresses that have a path or a scheme
    (``https://example.com/page#section``, ``medium.com/@author/post``) replaced by a space:
    a '#' or '@' in one is part of the address, not a hashtag or a mention. A bare account
    or tag that ends like a web address (``@shop.tv``, ``#style.co``) stays."""
    return _LINK.sub(" ", text) if "/" in text else text
