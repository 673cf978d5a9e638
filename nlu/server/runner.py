"""Run the prediction graph node after node, without dask's scheduler.

Rasa runs its prediction graph (about a dozen nodes in a line: NLU components, then the
policies) through ``dask.get`` three times per message (parse, then one prediction per action).
For a graph this small dask's scheduling (ordering the tasks, its thread-pool bookkeeping) and
``minimal_graph_schema``, rebuilt on each run, cost about a fifth of a turn's CPU. This runner
computes the order once per set of targets and calls the same ``GraphNode`` objects with the same
inputs, so the results are the ones dask gives.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner


class SequentialGraphRunner(DaskGraphRunner):
    """A :class:`DaskGraphRunner` that executes the needed nodes in dependency order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (targets, input names) -> [(node name, [names of the values it needs, in order])]
        self._plans: dict[tuple[Any, ...], list[tuple[str, list[str]]]] = {}

    def _plan(self, targets: tuple[str, ...], given: frozenset) -> list[tuple[str, list[str]]]:
        plan = self._plans.get((targets, given))
        if plan is not None:
            return plan
        nodes = self._graph_schema.nodes
        order: list[tuple[str, list[str]]] = []
        done: set = set()
        visiting: set = set()

        def visit(name: str) -> None:
            # an input replaces the node of its name (the placeholders), as in dask
            if name in done or name in given or name not in nodes:
                return
            if name in visiting:
                raise GraphRunError(f"the graph has a cycle through '{name}'")
            visiting.add(name)
            needs = list(nodes[name].needs.values())
            for dependency in needs:
                visit(dependency)
            visiting.discard(name)
            done.add(name)
            order.append((name, needs))

        for target in targets:
            visit(target)
        self._plans[(targets, given)] = order
        return order

    def run(
        self,
        inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None,
    ) -> dict[str, Any]:
        """Runs the graph (same contract as :meth:`DaskGraphRunner.run`)."""
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        # as in dask: an input is handed to the nodes that need it as (input name, value)
        values: dict[str, Any] = {name: (name, value) for name, value in (inputs or {}).items()}
        for value in (inputs or {}).values():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of "
                    f"the input names passed to the `run` method are the same as node names "
                    f"in the graph schema."
                )
        try:
            for name, needs in self._plan(run_targets, frozenset(values)):
                node = self._instantiated_nodes[name]
                values[name] = node(*(values[dependency] for dependency in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(values[target] for target in run_targets)


def install_sequential_runner() -> None:
    """Make the message processor load its models with :class:`SequentialGraphRunner`."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
