"""Nothing is injected: hostile text in dumps, paper files and site.yaml stays text in every page and in search.

One site is built for the module from a dump of hostile titles and abstracts (script tags, event handlers,
quote breaks, javascript:/data: URLs bare and in Markdown, template syntax, entities, direction overrides,
a NUL byte, `</script>`), then a paper file gets hostile notes and user keys, a topic file a hostile
introduction, and site.yaml a hostile title, description and topics, and the site is rebuilt. Every payload
tries to set `window.__pwned` or open a dialog. Headless Chromium then opens every page, from disk and served
under a sub-path, and drives search; nothing may run, no element or attribute may be injected, and every
hostile title must show as the exact text its paper file holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from browser_helpers import SUGGESTIONS_RENDERED_FOR, PageProblems, site_base_url, watched_page
from conftest import Site
from playwright.sync_api import Browser, Page

SUB_PATH = "/hostile-list/"
ORIGINS = ["file", "http"]
PWN = "window.__pwned=1"

# ---------- the hostile content ----------


@dataclass(frozen=True)
class HostilePaper:
    word: str  # a plain word only this paper has, to find it by search
    title: str  # the title line as the dump holds it
    abstract: str  # the abstract line as the dump holds it
    query: str  # a part of the title typed into the search boxes (no lunr syntax: `:`, `*`, `~`, `^`)
    shown_title: str = ""  # the title as the site keeps it, when the parser cleans the line

    @property
    def expected_title(self) -> str:
        return self.shown_title or self.title


PAPERS = [
    HostilePaper(
        "quokka",
        f"Quokka <script>{PWN}</script> networks",
        f"Raw <script>{PWN}</script> and </script><script>alert(1)</script> stay text, "
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT> too.",
        f"quokka <script>{PWN}</script>",
    ),
    HostilePaper(
        "wombat",
        f'Wombat <img src=x onerror="{PWN};alert(1)"> vision',
        f'![wombat](javascript:{PWN}) ![x](x" onerror="{PWN}) ![y](data:image/svg+xml,<svg onload=alert(1)>) '
        f"<img src=x onerror=alert(1)> <IMG SRC=javascript:{PWN}>",
        'wombat <img src=x onerror="',
    ),
    HostilePaper(
        "narwhal",
        f"Narwhal <svg onload={PWN}><circle r=9 /></svg> <iframe src=\"javascript:parent.__pwned=1\"></iframe>",
        f"<svg onload={PWN}> <details open ontoggle={PWN}> <body onload=alert(1)> "
        "<video><source onerror=alert(1)></video> <input autofocus onfocus=alert(1)>",
        "narwhal <svg onload",
    ),
    HostilePaper(
        "pangolin",
        f"Pangolin \"><script>{PWN}</script> '><b onmouseover=alert(1)>bold</b> </title><script>alert(1)</script>",
        f"\"><script>{PWN}</script> '><img src=x onerror=alert(1)> \"'><b onclick={PWN}>b</b> </textarea><script>",
        "pangolin \"><script> '><b",
    ),
    HostilePaper(
        "axolotl",
        "Axolotl [click](javascript:window.__pwned=1) ![pic](javascript:alert(1)) <javascript:alert(1)> "
        "[d](data:text/html,<script>alert(1)</script>)",
        f"[a](javascript:{PWN}) [b](JaVaScRiPt:alert(1)) [c]( javascript:alert(1)) [d](&#106;avascript:{PWN}) "
        f"[e](javascript&#58;{PWN}) [f](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) "
        "[g](vbscript:msgbox(1)) [h](//evil.example/x) <javascript:alert(1)> "
        '[i](https://example.com "t\\" onmouseover=\\"alert(1)") [j](java\\script:alert(1)) '
        f"[k](java&#9;script:{PWN}) [l](javascript&colon;{PWN}) ![m](&#x6A;avascript:{PWN}) [n](&#100;ata:text/html,x)",
        "axolotl [click](javascript",
    ),
    HostilePaper(
        "ocelot",
        "Ocelot {{ 7*7 }} {% raw %}{{ site.title }}{% endraw %} ${7*7} #{7*7} <%= 7*7 %> {{ lipsum.__globals__ }}",
        "{{ 7*7 }} {% raw %}{{ site.title }}{% endraw %} {# comment #} ${7*7} <%= 7*7 %> "
        "{{ ''.__class__.__mro__ }} {{ config }}",
        "ocelot {{ 7*7 }} {% raw %}",
    ),
    HostilePaper(
        "tapir",
        f"Tapir &lt;script&gt;{PWN}&lt;/script&gt; &amp;lt;b&amp;gt; &#60;img src=x onerror=alert(1)&#62; &quot;",
        f"&lt;script&gt;{PWN}&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62; &amp;lt;b&amp;gt; "
        f"&#x3C;svg onload={PWN}&#x3E;",
        "tapir &lt;script&gt;",
    ),
    HostilePaper(
        "manatee",
        "Manatee \u202eesrever ni daer\u202c text with a NUL\x00byte and \u2066isolates\u2069 \u202eevil.exe",
        "Direction \u202eoverride\u202c and NUL \x00 inside an abstract, <b>\u202e</b>.",
        "manatee text with a nul",
        shown_title="Manatee esrever ni daer text with a NUL byte and isolates evil.exe",
    ),
    HostilePaper(
        "gecko",
        f"Gecko </script><script>{PWN}</script> <!-- <script>alert(1)</script> --> ]]> javascript:alert(1) "
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        f"Text with </script> inside, <!-- <script>{PWN}</script> --> <![CDATA[ <script>alert(1)</script> ]]> "
        "and javascript:alert(1) and data:text/html,<script>alert(1)</script> bare.",
        "gecko </script><script>",
    ),
    HostilePaper(
        "lemur",
        f"Lemur ');{PWN};(' \\');{PWN};// \"+alert(1)+\" `${{alert(1)}}` \\u0027 \\x27 \\",
        f"');{PWN};// \\'); \"}};{PWN};{{\" \\u2028 \\\\ \\n </script><script>{PWN}</script>",
        "lemur ');",
    ),
    HostilePaper(
        "ibex",
        f'Ibex <a href="javascript:{PWN}">link</a> <object data="data:text/html,x"></object> <embed src=x> '
        '<div style="position:fixed" onclick=alert(1)>',
        f'<a href="javascript:{PWN}">x</a> <iframe srcdoc="<script>parent.__pwned=1</script>"></iframe> '
        "<object data=x></object> <embed src=x> <div onclick=alert(1) style=color:red>d</div>",
        "ibex <a href=",
    ),
    HostilePaper(
        "bison",
        "Bison **bold** _under_ [link](https://evil.example) ![img](https://evil.example/x.png) "
        "<https://evil.example> `code`",
        "**bold** *em* `<script>alert(1)</script>` [ok](https://example.com/a_b) "
        "https://github.com/evil/repo\"onmouseover=alert(1) https://example.com/?q=<script>alert(1)</script>",
        "bison **bold** _under_",
    ),
    HostilePaper(
        "okapi",
        "Okapi <style>body{display:none}</style> <meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\"> "
        "<base href=\"javascript:alert(1)//\"> <form action=javascript:alert(1)><button>go</button></form>",
        "<style>*{display:none}</style> <meta http-equiv=refresh content=\"0;url=javascript:alert(1)\"> "
        "<base href=//evil.example/> <form action=javascript:alert(1)><input type=submit></form> "
        "<math><mi xlink:href=\"javascript:alert(1)\">m</mi></math> <link rel=stylesheet href=//evil.example/x.css>",
        "okapi <style>body",
    ),
]

SITE_TITLE = f"Reading <script>{PWN}</script> list \"&amp;\" '><img src=x onerror=alert(1)> {{{{ 7*7 }}}}"
SITE_DESCRIPTION = f"\"><script>{PWN}</script><meta http-equiv=refresh content='0;url=javascript:alert(1)'> ${{7*7}}"
TOPIC_SLUG = "hostile"
TOPIC_TITLE = f"Topic <svg onload={PWN}> & \"quotes\" '><b>"
TOPIC_DESCRIPTION = f"</title><script>alert(1)</script> '\"><img src=x onerror={PWN}> {{% raw %}}"
SECOND_TOPIC_TITLE = f"Second <iframe src=javascript:{PWN}></iframe>"
SECOND_TOPIC_KEYWORDS = ["quokka", "wombat"]  # its papers: the two whose titles have these words
SECOND_TOPIC_DESCRIPTION = f"<a href=javascript:{PWN}>click</a> &lt;b&gt;"

TAGS = [f"<script>{PWN}</script>", f'"><img src=x onerror={PWN}>', f"');{PWN};//", "\u2028line\u2029break"]
STATUS = f"<b onmouseover={PWN}>read</b>"
RATING = f"<svg onload={PWN}>"
NOTES = f"""
## Notes <script>{PWN}</script>

<div onclick="{PWN}">raw block</div>

<script>{PWN}</script>

<iframe src="javascript:alert(1)"></iframe>

[ref link][evil], [another][data] and ![ref image][evil]; [entity](&#106;avascript:{PWN}).

[evil]: javascript:{PWN}
[data]: data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==

<javascript:alert(1)> <https://example.com/"onmouseover="alert(1)> [t](https://example.com "x\\" onclick=\\"{PWN}")

```html
<script>{PWN}</script>
```

| a <b>x</b> | b |
|---|---|
| <img src=x onerror=alert(1)> | [c](javascript:alert(1)) |

> quote <svg onload=alert(1)>

Separators \u2028 and \u2029, ');{PWN};// \\'); a NUL \x00 here, </script><script>{PWN}</script>.
{{{{ 7*7 }}}} {{% raw %}} ${{7*7}}
"""
TOPIC_INTRO = f"""
Intro <script>{PWN}</script> [x](javascript:{PWN}) <img src=x onerror={PWN}> {{{{ 7*7 }}}}
"""
# The introduction as the page shows it: raw HTML as text, the javascript: link as its bare text "x".
TOPIC_INTRO_SHOWN = f"Intro <script>{PWN}</script> x <img src=x onerror={PWN}> {{{{ 7*7 }}}}"
NOTES_PAPER = "quokka"  # the paper whose file gets NOTES and the hostile user keys
# Whole hostile strings typed as queries: they come back in the status line ("No papers match “…”").
HOSTILE_QUERIES = [SITE_TITLE, SITE_DESCRIPTION] + [
    paper.title for paper in PAPERS if paper.word in ("pangolin", "gecko", "tapir", "lemur")
]

# ---------- what the theme itself puts in a page ----------

THEME_TAGS = {
    "html", "head", "meta", "title", "link", "script", "body", "a", "header", "div", "nav", "form", "label",
    "input", "kbd", "p", "main", "section", "h1", "h2", "h3", "ul", "ol", "li", "span", "footer", "time",
    "article", "select", "option", "details", "summary", "code", "mark", "button", "pre", "dialog", "dl", "dt", "dd",
}
MARKDOWN_TAGS = {
    "em", "strong", "pre", "blockquote", "hr", "br", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}
SITE_SCRIPTS = re.compile(r"assets/(search|lunr\.min|search-store|search-index-\d+|search-text-\d+)\.js")
META_KINDS = {"charset", "Content-Security-Policy", "viewport", "description"}
SAFE_PROTOCOLS = {"http:", "https:", "file:", "mailto:"}
FLAG_NAMES = ("__pwned", "__cspProbe")

# Everything about a page that an injection would change, read in one go.
INSPECT = r"""([siteBase, safeProtocols, flagNames]) => {
    const found = {tags: new Set(), onAttributes: [], unsafeUrls: new Set(), styles: [], scripts: [], metas: []};
    const unsafe = value => /^(?:javascript|data|vbscript):/i.test(value.replace(/[\u0000-\u0020]/g, ""));
    for (const element of document.querySelectorAll("*")) {
        const name = element.localName, text = element.textContent.slice(0, 40);
        found.tags.add(name);
        for (const attribute of element.attributes) {
            const where = `<${name} ${attribute.name}="${attribute.value}">${text}`;
            if (/^on/i.test(attribute.name)) found.onAttributes.push(where);
            if (attribute.name === "style" || attribute.name === "srcdoc") found.styles.push(where);
            if (unsafe(attribute.value)) found.unsafeUrls.add(where);
        }
        for (const property of ["href", "src", "action", "formAction", "data"]) {
            const value = element[property], attribute = property.toLowerCase();
            if (typeof value !== "string" || !value || !element.hasAttribute(attribute)) continue;
            const protocol = new URL(value, document.baseURI).protocol;
            if (!safeProtocols.includes(protocol)) found.unsafeUrls.add(`<${name} ${attribute}="${value}">${text}`);
        }
    }
    for (const script of document.scripts) {
        found.scripts.push(script.hasAttribute("src") ? script.src.replace(siteBase, "") : "inline: " + script.text);
    }
    for (const meta of document.querySelectorAll("meta")) {
        found.metas.push(meta.getAttribute("http-equiv") || meta.getAttribute("name") || "charset");
    }
    return {
        tags: [...found.tags].sort(),
        onAttributes: found.onAttributes,
        unsafeUrls: [...found.unsafeUrls],
        styles: found.styles,
        scripts: found.scripts,
        metas: found.metas,
        base: document.baseURI,
        flags: flagNames.filter(flag => typeof window[flag] !== "undefined"),
    };
}"""
TEXTS = """selector => Array.from(document.querySelectorAll(selector), element => element.textContent)"""
CSP = """() => Array.from(document.querySelectorAll('meta[http-equiv]'), meta => ({
    equiv: meta.getAttribute('http-equiv'),
    content: meta.getAttribute('content'),
    inHead: meta.parentElement === document.head,
    beforeAnyScriptOrStyle: Array.from(document.querySelectorAll('script, link, style')).every(
        other => Boolean(meta.compareDocumentPosition(other) & Node.DOCUMENT_POSITION_FOLLOWING)),
}))"""

SEARCH_PAGE_RENDERED_FOR = """query => {
    const status = document.getElementById("search-status").textContent;
    return document.getElementById("search-input").value === query
        && !status.startsWith("Loading") && !status.startsWith("Search needs JavaScript")
        && new URLSearchParams(location.search).get("q") === query
        && !document.getElementById("search-results").hasAttribute("aria-busy");
}"""


# ---------- the built site and what its files hold ----------


@dataclass(frozen=True, repr=False)
class HostileSite:
    site: Site
    titles: dict[str, str]  # slug → the title in the paper file's front matter
    abstracts: dict[str, str]
    notes: dict[str, str]
    tags: dict[str, list[str]]
    slug_of: dict[str, str]  # a paper's search word → its slug
    problems: tuple[str, ...]  # the build's warnings

    @property
    def out(self) -> Path:
        return self.site.out

    def pages(self) -> list[str]:
        """Every HTML page of the built site, relative to its root."""
        return sorted(path.relative_to(self.out).as_posix() for path in self.out.rglob("*.html"))


def hostile_dump() -> str:
    return "".join(
        f"{paper.title}\n\n{paper.abstract}\n\n  \u2022 {day} authors\n\u00b7\nMay {day}, 2023 {day}\n\n"
        for day, paper in enumerate(PAPERS, start=1)
    )


def yaml_text(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(value)


def hostile_config() -> str:
    return (
        f"title: {yaml_text(SITE_TITLE)}\n"
        f"description: {yaml_text(SITE_DESCRIPTION)}\n"
        "topics:\n"
        f"  - title: {yaml_text(TOPIC_TITLE)}\n"
        f"    slug: {TOPIC_SLUG}\n"
        f"    description: {yaml_text(TOPIC_DESCRIPTION)}\n"
        "    dumps: [hostile.txt]\n"
        f"  - title: {yaml_text(SECOND_TOPIC_TITLE)}\n"
        f"    description: {yaml_text(SECOND_TOPIC_DESCRIPTION)}\n"
        f"    keywords: {json.dumps(SECOND_TOPIC_KEYWORDS)}\n"
    )


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    match = re.match(r"---\n(.*?)^---\n", text, re.DOTALL | re.MULTILINE)
    assert match, f"no front matter in {text[:200]!r}"
    return yaml.safe_load(match[1]), text[match.end():]


def add_user_keys_and_notes(path: Path) -> None:
    """What a user does by hand: keys of their own at the end of the front matter, notes in the body."""
    text = path.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    user_keys = f"tags: {json.dumps(TAGS)}\nstatus: {yaml_text(STATUS)}\nrating: {yaml_text(RATING)}\n"
    path.write_bytes(f"{head}\n{user_keys}---\n{body}{NOTES}".encode())


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileSite:
    site = Site(tmp_path_factory.mktemp("hostile") / "site")
    site.write_config(f"title: Plain list\ntopics:\n  - title: All\n    slug: {TOPIC_SLUG}\n    dumps: [hostile.txt]\n")
    site.dump("hostile.txt", hostile_dump())
    site.build()

    papers_dir = site.root / "content" / "papers"
    slug_of = {}
    for path in papers_dir.glob("*.md"):
        meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
        (word,) = [paper.word for paper in PAPERS if str(meta["title"]).lower().startswith(paper.word)]
        slug_of[word] = path.stem
    assert sorted(slug_of) == sorted(paper.word for paper in PAPERS), "a hostile paper is missing from the files"

    add_user_keys_and_notes(site.paper_file(slug_of[NOTES_PAPER]))
    topic_file = site.root / "content" / "topics" / f"{TOPIC_SLUG}.md"
    topic_file.write_text(topic_file.read_text(encoding="utf-8") + TOPIC_INTRO, encoding="utf-8")
    site.write_config(hostile_config())
    summary = site.build()

    titles, abstracts, notes, tags = {}, {}, {}, {}
    for path in sorted(papers_dir.glob("*.md")):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        titles[path.stem] = meta["title"]
        abstracts[path.stem] = meta["abstract"]
        notes[path.stem] = body
        tags[path.stem] = [str(tag) for tag in meta.get("tags") or []]
    problems = tuple(f"{problem}" for problem in summary.problems)
    return HostileSite(site, titles, abstracts, notes, tags, slug_of, problems)


# ---------- the browser side ----------


@pytest.fixture(scope="module", params=ORIGINS)
def base_url(request: pytest.FixtureRequest, hostile: HostileSite) -> Iterator[str]:
    with site_base_url(hostile.out, request.param, SUB_PATH) as url:
        yield url


@dataclass
class Tab:
    """A watched page: problems, dialogs (recorded and dismissed) and the site it belongs to."""

    page: Page
    problems: PageProblems
    dialogs: list[str]
    base_url: str

    def open(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def forget(self) -> None:
        """Start afresh before the next page: a new page per page would cost more than the page itself."""
        self.dialogs.clear()
        for seen in vars(self.problems).values():
            seen.clear()

    def injections(self) -> list[str]:
        """What in the page is not the theme's own: tags, on* and style attributes, unsafe URLs, scripts, flags."""
        seen = self.page.evaluate(INSPECT, [self.base_url, sorted(SAFE_PROTOCOLS), FLAG_NAMES])
        found = [f"element <{tag}>" for tag in seen["tags"] if tag not in THEME_TAGS | MARKDOWN_TAGS]
        found += [f"event handler {where}" for where in seen["onAttributes"]]
        found += [f"inline style or srcdoc {where}" for where in seen["styles"]]
        found += [f"unsafe URL {where}" for where in seen["unsafeUrls"]]
        found += [f"script {script}" for script in seen["scripts"] if not SITE_SCRIPTS.fullmatch(script)]
        found += [f"meta {meta}" for meta in seen["metas"] if meta not in META_KINDS]
        found += [f"ran: window.{flag} is set" for flag in seen["flags"]]
        if seen["base"] != self.page.url.split("#")[0]:
            found.append(f"base URL changed to {seen['base']}")
        return found

    def trouble(self) -> list[str]:
        """Dialogs, console and page errors, failed requests, and requests that leave the site."""
        found = [f"dialog {dialog}" for dialog in self.dialogs]
        found += [f"console error {error}" for error in self.problems.console_errors]
        found += [f"page error {error}" for error in self.problems.page_errors]
        found += [f"failed request {request}" for request in self.problems.failed_requests]
        found += [f"HTTP error {response}" for response in self.problems.error_responses]
        found += [f"request outside the site {url}" for url in self.problems.requested_urls
                  if not url.startswith(self.base_url)]
        return found

    def assert_nothing_injected(self) -> None:
        assert self.injections() + self.trouble() == [], self.page.url


@pytest.fixture
def tab(browser: Browser, base_url: str) -> Iterator[Tab]:
    """A page in a new browser context, watched from the start; dialogs (alert) are recorded and dismissed."""
    with watched_page(browser) as (page, problems, dialogs):
        yield Tab(page, problems, dialogs, base_url)


def report(wrong: dict[str, list[str]]) -> str:
    """One line per problem, under the page it was seen on (pytest would cut a long dict short)."""
    return "".join(f"{path}:\n" + "".join(f"    {problem}\n" for problem in found) for path, found in wrong.items())


def texts(page: Page, selector: str) -> list[str]:
    return page.evaluate(TEXTS, selector)


def attribute(page: Page, selector: str, name: str) -> str | None:
    return page.locator(selector).get_attribute(name)


def csp_directives(content: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in content.split(";"):
        name, *values = part.split() or [""]
        directives.setdefault(name.lower(), values)
    return directives


def csp_problems(page: Page) -> list[str]:
    """Unless the page has one CSP <meta>, before any script or style, allowing only the site's own of each."""
    metas = page.evaluate(CSP)
    policies = [meta for meta in metas if meta["equiv"].lower() == "content-security-policy"]
    if len(policies) != 1 or not policies[0]["inHead"] or not policies[0]["beforeAnyScriptOrStyle"]:
        return [f"not one Content-Security-Policy <meta> at the top of <head>: {metas}"]
    policy = policies[0]["content"]
    directives = csp_directives(policy)
    if directives.get("script-src") != ["'self'"] or directives.get("style-src") != ["'self'"]:
        return [f"scripts or styles allowed from elsewhere than 'self': {policy}"]
    objects = directives.get("object-src", directives.get("default-src"))
    if "unsafe" in policy or objects not in (["'none'"], ["'self'"]):
        return [f"a loose policy: {policy}"]
    return []


# ---------- 1: the build keeps hostile text as it is (no browser) ----------


def test_paper_files_hold_the_hostile_titles_and_user_text_exactly(hostile: HostileSite) -> None:
    assert sorted(hostile.titles.values()) == sorted(paper.expected_title for paper in PAPERS)
    notes_slug = hostile.slug_of[NOTES_PAPER]
    assert hostile.notes[notes_slug].endswith(NOTES)
    assert hostile.tags[notes_slug] == TAGS
    pages = set(hostile.pages())
    assert {"index.html", "papers.html", "search.html", "404.html", f"topics/{TOPIC_SLUG}.html"} <= pages
    assert {f"papers/{quote(slug)}.html" for slug in hostile.titles} <= pages
    # Relative links such as `![x](x" onerror=...)` point at missing pages, which the build rightly reports.
    # So do a status and a rating that are not one of the allowed values (they are ignored).
    expected = ("missing page", "'status' must be one of to-read, reading, read, skipped, not ",
                "'rating' must be a whole number from 1 to 5, not ")
    unexpected = [problem for problem in hostile.problems if not any(part in problem for part in expected)]
    assert unexpected == [], "\n".join(unexpected)
    assert sum(expected[1] in problem or expected[2] in problem for problem in hostile.problems) == 2


# ---------- 2: every page, from disk and over HTTP ----------


def test_every_page_runs_nothing_injects_nothing_and_shows_hostile_text_as_text(
    tab: Tab, hostile: HostileSite
) -> None:
    all_titles = sorted(hostile.titles.values())
    (second_topic,) = [page for page in hostile.pages() if page.startswith("topics/") and TOPIC_SLUG not in page]
    second_slug = second_topic.removeprefix("topics/").removesuffix(".html")
    topic_titles = {TOPIC_SLUG: TOPIC_TITLE, second_slug: SECOND_TOPIC_TITLE}
    topic_descriptions = {TOPIC_SLUG: TOPIC_DESCRIPTION, second_slug: SECOND_TOPIC_DESCRIPTION}
    keyword_titles = sorted(hostile.titles[hostile.slug_of[word]] for word in SECOND_TOPIC_KEYWORDS)
    topic_papers = {TOPIC_SLUG: all_titles, second_slug: keyword_titles}
    wrong: dict[str, list[str]] = {}
    for path in hostile.pages():
        tab.forget()
        page = tab.open(path)
        problems = tab.injections() + tab.trouble() + csp_problems(page)

        def expect_equal(what: str, shown: object, expected: object, problems: list[str] = problems) -> None:
            if shown != expected:
                problems.append(f"{what}: shows {shown!r}, expected {expected!r}")

        expect_equal("brand", texts(page, ".site-header .brand"), [SITE_TITLE])
        if path == "index.html":
            expect_equal("h1", texts(page, "main h1"), [SITE_TITLE])
            expect_equal("lead", texts(page, "main .lead"), [SITE_DESCRIPTION])
            expect_equal("<title>", page.title(), SITE_TITLE)
            expect_equal("meta description", attribute(page, "meta[name=description]", "content"), SITE_DESCRIPTION)
            expect_equal("topic cards", texts(page, ".topic-title"), [TOPIC_TITLE, SECOND_TOPIC_TITLE])
            descriptions = [TOPIC_DESCRIPTION, SECOND_TOPIC_DESCRIPTION]
            expect_equal("topic descriptions", texts(page, ".topic-card p"), descriptions)
            shown = texts(page, ".paper-item h3 a")
            expect_equal("recent papers", [title for title in shown if title not in all_titles], [])
        elif path == "papers.html":
            expect_equal("paper list", sorted(texts(page, ".paper-item h3 a")), all_titles)
            expect_equal("<title>", page.title(), f"All papers \u00b7 {SITE_TITLE}")
        elif path in ("search.html", "404.html"):
            heading = "Search" if path == "search.html" else "Page not found"
            expect_equal("<title>", page.title(), f"{heading} \u00b7 {SITE_TITLE}")
        elif path.startswith("papers/"):
            slug = path.removeprefix("papers/").removesuffix(".html")
            title = hostile.titles[slug]
            expect_equal("h1", texts(page, "main h1"), [title])
            expect_equal("<title>", page.title(), f"{title} \u00b7 {SITE_TITLE}")
            expect_equal("direction overrides", re.findall("[\u202a-\u202e\u2066-\u2069]", page.title()), [])
            if slug == hostile.slug_of[NOTES_PAPER]:
                expect_equal("tags", texts(page, ".annotations .tag"), [f"#{tag}" for tag in TAGS])
                expect_equal("status (not an allowed one)", texts(page, ".meta .status"), [])
                expect_equal("rating (not an allowed one)", texts(page, ".annotations .rating"), [])
                expect_equal("notes heading", texts(page, ".notes h2 + h2"), [f"Notes <script>{PWN}</script>"])
        elif path.startswith("topics/"):
            slug = path.removeprefix("topics/").removesuffix(".html")
            expect_equal("h1", texts(page, "main h1"), [topic_titles[slug]])
            expect_equal("<title>", page.title(), f"{topic_titles[slug]} \u00b7 {SITE_TITLE}")
            expect_equal("lead", texts(page, "main .lead"), [topic_descriptions[slug]])
            if slug == TOPIC_SLUG:
                expect_equal("introduction", texts(page, ".intro"), [TOPIC_INTRO_SHOWN])
            expect_equal("topic papers", sorted(texts(page, ".paper-item h3 a")), topic_papers[slug])
        if problems:
            wrong[path] = problems
    assert wrong == {}, report(wrong)


# ---------- 3: search, in the header box and on search.html ----------


def suggest(page: Page, query: str, key_by_key: bool = False) -> list[str]:
    """Put `query` in the header box (pasted, or typed key by key) and return the titles suggested, as text."""
    box = page.locator("#search-input")
    previous = page.evaluate_handle("() => document.querySelector('#search-suggestions .suggestion-message')")
    if key_by_key:
        box.fill("")
        box.press_sequentially(query)
    else:
        box.fill(query)
    page.wait_for_function(SUGGESTIONS_RENDERED_FOR, arg=[query, previous])
    return texts(page, "#search-suggestions li[role=option]:not(.see-all) h3 a")


def search_page(page: Page, query: str) -> list[str]:
    """Type `query` on search.html and return the result titles, as text."""
    page.locator("#search-input").fill(query)
    page.wait_for_function(SEARCH_PAGE_RENDERED_FOR, arg=query)
    return texts(page, "#search-results li.result h3 a")


def test_header_search_for_hostile_titles_shows_them_as_text_and_runs_nothing(
    tab: Tab, hostile: HostileSite
) -> None:
    page = tab.open("index.html")
    for paper in PAPERS:
        title = hostile.titles[hostile.slug_of[paper.word]]
        assert suggest(page, paper.word) == [title], paper.word
        assert title in suggest(page, paper.query), paper.query
        assert tab.injections() == [], paper.query
    for hostile_query in HOSTILE_QUERIES:
        suggest(page, hostile_query)
        (message,) = texts(page, "#search-suggestions .suggestion-message")
        answers = re.fullmatch(r"\d+ results?", message) or message == f"No papers match \u201c{hostile_query}\u201d."
        assert answers or message.startswith("Cannot read that query"), (hostile_query, message)
        assert tab.injections() == [], hostile_query
    pangolin = next(paper for paper in PAPERS if paper.word == "pangolin")  # quote breaks, typed key by key
    assert hostile.titles[hostile.slug_of[pangolin.word]] in suggest(page, pangolin.query, key_by_key=True)
    tab.assert_nothing_injected()


def test_search_page_for_hostile_titles_shows_them_as_text_and_runs_nothing(
    tab: Tab, hostile: HostileSite
) -> None:
    page = tab.open("search.html")
    for paper in PAPERS:
        slug = hostile.slug_of[paper.word]
        titles = search_page(page, paper.query)
        shown = dict(zip(titles, texts(page, "#search-results li.result .excerpt"), strict=True))
        assert hostile.titles[slug] in shown, paper.query
        assert set(shown) <= set(hostile.titles.values()), paper.query
        excerpt = shown[hostile.titles[slug]].removeprefix("\u2026 ").removesuffix(" \u2026")
        assert excerpt and (excerpt in hostile.abstracts[slug] or excerpt in hostile.notes[slug]), paper.query
        assert tab.injections() == [], paper.query
    for hostile_query in HOSTILE_QUERIES:
        search_page(page, hostile_query)
        status = texts(page, "#search-status")[0]
        assert hostile_query in status or status.startswith("Cannot read that query"), (hostile_query, status)
        assert tab.injections() == [], hostile_query
    notes_title = hostile.titles[hostile.slug_of[NOTES_PAPER]]
    assert search_page(page, "separators") == [notes_title], "the hostile notes are not searchable"
    assert texts(page, "#search-results .tag") == [f"#{tag}" for tag in TAGS]
    tab.assert_nothing_injected()


def test_hostile_query_in_the_url_stays_text(tab: Tab) -> None:
    for query in HOSTILE_QUERIES:
        page = tab.open("search.html?q=" + quote(query))
        page.wait_for_function(SEARCH_PAGE_RENDERED_FOR, arg=query)
        assert page.locator("#search-input").input_value() == query
        status = texts(page, "#search-status")[0]
        assert query in status or status.startswith("Cannot read that query"), (query, status)
        assert tab.injections() == [], query
    tab.assert_nothing_injected()


# ---------- 4: the Content-Security-Policy is enforced ----------


CSP_PROBE = """() => new Promise(resolve => {
    const violations = [];
    document.addEventListener("securitypolicyviolation", event => violations.push(event.violatedDirective));
    const script = document.createElement("script");
    script.textContent = "window.__cspProbe = 1";
    document.head.appendChild(script);
    setTimeout(() => resolve({probe: typeof window.__cspProbe, violations}), 0);
})"""


def test_the_policy_is_enforced_and_search_works_under_it(tab: Tab, hostile: HostileSite) -> None:
    page = tab.open("search.html?q=quokka")
    assert csp_problems(page) == []
    page.wait_for_function(SEARCH_PAGE_RENDERED_FOR, arg="quokka")
    assert texts(page, "#search-results li.result h3 a") == [hostile.titles[hostile.slug_of["quokka"]]]
    assert tab.trouble() == []

    outcome = page.evaluate(CSP_PROBE)
    assert outcome["probe"] == "undefined", "an inline script ran despite the policy"
    assert "script-src-elem" in outcome["violations"] or "script-src" in outcome["violations"], outcome


# ---------- 5: the search store cannot break out of its string ----------


LOAD_TEXT_FILES = """async numbers => {
    await Promise.all(numbers.map(n => new Promise((resolve, reject) => {
        const script = Object.assign(document.createElement("script"), {src: `assets/search-text-${n}.js`});
        script.onload = resolve;
        script.onerror = reject;
        document.head.append(script);
    })));
    return window.sitegenSearchText;
}"""


def test_search_store_holds_the_hostile_text_exactly(tab: Tab, hostile: HostileSite) -> None:
    page = tab.open("search.html")  # loads assets/search-store.js with its <script>
    page.wait_for_function("() => window.sitegenSearchStore && window.sitegenSearchIndex && window.lunr")
    store = page.evaluate("() => window.sitegenSearchStore")
    text = page.evaluate(LOAD_TEXT_FILES, sorted({doc[7] for doc in store["docs"]}))
    by_title = {doc[0]: doc for doc in store["docs"]}
    assert sorted(by_title) == sorted(hostile.titles.values())
    for slug, title in hostile.titles.items():
        doc = by_title[title]
        assert doc[1] == f"papers/{quote(slug)}.html"
        assert doc[6] == hostile.tags[slug], title
        assert text[doc[7]][doc[1]] == [hostile.abstracts[slug], hostile.notes[slug].strip()], title
    assert [topic[1] for topic in store["topics"]] == [TOPIC_TITLE, SECOND_TOPIC_TITLE]
    tab.assert_nothing_injected()
