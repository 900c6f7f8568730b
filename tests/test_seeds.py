"""End to end on the two seed articles with the real model: boilerplate, titles, answers."""

from pathlib import Path

from conftest import open_searcher

from bot.answer import answer
from index.store import codec
from index.text.furniture import clean

NEWS_OPENINGS = [
    "Prime Minister Vladimir Putin on Friday accused the West",
    "Putin called for both Syrian government and opposition forces",
    "While staunchly protecting Assad from United Nations sanctions",
    "Foreign Ministry spokesman Alexander Lukashevich said Friday",
    "Putin refused to speculate on Assad's chance",
    "Putin insisted that Russia's opposition to the UN resolution",
    '"Instead of encouraging parties to the conflict',
    "President Vladimir Putin said the civil war in Syria",
    "Speaking to the German ARD television",
    "Russia has been Assad's main ally",
    "In recent months, it has sought to distance itself",
    '"What is going on is a massacre.',
    'But he added that "when they say Assad',
    "Putin said negotiations between the government and the opposition",
    '"We do not think that Assad should leave today',
    "He said Russia did not want to see Syria plunge",
    '"Therefore, we believe that it is necessary',
    "He said French President Francois Hollande",
    '"We are ready to support these ideas,"',
]
APPEALS = [
    "Support The Moscow Times!",
    "Enjoying ad-free content?",
    "we have disabled all ads",
    "Support us",
    "Our journalism is banned in Russia",
    "A Message from The Moscow Times",
    "Dear readers",
    "We are facing unprecedented challenges",
    "These actions are direct attempts to silence",
    "We, the journalists of The Moscow Times",
    "Your support, no matter how small",
    "By supporting The Moscow Times",
    "Once",
    "Monthly",
    "Annual",
    "Continue",
    "Not ready to support today?",
    "Remind me later.",
    "Read more",
    "we have a small favor to ask",
    "As you may have heard",
    "×",
]


def _indexed_texts(seeds_index: Path) -> list[str]:
    from index.search.searcher import Searcher

    searcher = Searcher.open(seeds_index, load_model=False)
    return [codec.unpack_text(row[0]) for row in searcher.connection.execute("SELECT text FROM chunks")]


def test_index_holds_every_news_paragraph_and_no_appeal(seeds_index: Path) -> None:
    texts = _indexed_texts(seeds_index)
    for opening in NEWS_OPENINGS:
        assert sum(t.startswith(opening) for t in texts) == 1, opening
    for appeal in APPEALS:
        assert not any(appeal in t for t in texts), appeal
    assert len(texts) == len(NEWS_OPENINGS)


def test_titles_are_the_headlines(seeds_index: Path) -> None:
    from index.search.searcher import Searcher

    searcher = Searcher.open(seeds_index, load_model=False)
    titles = [row[0] for row in searcher.connection.execute("SELECT title FROM articles ORDER BY display")]
    assert titles == [
        "Putin Defends Syria Stance, But Calls for End to Violence",
        "Putin Urges Peace Talks to End Syria 'Massacre'",
    ]


def test_example_question_answers_from_the_leave_today_paragraph(seeds_index: Path, real_encoder) -> None:
    result = answer(open_searcher(seeds_index, real_encoder), "what did Putin say about Assad stepping down?")
    assert not result.abstained
    first = result.answer[0]
    source = result.sources[first.source - 1]
    assert source.text.startswith('"We do not think that Assad should leave today')
    assert first.text in source.text
    assert source.title == "Putin Urges Peace Talks to End Syria 'Massacre'"
    assert source.path == "seeds/001_9a796acf6cb56087.txt"
    assert source.paragraph == 8


def test_answers_run_the_model_on_the_question_only(seeds_index: Path, real_encoder) -> None:
    """Sentence vectors come from the index, so a warm answer costs one short model run."""
    seen: list[str] = []

    class Watching:
        def __getattr__(self, name: str):
            return getattr(real_encoder, name)

        def embed(self, texts):
            seen.extend(texts)
            return real_encoder.embed(texts)

    result = answer(open_searcher(seeds_index, Watching()), "Who is the Foreign Ministry spokesman?")
    assert "Alexander Lukashevich" in result.answer[0].text
    assert seen == ["Who is the Foreign Ministry spokesman?"]


def test_spokesman_question_names_lukashevich(seeds_index: Path, real_encoder) -> None:
    result = answer(open_searcher(seeds_index, real_encoder), "Who is the Foreign Ministry spokesman?")
    assert not result.abstained
    assert "Alexander Lukashevich" in result.answer[0].text


def test_unrelated_question_abstains(seeds_index: Path, real_encoder) -> None:
    result = answer(open_searcher(seeds_index, real_encoder), "What is a good recipe for banana bread?")
    assert result.abstained
    assert result.answer == []


def test_one_word_headline_is_the_title() -> None:
    cleaned = clean("Kenya\n\nKenya is a country in East Africa with a long coastline on the Indian Ocean.")
    assert cleaned.title == "Kenya"
    assert [p.text[:5] for p in cleaned.paragraphs] == ["Kenya"]


def test_answer_reads_well_citations_in_reading_order(seeds_index: Path, real_encoder) -> None:
    from rich.console import Console

    from bot.render import answer_text

    result = answer(open_searcher(seeds_index, real_encoder), "what did Putin say about Assad stepping down?")
    cited = [s.source for s in result.answer]
    assert cited[0] == 1 and cited == sorted(cited) and len(set(cited)) <= len(cited)
    assert [s.n for s in result.sources] == list(range(1, len(result.sources) + 1))
    console = Console(no_color=True, soft_wrap=True)  # as bot ask prints to a pipe
    with console.capture() as capture:
        console.print(answer_text(result))
    first_line = capture.get().splitlines()[0]
    assert first_line == first_line.rstrip()
    assert "Putin said. [1]" in first_line  # the full stop the passage lacks, then the citation
