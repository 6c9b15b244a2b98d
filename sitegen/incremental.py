"""What each page read when it was rendered, and whether it must be rendered again.

Templates are given views of the site, its papers, topics and tags instead of the
objects themselves. A view notes each field a render reads, whichever way the
template reaches it: an alias, a macro, an `{% include %}`, a filter written in
Python. The build keeps, for each page, those reads with a digest of what they gave;
the next build renders a page again only if one of them now gives something else, or
its templates or what else it was given changed. So a template that reads
`site.papers` through an alias, or a copy of the whole theme, stays exact, and a
note edit renders only the pages that show that note.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .model import PaperPage, Site, TagPage, TopicPage

Identity = tuple[str, ...]  # ("paper", slug), ("topic", slug), ("tag", slug), ("site",), ("template", name)
Field = str | tuple[str, str]  # a field, or one key of a mapping field (site.by_slug[slug])
Group = tuple[Identity, tuple[Field, ...], bytes | None, bytes]  # fields read of one object: see Reads.recorded
MISSING = ("missing",)  # what a mapping gives for a key it lacks


def identity(value: object) -> Identity | None:
    kind = type(value)
    if kind is PaperPage or kind is TopicPage or kind is TagPage:
        return (KINDS[kind], value.slug)  # type: ignore[attr-defined]
    if kind is Site:
        return ("site",)
    return None


KINDS: dict[type, str] = {PaperPage: "paper", TopicPage: "topic", TagPage: "tag"}


def plain(value: object) -> object:
    """The value with every paper, topic, tag or site in it replaced by its identity: what a digest takes in."""
    kind = type(value)
    if kind is str:
        return value
    found = identity(value)
    if found is not None:
        return found
    if kind is tuple or kind is list:
        return tuple(plain(item) for item in value)  # type: ignore[attr-defined]
    if isinstance(value, Mapping):
        return tuple((key, plain(item)) for key, item in value.items())
    return value


def digest(value: object) -> bytes:
    return hashlib.sha1(repr(plain(value)).encode("utf-8", "surrogatepass")).digest()


class Fingerprints:
    """The site and templates as this build has them, to digest what a page read (memoised: many pages read the same).

    `template_source(name)` gives the text a template name loads now (None if no such template).
    """

    def __init__(
        self, site: Site, listed: Mapping[str, bytes], template_source: Callable[[str], str | None]
    ) -> None:
        self.site = site
        self._template_source = template_source
        self._tags = {tag.slug: tag for tag in site.tags}
        # An object's whole digest: if it is as it was, so is every field a page read of it.
        self._wholes: dict[Identity, bytes] = {
            ("paper", paper.slug): hashlib.sha1(listed[paper.slug] + paper.notes.encode("utf-8", "surrogatepass"))
            .digest() for paper in site.papers
        }
        for item in (*site.topics, *site.tags):  # small: their repr is their every field
            self._wholes[identity(item)] = hashlib.sha1(repr(item).encode("utf-8", "surrogatepass")).digest()  # type: ignore[index]
        self._groups: dict[tuple[Identity, tuple[Field, ...]], bytes | None] = {}

    def whole(self, found: Identity) -> bytes | None:
        """The digest of all of an object; of a template, of the text its name loads (computed once per build)."""
        if found not in self._wholes and found[0] == "template":
            source = self._template_source(found[1])
            text = b"" if source is None else source.encode("utf-8", "surrogatepass")
            self._wholes[found] = b"" if source is None else hashlib.sha1(text).digest()
        return self._wholes.get(found)

    def resolve(self, found: Identity) -> object | None:
        kind, *key = found
        if kind == "site":
            return self.site
        table: Mapping[str, object] = {"paper": self.site.by_slug, "topic": self.site.topic_by_slug,
                                       "tag": self._tags}[kind]
        return table.get(key[0])

    def group(self, found: Identity, fields: tuple[Field, ...]) -> bytes | None:
        """The digest of these fields of the object (None if the site has no such object now)."""
        if found[0] == "template":
            return self.whole(found)
        memo = (found, fields)
        if memo not in self._groups:
            target = self.resolve(found)
            self._groups[memo] = None if target is None else digest(tuple(_value(target, field) for field in fields))
        return self._groups[memo]

    def unchanged(self, groups: tuple[Group, ...]) -> bool:
        """Whether every read recorded for a page gives what it gave then."""
        for found, fields, whole, then in groups:
            if whole is not None and self.whole(found) == whole:
                continue
            if self.group(found, fields) != then:
                return False
        return True


def _value(target: object, field: Field) -> object:
    if isinstance(field, str):
        return getattr(target, field)
    name, key = field
    return getattr(target, name).get(key, MISSING)


class Reads:
    """The fields one render reads, noted by the views it hands out (see view())."""

    def __init__(self, fingerprints: Fingerprints) -> None:
        self._fingerprints = fingerprints
        self._fields: dict[Identity, dict[Field, None]] = {}
        self._views: dict[Identity, View] = {}

    def note(self, found: Identity, field: Field) -> None:
        self._fields.setdefault(found, {})[field] = None

    def note_template(self, name: str) -> None:
        """A template the render loaded (or looked for: one that appears later may change the page)."""
        self._fields.setdefault(("template", name), {})

    def view(self, value: Any) -> Any:
        """The value as a template gets it: papers, topics, tags and the site as views, in lists and mappings too."""
        kind = type(value)
        if kind in PLAIN:
            return value
        found = identity(value)
        if found is not None:
            made = self._views.get(found)
            if made is None:
                made = self._views[found] = VIEWS[type(value)](value, found, self)
            return made
        if kind is tuple or kind is list:
            return kind(self.view(item) for item in value)
        if kind is dict:
            return {key: self.view(item) for key, item in value.items()}
        return value

    def recorded(self) -> tuple[Group, ...]:
        """Each object read: its identity, the fields read, its whole digest then, and the digest of those fields."""
        whole, group = self._fingerprints.whole, self._fingerprints.group
        groups = []
        for found, fields in self._fields.items():
            names = tuple(fields)
            groups.append((found, names, whole(found), group(found, names) or b""))
        return tuple(groups)


PLAIN = frozenset({str, int, bool, float, type(None), dt.date})  # what a view gives as it is


class View:
    """A paper, topic, tag or the site as a template sees it: each field read is noted.

    A field is noted when it is first read; the view then keeps what it gave, as an
    attribute of its own, so that reading it again costs no more than on the object.
    """

    def __init__(self, target: object, found: Identity, reads: Reads) -> None:
        self._target, self._identity, self._reads = target, found, reads

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # Jinja and markupsafe ask for __html__ and the like
            raise AttributeError(name)
        value = getattr(self._target, name)
        if isinstance(value, Mapping):
            given: Any = FieldMapping(value, self._identity, name, self._reads)
        else:
            self._reads.note(self._identity, name)
            given = self._reads.view(value)
        self.__dict__[name] = given
        return given

    def __eq__(self, other: object) -> bool:  # within one site, one identity is one object
        return isinstance(other, View) and other._identity == self._identity

    def __hash__(self) -> int:
        return hash(self._identity)

    def __str__(self) -> str:
        for name in self._target.__dataclass_fields__:  # type: ignore[attr-defined]
            self._reads.note(self._identity, name)
        return str(self._target)

    __repr__ = __str__


# Named as the objects they show, so that a template's error says "PaperPage object has no attribute …".
VIEWS: dict[type, type[View]] = {
    kind: type(kind.__name__, (View,), {"__module__": kind.__module__, "__doc__": View.__doc__})
    for kind in (PaperPage, TopicPage, TagPage, Site)
}


class FieldMapping(Mapping[str, Any]):
    """A mapping field (site.by_slug): a key looked up is noted by itself, the whole mapping when it is walked."""

    def __init__(self, mapping: Mapping[str, Any], found: Identity, name: str, reads: Reads) -> None:
        self._mapping, self._identity, self._name, self._reads = mapping, found, name, reads

    def __getitem__(self, key: str) -> Any:
        self._reads.note(self._identity, (self._name, key))
        return self._reads.view(self._mapping[key])

    def __contains__(self, key: object) -> bool:
        self._reads.note(self._identity, (self._name, key))  # type: ignore[arg-type]
        return key in self._mapping

    def __iter__(self) -> Iterator[str]:
        self._reads.note(self._identity, self._name)
        return iter(self._mapping)

    def __len__(self) -> int:
        self._reads.note(self._identity, self._name)
        return len(self._mapping)
