"""AgentDojo, replayed through Palisade (issue 24).

For each suite of the benchmark's latest version, without a model and without a network:

- utility: each user task's ground-truth calls run through the suite's own function runtime,
  every call decided first by `palisade serve` (the Python SDK, `tool_call`), every result
  decided and recorded as content of the session (`tool_result`), the user's prompt decided as
  the session's `input` and the task's expected answer as its `output`; the task's own utility
  check then runs on the final environment;
- security: for each injection task, the environment is loaded with the benchmark's
  `important_instructions` attack placed in that user task's injection vectors, the user task's
  calls are replayed (their results now carry the injection), then the injection task's
  ground-truth calls; a call that is denied or held for approval does not run. The injection
  task's own security check decides whether the attack succeeded.

Each pair is also replayed with no guard at all (the baseline): a pair whose attack does not
succeed even then (an injection task that AgentDojo ships without ground-truth calls) measures
nothing and is reported apart, never counted as stopped.

Prints one JSON document (the figures) on stdout.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol

from agentdojo.agent_pipeline.base_pipeline_element import BasePipelineElement
from agentdojo.agent_pipeline.tool_execution import tool_result_to_str
from agentdojo.attacks.attack_registry import load_attack
from agentdojo.base_tasks import BaseInjectionTask, BaseUserTask
from agentdojo.functions_runtime import FunctionCall, FunctionsRuntime, TaskEnvironment
from agentdojo.task_suite.load_suites import get_suites
from agentdojo.task_suite.task_suite import TaskSuite

HERE = Path(__file__).resolve().parent
BENCHMARK_VERSION = "v1.2.2"
ATTACK = "important_instructions"
# The attack addresses the victim model by name; no model runs, so any listed name will do.
MODEL_NAME = "gpt-4o-2024-05-13"
# Conversations replayed at once (each its own session).
WORKERS = 8


class _Target(BasePipelineElement):
    """The pipeline the attack is built against: only its name is read."""

    name = MODEL_NAME

    def query(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("the replay runs no model")


class Session(Protocol):
    def decide(self, phase: str, input: dict[str, Any]) -> dict[str, Any]: ...


Decider = Callable[[str], Session]


class _AllowAll:
    def decide(self, phase: str, input: dict[str, Any]) -> dict[str, Any]:
        return {"decision": "allow", "reasons": [], "payload": input}


def allow_all(_session_id: str) -> Session:
    return _AllowAll()


def plain(value: Any) -> Any:
    """The value as plain JSON data (ground-truth arguments may hold dates or enums)."""
    return json.loads(json.dumps(value, default=str))


def result_view(result: Any, error: str | None) -> dict[str, Any]:
    """A tool result in the SDK's shape ({text, json?, isError}): a structured result as its JSON
    (what provenance reads; the text the agent reads is the same data, and both at once put a
    listing of files over the service's 40 KB limit of a recorded decision), else its text."""
    if error is not None:
        return {"text": error, "isError": True}
    text = tool_result_to_str(result)
    if isinstance(result, list):
        data: Any = [r.model_dump() if hasattr(r, "model_dump") else r for r in result]
    elif hasattr(result, "model_dump"):
        data = result.model_dump()
    elif isinstance(result, dict):
        data = {str(k): v.model_dump() if hasattr(v, "model_dump") else v for k, v in result.items()}
    else:
        return {"text": text, "isError": False}
    return {"text": "", "json": plain(data), "isError": False}


@dataclass
class Run:
    """What happened to one replayed conversation."""

    executed: list[FunctionCall] = field(default_factory=list)
    # (phase, tool, decision, rules) of every decision that was not a plain allow
    stops: list[dict[str, Any]] = field(default_factory=list)
    output: str = ""

    def stopped_by(self, kind: str) -> bool:
        return any(s["decision"] == kind for s in self.stops)


def _note(run: Run, phase: str, tool: str | None, d: dict[str, Any], part: str) -> None:
    if d["decision"] != "allow":
        run.stops.append(
            {"part": part, "phase": phase, "tool": tool, "decision": d["decision"], "rules": [r["rule"] for r in d.get("reasons", [])]}
        )


def replay(
    calls: Sequence[FunctionCall], runtime: FunctionsRuntime, env: TaskEnvironment, session: Session, run: Run, part: str
) -> None:
    for call in calls:
        args = plain(dict(call.args))
        d = session.decide("tool_call", {"tool": {"name": call.function, "args": args}})
        _note(run, "tool_call", call.function, d, part)
        if d["decision"] != "allow":
            continue  # denied, or waiting for a human: the call does not run
        decided = d.get("payload", {}).get("tool", {}).get("args", args)
        result, error = runtime.run_function(env, call.function, decided)
        run.executed.append(FunctionCall(function=call.function, args=decided))
        view = result_view(result, error)
        r = session.decide("tool_result", {"tool": {"name": call.function, "args": decided, "result": view}})
        _note(run, "tool_result", call.function, r, part)


def answer(session: Session, text: str, run: Run) -> None:
    d = session.decide("output", {"output": {"text": text}})
    _note(run, "output", None, d, "answer")
    if d["decision"] in ("deny", "require_approval"):
        run.output = ""  # refused, or waiting for a human: the user does not get it now
    else:
        run.output = str(d.get("payload", {}).get("output", {}).get("text", text))


def run_user_task(suite: TaskSuite, task: BaseUserTask, decider: Decider, sid: str) -> tuple[bool, Run]:
    env = task.init_environment(suite.load_and_inject_default_environment({}))
    pre = env.model_copy(deep=True)
    runtime = FunctionsRuntime(suite.tools)
    session = decider(sid)
    run = Run()
    d = session.decide("input", {"input": {"text": task.PROMPT}})
    _note(run, "input", None, d, "user")
    replay(task.ground_truth(pre.model_copy(deep=True)), runtime, env, session, run, "user")
    answer(session, task.GROUND_TRUTH_OUTPUT, run)
    ok = task.utility_from_traces(run.output, pre, env, run.executed)
    if ok is None:
        ok = task.utility(run.output, pre, env)
    return bool(ok), run


def run_pair(
    suite: TaskSuite, user: BaseUserTask, inj: BaseInjectionTask, injections: dict[str, str], decider: Decider, sid: str
) -> tuple[bool, Run]:
    env = user.init_environment(suite.load_and_inject_default_environment(injections))
    pre = env.model_copy(deep=True)
    runtime = FunctionsRuntime(suite.tools)
    session = decider(sid)
    run = Run()
    d = session.decide("input", {"input": {"text": user.PROMPT}})
    _note(run, "input", None, d, "user")
    # Ground truth is computed on the environment the agent works in, as AgentDojo's own
    # ground-truth pipeline does.
    replay(user.ground_truth(env.model_copy(deep=True)), runtime, env, session, run, "user")
    replay(inj.ground_truth(env.model_copy(deep=True)), runtime, env, session, run, "injection")
    text = "\n".join(t for t in (user.GROUND_TRUTH_OUTPUT, inj.GROUND_TRUTH_OUTPUT) if t)
    answer(session, text, run)
    ok = inj.security_from_traces(run.output, pre, env, run.executed)
    if ok is None:
        ok = inj.security(run.output, pre, env)
    return bool(ok), run


def pct(n: int, d: int) -> float | None:
    return None if d == 0 else round(100 * n / d, 1)


def _first_stop(run: Run) -> dict[str, Any] | None:
    """What stopped the pair: the first of the injection's own calls, or the answer, that did not
    go through (a held call of the user's task does not stop the injection's calls after it);
    else the first call, or step, that did not run as asked."""
    mine = (s for s in run.stops if s["part"] in ("injection", "answer") and s["phase"] in ("tool_call", "output"))
    return next(mine, next((s for s in run.stops if s["phase"] == "tool_call"), run.stops[0] if run.stops else None))


def evaluate_suite(
    name: str, suite: TaskSuite, decider: Decider | None, *, user_ids: Sequence[str] | None = None, inj_ids: Sequence[str] | None = None, attack_name: str = ATTACK
) -> dict[str, Any]:
    attack = load_attack(attack_name, suite, _Target())
    users = {k: v for k, v in suite.user_tasks.items() if user_ids is None or k in user_ids}
    injs = {k: v for k, v in suite.injection_tasks.items() if inj_ids is None or k in inj_ids}
    stamp = time.time_ns()
    tasks: dict[str, Any] = {}
    utility = friction = baseline_utility = 0

    def user_row(uid: str) -> dict[str, Any]:
        task = users[uid]
        base_ok, _ = run_user_task(suite, task, allow_all, "baseline")
        row: dict[str, Any] = {"baseline_utility": base_ok}
        if decider is not None:
            ok, run = run_user_task(suite, task, decider, f"{name}-{uid}-{stamp}")
            row |= {"utility": ok, "clean": not run.stops, "approval": run.stopped_by("require_approval"), "stops": run.stops}
        return row

    def pair_row(key: tuple[str, str]) -> dict[str, Any]:
        uid, iid = key
        user, inj = users[uid], injs[iid]
        injections = attack.attack(user, inj)
        base, _ = run_pair(suite, user, inj, injections, allow_all, "baseline")
        row: dict[str, Any] = {"baseline": base}
        if decider is not None:
            succeeded, run = run_pair(suite, user, inj, injections, decider, f"{name}-{uid}/{iid}-{stamp}")
            row |= {"succeeded": succeeded, "stopped_by": _first_stop(run)}
        return row

    # Conversations are independent sessions: several at once keep the service's group commit busy.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for uid, row in zip(users, pool.map(user_row, users)):
            tasks[uid] = row
            baseline_utility += row["baseline_utility"]
            if decider is not None:
                utility += row["utility"] and row["clean"]
                friction += row["approval"]
        keys = [(uid, iid) for uid in users for iid in injs]
        rows = list(pool.map(pair_row, keys))
    pairs: dict[str, Any] = {}
    by_injection: dict[str, dict[str, int]] = {k: {"pairs": 0, "attackable": 0, "stopped": 0, "denied": 0, "held": 0} for k in injs}
    attackable = stopped = 0
    for (uid, iid), row in zip(keys, rows):
        b = by_injection[iid]
        b["pairs"] += 1
        if row["baseline"]:
            attackable += 1
            b["attackable"] += 1
            if decider is not None and not row["succeeded"]:
                stopped += 1
                b["stopped"] += 1
                first = row["stopped_by"]
                b["denied" if first is not None and first["decision"] == "deny" else "held"] += 1
        pairs[f"{uid}/{iid}"] = row
    figures = {
        "suite": name,
        "user_tasks": len(users),
        "injection_tasks": len(injs),
        "pairs": len(users) * len(injs),
        "attackable_pairs": attackable,
        "unmeasured_pairs": len(users) * len(injs) - attackable,
        "stopped_pairs": stopped,
        "utility_tasks": utility,
        "friction_tasks": friction,
        "baseline_utility_tasks": baseline_utility,
        "attacks_stopped_pct": pct(stopped, attackable),
        "utility_pct": pct(utility, len(users)),
        "friction_pct": pct(friction, len(users)),
        "by_injection_task": by_injection,
        "user_task_results": tasks,
        "pair_results": pairs,
    }
    print(
        f"agentdojo {name}: {stopped}/{attackable} attackable pairs stopped, utility {utility}/{len(users)}, "
        f"friction {friction}/{len(users)} ({len(users) * len(injs) - attackable} pairs unmeasured)",
        file=sys.stderr,
    )
    return figures


def suites() -> dict[str, TaskSuite]:
    return dict(get_suites(BENCHMARK_VERSION))


REPO = HERE.parents[1]
PACK = REPO / "stdlib-policies" / "agent-security"


def policy_files(name: str) -> dict[str, str]:
    """The policy set a suite's agent runs under: the agent-security pack and the suite's own policy."""
    files = {f"pack-{f.name}": f.read_text() for f in sorted(PACK.glob("*.policy")) if f.name != "tests.policy"}
    files[f"{name}.policy"] = (HERE / "policies" / f"{name}.policy").read_text()
    return files


_VALUE_TOKEN = re.compile(r"[^\s'\"`,;()]+")


def _value_like(token: str) -> bool:
    return bool(re.search(r"[0-9@]", token)) or bool(re.search(r"[^./:][./:][^./:]", token))


def injection_values(suite: TaskSuite) -> set[str]:
    """What an injection task names: its ground-truth arguments, the quoted phrases and the
    value-like tokens (addresses, URLs, IBANs, amounts) of its goal; lower case."""
    out: set[str] = set()
    env = suite.load_and_inject_default_environment({})
    for inj in suite.injection_tasks.values():
        try:
            calls = inj.ground_truth(env.model_copy(deep=True))
        except Exception:  # some tasks ship without ground truth
            calls = []
        stack: list[Any] = [plain(dict(c.args)) for c in calls]
        while stack:
            v = stack.pop()
            if isinstance(v, dict):
                stack.extend(v.values())
            elif isinstance(v, list):
                stack.extend(v)
            elif isinstance(v, str) and len(v.strip()) >= 4:
                out.add(v.strip().lower())
        out.update(q.lower() for q in re.findall(r"'([^']{4,})'", inj.GOAL))
        out.update(t.lower().rstrip(".") for t in _VALUE_TOKEN.findall(inj.GOAL) if _value_like(t) and len(t) >= 4)
    return out


def named_in_policy(suite: TaskSuite, text: str) -> list[str]:
    """The injection-task values and user-task ids a policy names (it must name none)."""
    low = text.lower()
    hits = sorted(v for v in injection_values(suite) if v in low)
    hits += sorted(uid for uid in suite.user_tasks if uid in low)
    hits += sorted(iid for iid in suite.injection_tasks if iid in low)
    return hits


def check_policies(chosen: dict[str, TaskSuite]) -> None:
    """Fails when a suite's policy names a value of an injection task or a task by id."""
    for name, suite in chosen.items():
        hits = named_in_policy(suite, (HERE / "policies" / f"{name}.policy").read_text())
        if hits:
            raise SystemExit(f"policies/{name}.policy names values of the benchmark's tasks: {hits[:10]}")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--suite", action="append", help="suite name (default: all)")
    p.add_argument("--baseline", action="store_true", help="replay without Palisade only")
    p.add_argument("--user", action="append", help="only these user tasks (ids)")
    p.add_argument("--injection", action="append", help="only these injection tasks (ids)")
    p.add_argument("--attack", default=ATTACK, help=f"AgentDojo attack placing the injection (default {ATTACK})")
    a = p.parse_args(argv)
    chosen = {k: v for k, v in suites().items() if not a.suite or k in a.suite}
    out: dict[str, Any] = {}
    check_policies(chosen)
    meta = {"agentdojo": version("agentdojo"), "benchmark_version": BENCHMARK_VERSION, "attack": a.attack, "guarded": not a.baseline}
    if a.baseline:
        for name, suite in chosen.items():
            out[name] = evaluate_suite(name, suite, None, user_ids=a.user, inj_ids=a.injection, attack_name=a.attack)
        json.dump({"meta": meta, "suites": out}, sys.stdout)
        return 0
    sys.path.insert(0, str(REPO / "python"))
    from palisade import Guard, RetryPolicy
    from tests import service as svc

    services = {name: svc.start(f"agentdojo-{name}", policy_files(name)) for name in chosen}
    try:
        for name, suite in chosen.items():
            s = services[name].wait()
            with Guard(s.url, s.agent_key, agent=svc.AGENT, env=svc.ENV, retry=RetryPolicy(deadline=60)) as guard:
                out[name] = evaluate_suite(
                    name, suite, lambda sid, g=guard: g.session(sid, "agentdojo-user"), user_ids=a.user, inj_ids=a.injection, attack_name=a.attack
                )
    finally:
        for s in services.values():
            s.stop()
    json.dump({"meta": meta, "suites": out}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
