"""Evaluation: metrics on hand-made cases, scripts/eval.py on a SQuAD slice, `bot eval` end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from typer.testing import CliRunner

from bot.answer import Answer, AnswerSentence, Source
from bot.cli import app
from bot.evaluate import (
    BadQuestions,
    Case,
    Outcome,
    abstain_curve,
    abstain_rates,
    contains_gold,
    first_rank,
    hit_at,
    judge,
    load_cases,
    load_squad,
    mrr,
    path_matches,
    summarise,
    table,
    write_passages,
)

SEEDS_QUESTIONS = REPO / "tests" / "data" / "seeds_questions.jsonl"


def source(n: int, file: str, text: str) -> Source:
    return Source(n, "Title", file, 1, 0.0, text, file, None, None)


def test_first_rank_hit_at_and_mrr() -> None:
    assert first_rank([False, False, True, True]) == 3
    assert first_rank([]) is None
    ranks = [1, 3, None, 12]
    assert hit_at(ranks, 1) == 0.25
    assert hit_at(ranks, 5) == 0.5
    assert mrr(ranks) == pytest.approx((1 + 1 / 3) / 4)  # rank 12 is past MRR@10
    assert hit_at([], 1) == 0.0 and mrr([]) == 0.0


def test_contains_gold_normalises_and_ignores_case() -> None:
    assert contains_gold("Profits rose to ＄1.13bn in the\n\nquarter", ["$1.13BN in the quarter"])
    assert contains_gold("Café Müller reopened", ["café müller"])
    assert not contains_gold("Mr Spindler said", ["Gerry Spindler"])
    assert not contains_gold("anything", ["", "  "])


def test_path_matches_at_folder_boundaries_only() -> None:
    assert path_matches("/data/bbc/business/001.txt", "business/001.txt")
    assert path_matches("business/001.txt", "business/001.txt")
    assert not path_matches("/data/bbc/business/1001.txt", "001.txt")
    assert not path_matches("/data/bbc/tech/001.txt", "business/001.txt")


def test_judge_needs_the_right_file_and_a_gold_string() -> None:
    case = Case("Who runs UK Coal?", "business/042.txt", ("Gerry Spindler",))
    sources = [
        source(1, "/c/business/041.txt", "Gerry Spindler is mentioned elsewhere."),
        source(2, "/c/business/042.txt", "UK Coal made a loss."),
        source(3, "/c/business/042.txt", "Chief executive Gerry Spindler said so."),
    ]
    said = Answer(
        case.question,
        False,
        [AnswerSentence("Chief executive Gerry Spindler said so.", 3)],
        sources,
    )
    assert judge(case, said) == Outcome(rank=3, answer_hit=True, abstained=False, answerable=True, sentences=1)
    silent = Answer(case.question, True, [], sources)
    assert judge(case, silent) == Outcome(3, False, True, True, 0)


def test_summarise_scores_answerable_cases_and_abstains_over_all() -> None:
    outcomes = [
        Outcome(1, True, False, True, 1),
        Outcome(4, False, False, True, 2),
        Outcome(None, False, True, True, 0),
        Outcome(None, False, True, False, 0),
        Outcome(None, False, False, False, 1),
    ]
    scores = summarise(outcomes)
    assert scores.as_json() == {
        "questions": 5,
        "hit@1": pytest.approx(1 / 3),
        "hit@5": pytest.approx(2 / 3),
        "mrr@10": pytest.approx((1 + 1 / 4) / 3),
        "answer_hit": pytest.approx(1 / 3),
        "abstained": pytest.approx(2 / 5),
    }
    assert abstain_rates(outcomes) == (0.5, pytest.approx(1 / 3))
    lines = table({"run": scores}).splitlines()
    assert lines[2] == "| run | 5 | 0.333 | 0.667 | 0.417 | 0.333 | 0.400 |"


def test_abstain_curve_replays_other_thresholds() -> None:
    outcomes = [
        Outcome(None, False, False, False, 1, best_dense=0.1),
        Outcome(None, False, False, False, 1, best_dense=0.4),
        Outcome(1, True, False, True, 1, best_dense=0.3),
        Outcome(1, True, False, True, 1, best_dense=0.6),
    ]
    assert abstain_curve(outcomes, [0.05, 0.35, 0.7]) == [
        (0.05, 0.0, 0.0),
        (0.35, 0.5, 0.5),
        (0.7, 1.0, 1.0),
    ]


def test_squad_folders_become_one_titled_file_per_passage(tmp_path: Path) -> None:
    folder = tmp_path / "squad"
    folder.mkdir()
    passages = [{"id": f"A#{n}", "title": "Kenya", "text": f"Passage {n}."} for n in range(4)]
    questions = [{"id": str(n), "question": f"Q{n}?", "answers": ["x"], "passage_id": f"A#{n % 4}"} for n in range(8)]
    questions[3] |= {"answers": [], "is_impossible": True}
    for name, rows in (("passages", passages), ("questions", questions)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    everything, cases = load_squad(folder)
    assert len(everything) == 4 and len(cases) == 8
    assert cases[3] == Case("Q3?", "00003.md", (), answerable=False)
    some, two = load_squad(folder, limit=2)
    assert [c.question for c in two] == ["Q0?", "Q4?"]
    assert [p["id"] for p in some] == ["A#0"] and two[1].doc == "00000.md"
    write_passages(everything, tmp_path / "titled")
    assert (tmp_path / "titled" / "00002.md").read_text() == "# Kenya\n\nPassage 2."
    write_passages(everything, tmp_path / "untitled", titled=False)
    assert (tmp_path / "untitled" / "00002.md").read_text() == "Passage 2."


def test_load_cases_reports_bad_lines(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"question": "Q?", "doc": "a.txt", "gold": ["x"]}\n\n{"question": "Off topic?", "gold": []}\n')
    assert load_cases(good) == [Case("Q?", "a.txt", ("x",)), Case("Off topic?", "", (), answerable=False)]
    for text, message in (
        ("not json\n", "bad.jsonl:1 is not valid JSON"),
        ('{"gold": ["x"]}\n', 'needs a "question"'),
        ('{"question": "Q?", "gold": ["x"]}\n', 'needs a "doc"'),
        ('{"question": "Q?", "doc": "a.txt", "gold": ["", " "]}\n', 'needs "gold"'),
        ("", "holds no questions"),
    ):
        bad = tmp_path / "bad.jsonl"
        bad.write_text(text)
        with pytest.raises(BadQuestions, match=message):
            load_cases(bad)
    with pytest.raises(BadQuestions, match="No such file"):
        load_cases(tmp_path / "missing.jsonl")


def test_eval_script_prints_the_whole_table(tmp_path: Path, session_cache: Path, real_encoder) -> None:
    """The seeds and a small SQuAD-style set shipped with the tests; the ONNX export is the session's."""
    real_encoder.embed(["export the model now, once, for the script to reuse"])
    out = tmp_path / "out.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "eval.py"),
            "--sets",
            "seeds,squad",
            "--squad",
            str(REPO / "tests" / "data" / "squad_sample"),
            "--ablate",
            "ranker",
            "--out",
            str(out),
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    table = json.loads(out.read_text())["table"]
    assert list(table) == ["full", "without ranker"]
    assert set(table["full"]) == {"seeds", "squad"}
    assert table["full"]["seeds"]["questions"] == 16 and table["full"]["seeds"]["top_3"] >= 0.8
    assert table["full"]["squad"]["first_passage"] >= 0.5
    assert done.stdout.splitlines()[2].startswith("| variant | set | questions |")
    assert list((session_cache / "eval" / "vectors").glob("*/*.keys.npy"))


def test_bot_eval_json_on_the_seeds(tmp_path: Path, seeds_index: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["eval", str(SEEDS_QUESTIONS), "--json", "--index-dir", str(seeds_index)])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert list(scores) == ["questions", "hit@1", "hit@5", "mrr@10", "answer_hit", "abstained"]
    assert scores["questions"] == 8
    assert all(0.0 <= scores[key] <= 1.0 for key in list(scores)[1:])

    spokesman = tmp_path / "spokesman.jsonl"
    spokesman.write_text(SEEDS_QUESTIONS.read_text().splitlines()[0] + "\n")
    answered = runner.invoke(app, ["eval", str(spokesman), "--json", "-k", "5", "--index-dir", str(seeds_index)])
    assert json.loads(answered.stdout) == {
        "questions": 1,
        "hit@1": 1.0,
        "hit@5": 1.0,
        "mrr@10": 1.0,
        "answer_hit": 1.0,
        "abstained": 0.0,
    }

    table_run = runner.invoke(app, ["eval", str(SEEDS_QUESTIONS), "--index-dir", str(seeds_index)])
    assert table_run.exit_code == 0
    assert table_run.stdout.splitlines()[2].startswith("| seeds_questions.jsonl | 8 |")


def test_bot_eval_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "Q?", "doc": "a.txt", "gold": ["x"]}\n')
    no_index = runner.invoke(app, ["eval", str(questions)])
    assert no_index.exit_code == 1
    assert no_index.output == f"Error: No index at {tmp_path / 'index'}. Build one with: bot index PATH\n"
    missing = runner.invoke(app, ["eval", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 1
    assert missing.output == f"Error: No such file: {tmp_path / 'none.jsonl'}\n"
