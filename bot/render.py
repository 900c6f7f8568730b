"""Everything the bot shows: answers, sources, status and index reports, as rich text or JSON."""

import json
import time
from dataclasses import asdict
from typing import TYPE_CHECKING

from bot.answer import Answer, Source

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from index.status import Status
    from index.update import Report

ABSTAIN_MESSAGE = "I could not find anything in the indexed articles that answers this."


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

    out = Text()
    if result.abstained:
        return Text(ABSTAIN_MESSAGE)
    for sentence in result.answer:
        out.append(sentence.text)
        out.append(f" [{sentence.source}] ", style="bold cyan")
    out.append("\n\nSources:\n", style="bold")
    for source in result.sources:
        out.append_text(source_text(source))
    out.rstrip()
    return out


def source_text(source: Source, full: bool = False, width: int = 300) -> "Text":
    """`[n] Title — path ¶N (score)` and the passage, answer sentences highlighted."""
    from rich.text import Text

    out = Text()
    out.append(f"[{source.n}] ", style="bold cyan")
    out.append(source.title or printable(source.path), style="bold")
    out.append(f" — {printable(source.path)} ¶{source.paragraph} ({source.score:.3f})\n", style="dim")
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
        f"Folders:   {', '.join(current.roots)}",
        f"Articles:  {current.documents} ({current.files} files)",
        f"Passages:  {current.chunks}",
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


def stale_summary(current: "Status") -> str:
    parts = [f"{len(v)} {k}" for k, v in (("changed", current.changed), ("new", current.new), ("missing", current.missing)) if v]
    return "files changed on disk since the last index (" + ", ".join(parts) + ")"


def banner(current: "Status") -> str:
    line = f"{current.documents} articles, {current.chunks} passages, indexed {age(current.age_seconds)} ago."
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


def report_text(report: "Report", show_dropped: bool = False) -> str:
    """One summary line, preceded by skip notices (and the dropped text, when asked)."""
    lines = [f"skipped {printable(path)}: {reason}" for path, reason in report.skipped]
    if show_dropped:
        for path, dropped in report.dropped.items():
            lines += [f"dropped from {path} ({d.reason}): {d.text[:100]!r}" for d in dropped]
    if report.up_to_date:
        lines.append(
            f"Index is up to date: {report.documents} articles, {report.chunks_total} passages "
            f"({report.seconds:.2f} s)."
        )
    else:
        lines.append(
            f"Indexed: {report.added} added, {report.changed} changed, {report.removed} removed, "
            f"{report.unchanged} unchanged files; {report.chunks_embedded} passages embedded, "
            f"{report.chunks_total} in the index ({report.seconds:.1f} s)."
        )
    return "\n".join(lines)
