"""Text the user or the dumps wrote, as safe HTML: Markdown without raw HTML, plain text, hrefs.

Notes and topic introductions are Markdown, converted with raw HTML switched off and
links limited to safe schemes; abstracts are plain text with their URLs made links.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit
from xml.etree.ElementTree import Element

import markdown
from markupsafe import Markup

from .dumps import URL, strip_trailing_punctuation

USER_SCHEMES = ("http", "https", "mailto", "")  # the user's own notes may link anywhere on the site
C0_AND_SPACE = "".join(map(chr, range(0x21)))  # browsers strip these around a URL...
TABS_AND_NEWLINES = re.compile(r"[\t\n\r]")  # ...and drop these anywhere in it


class _SafeMarkup(markdown.treeprocessors.Treeprocessor):
    """Make Markdown's output safe and fit for the pages' Content-Security-Policy.

    Links keep only safe schemes, judged on the URL as a browser reads it (character
    references decoded, tabs and newlines gone: `&#106;avascript:` is `javascript:`);
    images become links, so nothing loads from another host; table alignment becomes
    a class, since the policy allows no inline style.
    """

    def __init__(self, md: markdown.Markdown, schemes: tuple[str, ...]) -> None:
        super().__init__(md)
        self.schemes = schemes

    def run(self, root: Element) -> None:
        for element in root.iter():
            if element.tag == "img":
                source, alt = element.get("src", ""), element.get("alt", "") or "image"
                element.tag, element.text = "a", alt
                element.attrib.clear()
                element.set("href", source)
            alignment = re.search(r"text-align:\s*(left|right|center)", element.attrib.pop("style", ""))
            if alignment:
                element.set("class", f"align-{alignment.group(1)}")
            if element.tag != "a" or "href" not in element.attrib:
                continue
            href = element.get("href", "").replace(markdown.util.AMP_SUBSTITUTE, "&")  # e-mail autolinks
            url = TABS_AND_NEWLINES.sub("", html.unescape(href).strip(C0_AND_SPACE))
            if not _is_safe(url, self.schemes):
                element.attrib.pop("href")
            elif urlsplit(url).scheme:
                element.set("href", href_of(url))
                element.set("rel", "noopener")
            else:
                element.set("href", url)


def href_of(url: str) -> str:
    """The URL with characters that are not allowed in an href (`{`, `|`, spaces…) percent-encoded."""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def _is_safe(url: str, schemes: tuple[str, ...]) -> bool:
    url = url.replace("\\", "/")  # browsers read "/\\host" as "//host"
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return False
    return scheme in schemes and not url.startswith("//")


class _BareUrls(markdown.inlinepatterns.InlineProcessor):
    """Make the plain http(s) URLs of notes clickable."""

    def handleMatch(  # type: ignore[override]  # noqa: N802 (InlineProcessor's, which the stubs type as Pattern's)
        self, match: re.Match[str], data: str
    ) -> tuple[Element, int, int]:
        url = strip_trailing_punctuation(match.group(0))
        link = Element("a", href=url)
        link.text = url
        return link, match.start(0), match.start(0) + len(url)


class _NoRawHtml(markdown.extensions.Extension):
    def __init__(self, schemes: tuple[str, ...]) -> None:
        super().__init__()
        self.schemes = schemes

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (the library's name)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.inlinePatterns.register(_BareUrls(f"(?i){URL.pattern}", md), "bare_urls", 5)
        md.treeprocessors.register(_SafeMarkup(md, self.schemes), "safe_markup", 0)


PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v\r\u00a0]*\n\s*")


def plain_text(text: str) -> Markup:
    """Text from the dumps as HTML: paragraphs at blank lines, its http(s) URLs clickable, nothing else.

    Abstracts are not Markdown: `# ` or `*` in them is what the authors wrote.
    """
    if not text.strip():
        return Markup("")
    paragraphs = []
    for paragraph in PARAGRAPH_BREAK.split(text.strip()):
        parts, position = [], 0
        for match in URL.finditer(paragraph):
            url = strip_trailing_punctuation(match.group(0))
            parts += [html.escape(paragraph[position:match.start()]),
                      f'<a href="{html.escape(href_of(url))}" rel="noopener">{html.escape(url)}</a>']
            position = match.start() + len(url)
        parts.append(html.escape(paragraph[position:]))
        paragraphs.append(f"<p>{''.join(parts)}</p>")
    return Markup("\n".join(paragraphs))


class Markdown:
    """Markdown → HTML Markup; raw HTML in the source shows as text; links only to `schemes`."""

    def __init__(self, schemes: tuple[str, ...] = USER_SCHEMES) -> None:
        self._md = markdown.Markdown(extensions=[_NoRawHtml(schemes), "fenced_code", "tables", "sane_lists"])

    def __call__(self, text: str) -> Markup:
        html = self._md.reset().convert(text)
        return Markup(html)
