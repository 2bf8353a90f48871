from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.memory import InMemorySaver

from palisade import Guard
from palisade.adapters.langchain import PalisadeMiddleware


def build(model: BaseChatModel, tools: list, guard: Guard):  # type: ignore[no-untyped-def]
    return create_agent(model, tools=tools, middleware=[PalisadeMiddleware(guard)], checkpointer=InMemorySaver())


# agent.invoke({"messages": [...]}, {"configurable": {"thread_id": chat_id}})  -- the thread is the session
# an approval interrupts the graph; resume with Command(resume={"approved": True, "by": "sue"})
