"""The learned ranker: logistic models over scoring.features, their weights shipped as JSON.

Three models share one file (ranker.json, written by scripts/train_ranker.py): which passage
answers, which sentence of the best passages states the answer, and whether the best answer is
good enough to give at all (abstention). Linear, so that scoring a candidate costs a dot product
and the query path imports nothing new; trained with scikit-learn, which only the training
script needs. A model file that is missing or does not fit the features raises at load.
"""

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.scoring.features import PASSAGE, SENTENCE

if TYPE_CHECKING:
    import numpy as np

WEIGHTS = Path(__file__).with_name("ranker.json")
# The per-question evidence the abstention model looks at (features.evidence computes it).
EVIDENCE = tuple(
    "passage passage_margin sentence dense rare coverage typed asks_type terms missing_rarest rare_in_top"
    " year_missing".split()
)


@dataclass(frozen=True)
class LinearModel:
    """p = sigmoid(w · (x - mean) / scale + bias), over the named features."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float = 0.5

    def scores(self, rows: "np.ndarray") -> "np.ndarray":
        """The linear scores (log-odds) of each row; rank by these."""
        import numpy as np

        if rows.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        standard = (rows - np.asarray(self.mean, dtype=np.float32)) / np.asarray(self.scale, dtype=np.float32)
        return standard @ np.asarray(self.weights, dtype=np.float32) + np.float32(self.bias)

    def probabilities(self, rows: "np.ndarray") -> "np.ndarray":
        import numpy as np

        return 1.0 / (1.0 + np.exp(-self.scores(rows)))

    @classmethod
    def from_json(cls, raw: dict, names: tuple[str, ...]) -> "LinearModel":
        model = cls(
            tuple(raw["features"]),
            tuple(map(float, raw["mean"])),
            tuple(map(float, raw["scale"])),
            tuple(map(float, raw["weights"])),
            float(raw["bias"]),
            float(raw.get("threshold", 0.5)),
        )
        if model.features != names or not (len(model.mean) == len(model.scale) == len(model.weights) == len(names)):
            raise ValueError(
                f"{WEIGHTS.name}: the model's features are not the code's; retrain with scripts/train_ranker.py"
            )
        return model

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "bias": self.bias,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class Ranker:
    passage: LinearModel
    sentence: LinearModel
    abstain: LinearModel


@functools.cache
def ranker(path: Path = WEIGHTS) -> Ranker:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Ranker(
        LinearModel.from_json(raw["passage"], PASSAGE),
        LinearModel.from_json(raw["sentence"], SENTENCE),
        LinearModel.from_json(raw["abstain"], EVIDENCE),
    )
