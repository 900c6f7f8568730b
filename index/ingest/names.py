"""Cleaning the names pages give for their authors and themselves.

Bylines come with roles ("Ben Silverman, Games Editor"), prefixes ("Analysis by"), dates run
into them ("GILLIAN MOHNEY March 11"), shouting capitals and duplicates; sites name themselves
as hostnames ("livescience.com") or squeezed ("TheHill") in one tag and properly in another.
These rules are general, not per site: the tests hold them against 30 real pages.
"""

import re

_PREFIX = re.compile(
    r"^(?:(?:analysis|opinion|story|words|written|text|reporting|report|photos?)\s+)?by\s+", re.IGNORECASE
)
_ROLE = re.compile(
    r"\b(?:editor|editors|reporter|correspondent|writer|columnist|contributor|producer|staff|"
    r"editor-at-large|analyst|journalist|photographer|intern|news|senior|chief|political|"
    r"business|science|health|games|sports?|technology|tech)\b.*$",
    re.IGNORECASE,
)
_MONTHS = re.compile(
    r"\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?:\s+\d.*)?$", re.IGNORECASE
)
_ORGANISATION = re.compile(
    r"\b(?:staff|team|desk|newsroom|agencies|agency|editorial|board|associated press|reuters|afp|"
    r"bureau|wire|services?|correspondents|reporters)\b|^our\s",
    re.IGNORECASE,
)
_HOSTNAME = re.compile(r"^(?:https?://)?(?:www\.)?([\w-]+)(?:\.[a-z]{2,6})+/?$", re.IGNORECASE)


def author_names(candidates: list[str], site: str | None = None) -> str | None:
    """The people who wrote it, "First Last, First Last", from the first candidate (best first)
    that names anyone, or a later one naming the same people and more (a page's JSON-LD may list
    one author of two). None for organisation bylines ("Our Foreign Staff", "TMZ STAFF", names
    holding the site's own) and junk ("Username")."""
    best: list[str] = []
    outlet = {w for w in re.findall(r"[a-z0-9]+", (site or "").casefold()) if w not in {"the", "news", "daily"}}
    for candidate in candidates:
        names: list[str] = []
        for part in re.split(r"\s*(?:,|;|\band\b|&|\|)\s*", candidate or ""):
            name = _person(part)
            own = set(re.findall(r"[a-z0-9]+", (name or "").casefold()))
            if name and not own & outlet and name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
        folded = {n.casefold() for n in names}
        if (not best and names) or (best and len(names) > len(best) and {b.casefold() for b in best} <= folded):
            best = names
    return ", ".join(best) or None


def _squeezed(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold().removeprefix("the "))


def _person(text: str) -> str | None:
    text = " ".join(_PREFIX.sub("", text.strip()).split())
    if not text or _ORGANISATION.search(text) or any(c.isdigit() for c in text) or "@" in text or "/" in text:
        return None
    words = text.split()
    cut = next((i for i, w in enumerate(words) if i >= 1 and _ROLE.match(w)), len(words))
    text = " ".join(words[:cut])
    text = _MONTHS.sub("", text) if len(text.split()) > 2 else text
    words = text.split()
    if not 2 <= len(words) <= 5 or not all(
        w[:1].isupper() or w.lower() in {"de", "la", "van", "von", "der", "da", "del", "di", "bin", "al"} for w in words
    ):
        return None
    return text.title() if text.isupper() else text


def site_name(candidates: list[str]) -> str | None:
    """The outlet's name: the first proper name among the candidates (best first), written the
    way another candidate spells it best ("TheHill" -> "The Hill"); a hostname only as a last
    resort, without its domain ("TMZ.com" -> "TMZ")."""
    cleaned = [" ".join((c or "").split()) for c in candidates]
    cleaned = [c for c in cleaned if c and len(c) <= 60]
    proper = [c for c in cleaned if not _HOSTNAME.match(c)]

    if proper:
        chosen = proper[0]
        same = [c for c in cleaned if _squeezed(_bare(c)) == _squeezed(chosen)]
        return max(same, key=lambda c: (not _HOSTNAME.match(c), c.count(" "), sum(ch.isupper() for ch in c)))
    bare = [_bare(c) for c in cleaned]
    return max(bare, key=lambda c: sum(ch.isupper() for ch in c)) if bare else None


def _bare(name: str) -> str:
    """ "http://www.tmz.com" -> "tmz", "TMZ.com" -> "TMZ"; other names unchanged."""
    match = _HOSTNAME.match(name)
    return match.group(1) if match else name
