from pydantic_ai import Agent, DeferredToolRequests
from pydantic_ai.models import Model

from palisade import Guard
from palisade.adapters.pydantic_ai import PalisadeCapability


def build(guard: Guard, model: Model) -> Agent[None, str | DeferredToolRequests]:
    # The run's conversation_id is the session; an approval ends the run with DeferredToolRequests.
    return Agent(model, capabilities=[PalisadeCapability(guard)], output_type=[str, DeferredToolRequests])
