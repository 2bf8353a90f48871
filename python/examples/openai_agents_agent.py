from agents import Agent, FunctionTool, Model, Runner

from palisade import Guard
from palisade.adapters.openai_agents import guard_agent_model, guard_agent_tool, palisade_output_guardrail


async def answer(guard: Guard, model: Model, tools: list[FunctionTool], chat_id: str, user: str, text: str) -> object:
    session = guard.session(chat_id, user)
    agent = Agent(
        name="support",
        model=guard_agent_model(session, model),  # requests decided, answers redacted
        tools=[guard_agent_tool(guard, t) for t in tools],  # approvals become run interruptions
        output_guardrails=[palisade_output_guardrail(guard)],
    )
    result = await Runner.run(agent, text, context={"palisade": session})
    return result.final_output
