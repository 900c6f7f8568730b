"""Deciding what an update does to articles: which are new, changed or gone, which identical
copies are indexed once, which versions of a story count as one, which near-copies show as one.

The planner reads only the stored articles an update touches: those of changed files, those
sharing a sentence or a MinHash band with a changed article, and the members of the stories
and copy clusters they belong to. A first build touches everything and so works in memory.
"""

import hashlib
import itertools
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from index.indexer import neardup
from index.ingest.article import Article
from index.store import state
from index.store.state import StoredArticle
from index.text.normalise import normalise
from index.text.repeats import sentence_keys

if TYPE_CHECKING:
    import sqlite3

MAX_HOLDERS = 50  # a sentence in more articles than this is furniture: it never links stories


@dataclass
class Incoming:
    """An article read in this run, to be inserted under `id`."""

    id: int
    file: str
    article: Article
    text: str  # normalised
    sha256: str
    keys: set[int]
    fingerprint: neardup.Fingerprint
    duplicate_of: int | None = None
    story: int = 0
    cluster: int = 0
    signature: str = ""

    @property
    def published(self) -> str | None:
        return self.article.metadata.published


@dataclass
class Rechunk:
    """A stored article whose text is unchanged but whose passages must be made again: another
    story now repeats (or stops repeating) its sentences, or it replaces a deleted copy."""

    stored: StoredArticle
    signature: str
    article: Article | None = None  # read again from its file, for its text
    text: str = ""


@dataclass
class Plan:
    incoming: list[Incoming] = field(default_factory=list)
    delete: set[int] = field(default_factory=set)  # stored article ids
    rechunk: list[Rechunk] = field(default_factory=list)
    labels: dict[int, dict[str, int | None]] = field(default_factory=dict)  # stored id -> columns
    demote: set[int] = field(default_factory=set)  # stored canonical articles that become copies
    counts: dict[int, int] = field(default_factory=dict)  # sentence key -> stories (> 1 only)

    @property
    def changes_anything(self) -> bool:
        return bool(self.incoming or self.delete or self.rechunk or self.labels or self.demote)


def content_hash(article: Article, text: str) -> str:
    """Identical copies share it: the same declared title and normalised text."""
    return hashlib.sha256(f"{article.metadata.title or ''}\0{text}".encode()).hexdigest()


def incoming(article: Article, file: str, article_id: int) -> Incoming:
    text = normalise(article.text)
    return Incoming(
        article_id, file, article, text, content_hash(article, text), sentence_keys(text), neardup.fingerprint(text)
    )


def same_article(stored: StoredArticle, new: Incoming) -> bool:
    metadata = new.article.metadata
    return (stored.sha256, stored.published, stored.author, stored.site, stored.url) == (
        new.sha256,
        metadata.published,
        metadata.author,
        metadata.site,
        metadata.url,
    )


def plan(connection: "sqlite3.Connection", arrivals: list[Incoming], gone: set[int]) -> Plan:
    """The plan for inserting `arrivals` and deleting the stored articles `gone`."""
    result = Plan(incoming=arrivals, delete=set(gone))
    _duplicates(connection, result)
    _stories(connection, result)
    _clusters(connection, result)
    return result


def _order(published: str | None, display: str) -> tuple[str, str]:
    """Which copy is indexed (and shown): the earliest published, then the first by path."""
    return (published or "~", display)


def _duplicates(connection: "sqlite3.Connection", result: Plan) -> None:
    shas = {a.sha256 for a in result.incoming}
    leaving = state.articles_where(connection, "id", result.delete)
    shas |= {a.sha256 for a in leaving}
    stored = [a for a in state.articles_where(connection, "sha256", shas) if a.id not in result.delete]
    groups: dict[str, list[Incoming | StoredArticle]] = {}
    everyone: list[Incoming | StoredArticle] = [*stored, *result.incoming]
    for member in everyone:
        groups.setdefault(member.sha256, []).append(member)
    for members in groups.values():
        first = min(
            members, key=lambda m: _order(m.published, m.article.display if isinstance(m, Incoming) else m.display)
        )
        for member in members:
            canonical = None if member is first else first.id
            if isinstance(member, Incoming):
                member.duplicate_of = canonical
            elif member.duplicate_of != canonical:
                if canonical is None:  # a copy that must now be indexed itself
                    result.rechunk.append(Rechunk(member, ""))
                elif member.duplicate_of is None:
                    result.demote.add(member.id)
                result.labels.setdefault(member.id, {})["duplicate_of"] = canonical


class _Components:
    """Union-find over article ids; a component's label is its smallest id."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, node: int) -> int:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def label(self, node: int) -> int:
        return self.find(node)


def _stories(connection: "sqlite3.Connection", result: Plan) -> None:
    """Stories (articles sharing a third of their sentences) and the repeat counts they give.

    Only indexed (canonical) articles take part: identical copies would count a story twice. The
    stored articles loaded are those sharing a sentence with a changed one, with every member of
    their stories (a merge relabels them all); a story that loses a member is recomputed from
    its remaining members' overlaps. A sentence stored in more than MAX_HOLDERS articles loads
    none of them: it counts by its holders, as furniture. Without that, one line that every page
    of a site repeats would load every article of the site on each update.
    """
    new = {a.id: a.keys for a in result.incoming if a.duplicate_of is None}
    leaving = result.delete | result.demote
    promoted = {r.stored.id for r in result.rechunk}
    seeds = state.articles_where(connection, "id", leaving | promoted)
    involved = {k for keys in new.values() for k in keys} | {k for a in seeds for k in a.keys}
    common = state.common_keys(connection, involved, MAX_HOLDERS)
    near = {article for _, article in state.key_holders(connection, involved - common.keys())}
    near_rows = state.articles_where(connection, "id", near - leaving)
    touched = {a.story for a in seeds if a.id in leaving}
    loaded = {a.story for a in [*near_rows, *seeds]}
    nodes = {
        a.id: a
        for a in state.articles_where(connection, "story", loaded)
        if a.id not in leaving and (a.duplicate_of is None or a.id in promoted)
    }
    nodes |= {a.id: a for a in seeds if a.id in promoted}
    keys: dict[int, Collection[int]] = {i: a.keys for i, a in nodes.items()}
    keys |= new
    every_key = {k for ks in keys.values() for k in ks}
    common |= state.common_keys(connection, every_key - involved, MAX_HOLDERS)
    for article_id, article_keys in keys.items():
        for key in article_keys:
            if key in common:
                common[key] += article_id in new
    stored = (pair for pair in state.key_holders(connection, every_key - common.keys()) if pair[1] not in leaving)
    mine = ((key, i) for i, article_keys in keys.items() for key in article_keys if key not in common)
    holders_of = _shared(itertools.chain(stored, mine))
    outside = {a for holders in holders_of.values() for a in holders} - set(keys)
    outside_story = {a.id: a.story for a in state.articles_where(connection, "id", outside)}
    components = _Components()
    for article in nodes.values():
        if article.story not in touched:
            components.union(article.id, article.story)
    fresh = set(new) | promoted | {i for i, a in nodes.items() if a.story in touched}
    _link_sharing(components, holders_of, keys, fresh)
    label = {i: components.label(i) for i in keys} | outside_story
    counts = {key: len({label[h] for h in holders}) for key, holders in holders_of.items()} | common
    result.counts = {key: n for key, n in counts.items() if n > 1}
    for arrival in result.incoming:
        arrival.story = label.get(arrival.id, arrival.id)
        if arrival.duplicate_of is None:
            arrival.signature = signature(arrival.keys, result.counts)
    rechunked = {r.stored.id: r for r in result.rechunk}
    for article_id, article in nodes.items():
        now = signature(article.keys, result.counts)
        if article_id in rechunked:
            rechunked[article_id].signature = now
        elif now != article.signature:
            result.rechunk.append(Rechunk(article, now))
        if label[article_id] != article.story:
            result.labels.setdefault(article_id, {})["story"] = label[article_id]


def _shared(pairs: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    """Sentence key -> its holders, for the keys of (key, holder) pairs held by two or more: most
    keys have one holder (1.3 of 1.55 million at 182,228 articles), and need no set."""
    first: dict[int, int] = {}
    shared: dict[int, set[int]] = {}
    for key, holder in pairs:
        earlier = first.setdefault(key, holder)
        if earlier != holder:
            shared.setdefault(key, {earlier}).add(holder)
    return shared


def _link_sharing(
    components: _Components, holders_of: dict[int, set[int]], keys: dict[int, Collection[int]], fresh: set[int]
) -> None:
    """Join articles that share at least a third of the smaller one's sentences. Only pairs with
    a `fresh` article (new, or of a story being recomputed) are counted: two others already
    share a story if they should, and the pairs of every loaded article can outnumber them many
    times."""
    from collections import Counter

    shared: Counter[tuple[int, int]] = Counter()
    for holders in holders_of.values():
        present = sorted(h for h in holders if h in keys)
        if 1 < len(holders) <= MAX_HOLDERS:
            shared.update(
                (min(a, b), max(a, b)) for a in present if a in fresh for b in present if b > a or b not in fresh
            )
    for (a, b), overlap in shared.items():
        if overlap * 3 >= min(len(keys[a]), len(keys[b])):
            components.union(a, b)


def signature(keys: Iterable[int], counts: dict[int, int]) -> str:
    """Changes when another story starts or stops sharing this article's sentences."""
    shared = sorted((k, min(counts[k], 3)) for k in keys if k in counts)
    return hashlib.blake2b(repr(shared).encode(), digest_size=8).hexdigest()


def _clusters(connection: "sqlite3.Connection", result: Plan) -> None:
    """Near-identical copies (identical ones included): candidates from the LSH bands, joined when
    neardup.copies says so. Every member of a candidate's cluster is loaded (a merge relabels them
    all); a cluster that loses a member is recomputed."""
    fingerprints = {a.id: a.fingerprint for a in result.incoming if not a.fingerprint.empty}
    new_bands = {(band, value) for f in fingerprints.values() for band, value in enumerate(f.bands())}
    candidates = state.band_holders(connection, new_bands) - result.delete if new_bands else set()
    leaving_rows = state.articles_where(connection, "id", result.delete)
    touched = {a.cluster for a in leaving_rows}
    loaded = touched | {a.cluster for a in state.articles_where(connection, "id", candidates)}
    stored = {a.id: a for a in state.articles_where(connection, "cluster", loaded) if a.id not in result.delete}
    components = _Components()
    fresh = set(fingerprints)  # new, or of a cluster being recomputed: only their pairs are compared
    for article in stored.values():
        if article.cluster not in touched:
            components.union(article.id, article.cluster)
        elif article.shingles:
            fresh.add(article.id)
        if (article.id in candidates or article.cluster in touched) and article.shingles:
            fingerprints[article.id] = neardup.Fingerprint.stored(article.minhash_blob, article.shingles)
    fresh_bands = {(band, value) for i in fresh for band, value in enumerate(fingerprints[i].bands())}
    bands: dict[tuple[int, int], list[int]] = {}
    for article_id, fingerprint in fingerprints.items():
        for band, value in enumerate(fingerprint.bands()):
            if (band, value) in fresh_bands:
                bands.setdefault((band, value), []).append(article_id)
    for holders in bands.values():
        for i, a in enumerate(holders):
            for b in holders[i + 1 :]:
                if (
                    (a in fresh or b in fresh)
                    and components.find(a) != components.find(b)
                    and neardup.copies(fingerprints[a], fingerprints[b])
                ):
                    components.union(a, b)
    for arrival in result.incoming:
        arrival.cluster = components.label(arrival.id)
    for article in stored.values():
        if components.label(article.id) != article.cluster:
            result.labels.setdefault(article.id, {})["cluster"] = components.label(article.id)
