"""Links to follow: what a link points to (a string or a parsel selector) and its absolute URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

__all__ = ["LinkError", "href_of", "is_page_link", "join_url"]

# HTML's "ASCII whitespace", which browsers strip from both ends of an href.
_HTML_SPACE = " \t\n\f\r"
_LINK_TAGS = frozenset({"a", "area", "link"})


class LinkError(ValueError):
    """A link that cannot be followed (empty, not http(s), nothing to join it against)."""


def href_of(link: Any) -> str:
    """The href of ``link``: a string, a selected attribute or text
    (``response.css("a::attr(href)")[0]``) or an ``<a>``, ``<area>`` or ``<link>`` element
    (``response.css("a.next")[0]``)."""
    if isinstance(link, str):
        return link.strip(_HTML_SPACE)
    from parsel import Selector, SelectorList  # loaded by now if the link was selected

    if isinstance(link, SelectorList):
        raise LinkError(
            f"got a list of {len(link)} selected links; follow one (.get() or [i]) "
            "or use follow_all"
        )
    if isinstance(link, Selector):
        root = link.root
        if isinstance(root, str):  # an attribute or text node
            return root.strip(_HTML_SPACE)
        tag = getattr(root, "tag", None)
        if isinstance(tag, str) and tag.lower() in _LINK_TAGS:
            href = root.get("href")
            if href is None:
                raise LinkError(f"the <{tag}> element has no href attribute")
            return str(href).strip(_HTML_SPACE)
        raise LinkError(
            f"cannot follow a <{tag}> element: select an <a>, <area> or <link>, "
            "or an attribute such as 'a::attr(href)'"
        )
    raise LinkError(f"a link must be a URL string or a parsel selector, got {type(link).__name__}")


def is_page_link(href: str) -> bool:
    """Whether ``href`` can lead to a page: not empty, and relative or http(s) (not
    ``mailto:``, ``tel:``, ``javascript:``, ``data:``...)."""
    href = href.strip(_HTML_SPACE)
    if not href:
        return False
    scheme = urlsplit(href).scheme.lower()
    return scheme in ("", "http", "https")


def join_url(base: str | None, href: str) -> str:
    """``href`` joined against ``base`` as an absolute http(s) URL without its fragment
    (the fragment never reaches the server, so ``page#a`` and ``page#b`` are one page).

    Raises ``LinkError`` for an empty href, a relative href without a base, and anything
    that is not an http(s) URL (``mailto:``, ``javascript:``, ...).
    """
    href = href.strip(_HTML_SPACE)
    if not href:
        raise LinkError("cannot follow an empty link")
    if base is None or not urlsplit(base).netloc:
        if not urlsplit(href).netloc:
            raise LinkError(
                f"cannot follow the relative link {href!r} without a page to join it "
                "against: fetch a page first, pass response=, or give an absolute URL"
            )
        joined = href
    else:
        joined = urljoin(base, href)
    url, _fragment = urldefrag(joined)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise LinkError(f"cannot follow {href!r}: only http and https links can be fetched")
    if not parts.hostname:
        raise LinkError(f"cannot follow {href!r}: the URL {url!r} has no host")
    return url
