"""Where the indexer's per-file and per-article work runs: here, or spread over a Ray cluster.

Reading (decoding, extracting the article from HTML, hashing and signing it) and chunking
(cleaning and splitting) cost CPU per file and depend on nothing but their input, so an update
hands them to a Spread as pure functions over lists; the planning in between (which articles
are new, copies or versions of one story, which sentences repeat across articles) and every
write stay with the caller, the single writer. `HERE` runs the work in this process;
`index.embed.cluster.RayCluster` spreads it over a cluster's CPUs.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

from index.indexer.process import Tokens

Item = TypeVar("Item")
Result = TypeVar("Result")


class Spread(Protocol):
    def map(self, work: Callable[[Item], Result], items: Iterable[Item]) -> Iterator[Result]:
        """work(item) for every item, in the items' order, taking items only a little ahead of
        the results; work and items must pickle where the work leaves this process (a
        top-level function, or a partial of one)."""
        ...

    def tokens(self, local: Tokens) -> Tokens:
        """The token counter that `work` may carry: `local` itself, or one rebuilt wherever it runs."""
        ...


class Here:
    """Every item in this process, one after another."""

    def map(self, work: Callable[[Item], Result], items: Iterable[Item]) -> Iterator[Result]:
        return map(work, items)

    def tokens(self, local: Tokens) -> Tokens:
        return local


HERE = Here()
