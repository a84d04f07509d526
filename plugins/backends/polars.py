"""The default backend: the core's runtime loop over polars frames.

Derived fields are one lazy polars query per derive stratum
(:mod:`clientwise.runtime.derive`); decisions go to the chosen engine (``--engine``),
plugin code runs under the fault guard.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from clientwise.compiler.program import DeriveStratum
from clientwise.expr import EvalContext
from clientwise.host.contracts import Backend, BackendJob, Decided
from clientwise.host.spec import hookimpl
from clientwise.runtime.derive import derive_stratum
from clientwise.runtime.loop import Loop


class PolarsBackend(Backend):
    name: ClassVar[str] = "polars"
    description: ClassVar[str] = "polars in memory, with the chosen decision engine (default)."
    uses_engine: ClassVar[bool] = True

    def run(self, job: BackendJob) -> Decided:
        context = job.context
        ctx = EvalContext(as_of=context.as_of, functions=context.functions, key=context.key, keyed=True)

        def derive(frame: pl.DataFrame, stratum: DeriveStratum) -> pl.DataFrame:
            return derive_stratum(frame, stratum, job.related, ctx)

        return Loop(job.program, job.engine, context, job.guard, derive).run(job.customers)


@hookimpl
def clientwise_backends() -> list[PolarsBackend]:
    return [PolarsBackend()]
