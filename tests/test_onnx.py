"""The ONNX query path agrees with sentence-transformers and never imports torch."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, SEEDS, open_searcher

from index.embed.export import ensure_export, export_dir
from index.embed.model import model_info
from index.embed.reference import TorchEncoder
from index.search.hybrid import search


def varied_texts() -> list[str]:
    texts = []
    for path in sorted(SEEDS.glob("*.txt")):
        texts += [p for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]
    texts += [
        "Café naïve Zürich — 東京 and Москва: ünïcödé everywhere ✓",
        "x " * 600,
        "Putin " * 300,
        "?",
        "What did Putin say about Assad stepping down?",
    ]
    texts += [f"Question {i}: who said what about item number {i * 37}?" for i in range(200)]
    return texts


def test_onnx_matches_torch(real_encoder) -> None:
    texts = varied_texts()
    assert len(texts) >= 250
    torch_vectors = TorchEncoder(model_info()).embed(texts)
    onnx_vectors = real_encoder.embed(texts)
    cosines = (torch_vectors * onnx_vectors).sum(axis=1)
    assert cosines.min() >= 0.999


def test_sentence_vectors_match_torch(real_encoder) -> None:
    """Sentence vectors pooled from a passage's own pass agree across backends, spans in order."""
    from index.text.sentences import sentences
    from index.text.split import embed_spans, embed_text

    paragraphs = [p for p in varied_texts() if len(sentences(p)) > 1][:20]
    texts = [embed_text("Putin Urges Peace Talks", p) for p in paragraphs]
    spans = [embed_spans("Putin Urges Peace Talks", p, sentences(p)) for p in paragraphs]
    torch_vectors, torch_sentences = TorchEncoder(model_info()).embed_passages(texts, spans)
    onnx_vectors, onnx_sentences = real_encoder.embed_passages(texts, spans)
    assert len(paragraphs) >= 5 and len(onnx_sentences) == sum(len(s) for s in spans)
    assert (torch_vectors * onnx_vectors).sum(axis=1).min() >= 0.999
    assert (torch_sentences * onnx_sentences).sum(axis=1).min() >= 0.999
    assert (onnx_vectors * real_encoder.embed(texts)).sum(axis=1).min() >= 0.9999


def test_rankings_identical_on_the_seeds(seeds_index: Path, real_encoder) -> None:
    torch_encoder = TorchEncoder(model_info())
    onnx, torch = open_searcher(seeds_index, real_encoder), open_searcher(seeds_index, torch_encoder)
    for question in [
        "what did Putin say about Assad stepping down?",
        "Who is the Foreign Ministry spokesman?",
        "weapons to the opposition",
    ]:
        onnx_ids = [h.id for h in search(onnx, question, k=10).hits]
        torch_ids = [h.id for h in search(torch, question, k=10).hits]
        assert onnx_ids == torch_ids


def test_query_path_does_not_import_torch(seeds_index: Path, session_cache: Path) -> None:
    code = (
        "import sys\n"
        "from bot.cli import app\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(app, ['ask', 'Who is the Foreign Ministry spokesman?'])\n"
        "assert result.exit_code == 0, result.output\n"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers', 'bm25s', 'scipy', 'ray') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    env = {**os.environ, "BOT_INDEX_DIR": str(seeds_index), "BOT_CACHE_DIR": str(session_cache)}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_process_that_never_embeds_exits_after_the_session_is_built(session_cache: Path, real_encoder) -> None:
    """An indexer whose passages all come from the vector cache never runs the model; ending
    while onnxruntime was still building its session aborted in C++ (exit 134) now and then.
    atexit runs after the interpreter has waited for its non-daemon threads: the load is over."""
    code = (
        "import atexit\n"
        "from index.embed.load import load_encoder\n"
        "encoder = load_encoder()\n"
        "atexit.register(lambda: print('loading' if encoder._loader.is_alive() else 'loaded'))\n"
    )
    env = {**os.environ, "BOT_CACHE_DIR": str(session_cache)}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "loaded"


def test_export_is_rebuilt_when_the_model_changes(tmp_path: Path, real_encoder) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(model_info().path, copy)
    info = model_info(copy)
    assert info.fingerprint == model_info().fingerprint  # a copy of the same files is the same model
    config = copy / "config.json"
    config.write_text(config.read_text() + "\n")
    changed = model_info(copy)
    assert changed.fingerprint != info.fingerprint
    first, _ = ensure_export(info)
    second, properties = ensure_export(changed)
    assert second == export_dir(changed) != first and (second / "model.onnx").exists()
    assert properties.dim == 384 and properties.pooling == "mean" and properties.normalize
    assert not list(second.glob("*.tmp*"))


def test_a_model_saved_by_the_installed_sentence_transformers_indexes(tmp_path: Path, real_encoder) -> None:
    """Folders written by sentence-transformers 6 name the vector size `embedding_dimension`."""
    import json

    from sentence_transformers import SentenceTransformer
    from typer.testing import CliRunner

    from bot.cli import app

    saved = tmp_path / "all-MiniLM-L6-v2"  # the bundled model's name, but not the bundled model
    SentenceTransformer(str(model_info().path), device="cpu").save(str(saved))
    assert "word_embedding_dimension" not in json.loads((saved / "1_Pooling" / "config.json").read_text())
    corpus = tmp_path / "news"
    shutil.copytree(SEEDS, corpus)
    runner = CliRunner()
    result = runner.invoke(app, ["index", str(corpus), "--model", str(saved)])
    assert result.exit_code == 0, result.output
    asked = runner.invoke(app, ["ask", "Who is the Foreign Ministry spokesman?", "--json"])
    assert asked.exit_code == 0 and "Lukashevich" in asked.output
    (saved / "config.json").write_text((saved / "config.json").read_text() + " ")
    changed = runner.invoke(app, ["ask", "Who is the Foreign Ministry spokesman?"])
    assert changed.exit_code == 1 and "has changed since the index was built" in changed.output


def test_a_model_without_token_types_embeds_as_sentence_transformers_does(tmp_path: Path, real_encoder) -> None:
    """MPNet (all-mpnet-base-v2's architecture) takes no token_type_ids: the export has no such input."""
    import numpy as np
    from sentence_transformers import SentenceTransformer, models
    from transformers import AutoTokenizer, MPNetConfig, MPNetModel

    from index.embed.load import load_encoder

    hub = tmp_path / "tiny-mpnet"
    config = MPNetConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=130,
    )
    MPNetModel(config).save_pretrained(hub)
    AutoTokenizer.from_pretrained(str(model_info().path)).save_pretrained(hub)
    transformer = models.Transformer(str(hub), max_seq_length=128)
    saved = tmp_path / "saved"
    pooling = models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu").save(str(saved))
    texts = ["Putin said talks must go on.", "A short one."]
    expected = SentenceTransformer(str(saved), device="cpu").encode(texts, normalize_embeddings=True)
    encoder = load_encoder(model_info(saved))
    assert np.allclose(encoder.embed(texts), expected, atol=1e-4)
