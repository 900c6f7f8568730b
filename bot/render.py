"""Everything the bot shows: answers, sources, status, index reports, articles; text or JSON."""

import json
import time
from dataclasses import asdict
from typing import TYPE_CHECKING

from bot.answer import Answer, Source

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from index.indexer.report import Report
    from index.indexer.status import Status
    from index.search.library import Listed, Shown

ABSTAIN_MESSAGE = "I could not find anything in the indexed articles that answers this."
EMPTY_MESSAGE = "No articles are indexed yet. Add some with: bot index PATH"
SHOWN_SKIPS = 20


def plural(count: int, noun: str, many: str | None = None) -> str:
    """ "1 passage", "2 passages", "1,500 articles"."""
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"


def console(stderr: bool = False) -> "Console":
    """Colours only on a terminal; rich honours NO_COLOR by itself."""
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False)
    out.soft_wrap = not out.is_terminal
    return out


def answer_json(result: Answer) -> str:
    return json.dumps(asdict(result), ensure_ascii=False, indent=2)


def answer_text(result: Answer) -> "Text":
    """The answer with [n] citations, then one line per source and its passage."""
    from rich.text import Text

    if result.abstained:
        return Text(result.message or ABSTAIN_MESSAGE)
    out = Text()
    dated = len({s.published for s in result.answer if s.published}) > 1
    for number, sentence in enumerate(result.answer):
        if number:
            out.append("\n" if dated else " ")
        if dated and sentence.published:
            out.append(f"On {day_text(sentence.published)}: ", style="bold")
        out.append(ended(sentence.text))
        out.append(f" [{sentence.source}]", style="bold cyan")
    out.append("\n\nSources:\n", style="bold")
    for source in result.sources:
        out.append_text(source_text(source))
    out.rstrip()
    return out


def ended(sentence: str) -> str:
    """A sentence with its full stop: `…," Putin said` becomes `…," Putin said.`."""
    stripped = sentence.rstrip()
    core = stripped.rstrip("\"'”’)]»")
    return stripped if core.endswith((".", "!", "?", "…", ":")) else stripped + "."


def byline(title: str | None, site: str | None, published: str | None) -> str:
    """ "Title — Site, 22 Feb 2013": the parts that are known."""
    when = day_text(published)
    outlet = ", ".join(p for p in (site, when) if p)
    return " — ".join(p for p in (title, outlet) if p)


def day_text(published: str | None) -> str:
    """ "2013-02-22T10:31:00+00:00" -> "22 Feb 2013"."""
    if not published:
        return ""
    import datetime as dt

    try:
        day = dt.date.fromisoformat(published[:10])
    except ValueError:
        return published
    return f"{day.day} {day.strftime('%b %Y')}"


def source_text(source: Source, full: bool = False, width: int = 300) -> "Text":
    """`[n] Title — Site, date — path ¶N (score)` and the passage, answer sentences highlighted."""
    from rich.text import Text

    out = Text()
    out.append(f"[{source.n}] ", style="bold cyan")
    out.append(source.title or printable(source.path), style="bold")
    outlet = ", ".join(p for p in (source.site, day_text(source.published)) if p)
    if outlet:
        out.append(f" — {outlet}")
    out.append(f" — {printable(source.path)} ¶{source.paragraph} ({source.score:.3f})\n", style="dim")
    if source.also_in:
        copies = ", ".join(
            f"{c.site or printable(c.path)}" + (f" ({day_text(c.published)})" if c.published else "")
            for c in source.also_in[:4]
        )
        more = f" and {len(source.also_in) - 4} more" if len(source.also_in) > 4 else ""
        out.append(f"    also in: {copies}{more}\n", style="dim")
    passage = source.text
    if not full and len(passage) > width and not source.highlights:
        passage = passage[:width].rsplit(" ", 1)[0] + " …"
    body = Text("    " + passage.replace("\n", " ") + "\n")
    for start, end in source.highlights:
        body.stylize("bold yellow", start + 4, end + 4)
    out.append_text(body)
    return out


def status_text(current: "Status") -> str:
    lines = [
        f"Index:     {current.index_dir}",
        f"Folders:   {', '.join(current.roots) or '(none)'}",
        f"Articles:  {current.documents:,} ({plural(current.files, 'file')})",
        f"Passages:  {current.chunks:,}",
        f"Published: {date_range(current.first_published, current.last_published) or 'unknown'}",
        f"Model:     {current.model} ({current.dimensions} dims)",
        f"Size:      {current.size_bytes / 2**20:.1f} MB",
        f"Updated:   {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(current.updated))}"
        f" ({age(current.age_seconds)} ago)",
    ]
    if current.stale:
        lines.append(f"Warning:   {stale_summary(current)}; run: bot index")
        for label, paths in (("changed", current.changed), ("new", current.new), ("missing", current.missing)):
            lines += [f"  {label}: {printable(path)}" for path in paths[:20]]
            if len(paths) > 20:
                lines.append(f"  … and {len(paths) - 20} more {label}")
    return "\n".join(lines)


def date_range(first: str | None, last: str | None) -> str:
    if not first:
        return ""
    return day_text(first) if first[:10] == (last or "")[:10] else f"{day_text(first)} to {day_text(last)}"


def stale_summary(current: "Status") -> str:
    parts = [
        f"{len(v)} {k}"
        for k, v in (("changed", current.changed), ("new", current.new), ("missing", current.missing))
        if v
    ]
    return "files changed on disk since the last index (" + ", ".join(parts) + ")"


def banner(current: "Status") -> str:
    line = f"{plural(current.documents, 'article')}, {plural(current.chunks, 'passage')}"
    span = date_range(current.first_published, current.last_published)
    if span:
        line += f" ({span})"
    line += f", indexed {age(current.age_seconds)} ago."
    if current.stale:
        line += f" Warning: {stale_summary(current)}; type /reindex."
    return line + " Ask a question, or /help."


def age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def printable(name: str) -> str:
    """A file name shown in one line: newlines and escape codes in names are written escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def report_text(report: "Report") -> str:
    """One summary line, preceded by skip notices (new ones only) and reading notices."""
    lines = [f"skipped {printable(path)}: {reason}" for path, reason in report.skipped[:SHOWN_SKIPS]]
    if len(report.skipped) > SHOWN_SKIPS:
        lines.append(f"… and {plural(len(report.skipped) - SHOWN_SKIPS, 'more file')} skipped")
    lines += [f"note {printable(path)}: {notice}" for path, notice in report.notices[:SHOWN_SKIPS]]
    if report.up_to_date:
        lines.append(
            f"Index is up to date: {plural(report.documents, 'article')}, {plural(report.chunks_total, 'passage')} "
            f"({report.seconds:.2f} s)."
        )
    elif not (report.chunks_total or report.documents or report.removed):
        lines.append(f"Nothing to index: no articles found ({report.seconds:.1f} s). The index is empty.")
    else:
        lines.append(
            f"Indexed: {report.added} added, {report.changed} changed, {report.removed} removed, "
            f"{report.unchanged} unchanged {'file' if report.unchanged == 1 else 'files'}; "
            f"{plural(report.chunks_embedded, 'passage')} embedded, {report.chunks_total:,} in the index "
            f"({report.seconds:.1f} s)."
        )
    return "\n".join(lines)


def watch_line(report: "Report", terminal: bool, when: float) -> str:
    """`12:04:31 +3 ~1 −0 articles, 14 passages, 0.8 s`; a log (not a terminal) gets the date too."""
    stamp = time.strftime("%H:%M:%S" if terminal else "%Y-%m-%dT%H:%M:%S", time.localtime(when))
    line = (
        f"{stamp} +{report.articles_added} ~{report.articles_changed} −{report.articles_removed} articles, "
        f"{plural(report.chunks_embedded, 'passage')}, {report.seconds:.1f} s"
    )
    skipped = "".join(f"\n{stamp} skipped {printable(path)}: {reason}" for path, reason in report.skipped)
    return line + skipped


def interrupted_text(report: "Report") -> str:
    kept = report.chunks_embedded
    if not kept:
        return "Interrupted; the index is unchanged."
    return (
        f"Interrupted; the index is unchanged. {plural(kept, 'passage')} embedded so far are kept: "
        "run bot index again to finish."
    )


def articles_text(found: "list[Listed]") -> str:
    if not found:
        return "No articles match."
    lines = []
    for item in found:
        parts = [day_text(item.published) or "(no date)", item.site or "", item.author or ""]
        copy = f" (copy of {printable(item.copy_of)})" if item.copy_of else f" ({plural(item.passages, 'passage')})"
        lines.append(f"{printable(item.path)} — {item.title} — " + " — ".join(p for p in parts if p) + copy)
    return "\n".join(lines)


def articles_json(found: "list[Listed]") -> str:
    keys = ("path", "title", "published", "author", "site", "url", "passages")
    return json.dumps([{k: asdict(item)[k] for k in keys} for item in found], ensure_ascii=False, indent=2)


def article_json(shown: "Shown") -> str:
    return json.dumps(asdict(shown), ensure_ascii=False, indent=2)


def article_text(shown: "Shown") -> str:
    lines = [shown.title, printable(shown.path)]
    known = [
        f"{label}: {value}"
        for label, value in (
            ("Published", shown.published),
            ("By", shown.author),
            ("Site", shown.site),
            ("URL", shown.url),
        )
        if value
    ]
    lines += known
    if shown.copy_of:
        lines.append(f"An identical copy of {printable(shown.copy_of)}, whose passages these are.")
    lines.append("")
    lines += [f"¶{p.paragraph}  {p.text}" for p in shown.passages]
    if shown.dropped:
        lines += ["", "Left out of the index:"]
        lines += [f"  [{d.why}] {d.text[:160]}" for d in shown.dropped]
    return "\n".join(lines)
