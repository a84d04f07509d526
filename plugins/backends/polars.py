"""The default backend: the core's runtime loop over polars frames.

Derived fields are one lazy polars query per derive stratum
(:mod:`clientwise.runtime.derive`), or for a few customers computed in plain Python
(:mod:`clientwise.runtime.rows`: planning the queries would cost more than the work);
decisions go to the chosen engine (``--engine``), plugin code runs under the fault guard.
"""

from __future__ import annotations

from typing import ClassVar

from clientwise.expr import EvalContext
from clientwise.host.contracts import Backend, BackendJob, Decided
from clientwise.host.spec import hookimpl
from clientwise.runtime.derive import derive_stratum
from clientwise.runtime.loop import Deriver, Loop
from clientwise.runtime.rows import RowWise, derive_stratum_rows


class PolarsBackend(Backend):
    name: ClassVar[str] = "polars"
    description: ClassVar[str] = "polars in memory, with the chosen decision engine (default)."
    uses_engine: ClassVar[bool] = True

    #: which inputs are small enough to derive in plain Python; a class default too, so
    #: that a subclass that does not call ``__init__`` still works
    row_wise: RowWise = RowWise()

    def __init__(self, row_wise: RowWise | None = None):
        self.row_wise = row_wise or RowWise()

    def run(self, job: BackendJob) -> Decided:
        context = job.context
        ctx = EvalContext(as_of=context.as_of, functions=context.functions, key=context.key, keyed=True,
                          compiled=job.program.expressions)
        return Loop(job.program, job.engine, context, job.guard, self._deriver(job, ctx),
                    row_wise=self.row_wise.applies(job.customers, job.related)).run(job.customers)

    def _deriver(self, job: BackendJob, ctx: EvalContext) -> Deriver:
        if self.row_wise.applies(job.customers, job.related):
            related_rows = {name: frame.to_dicts() for name, frame in job.related.items()}
            return lambda frame, stratum: derive_stratum_rows(frame, stratum, job.related, related_rows, ctx)
        return lambda frame, stratum: derive_stratum(frame, stratum, job.related, ctx, job.customer_rows)


@hookimpl
def clientwise_backends() -> list[PolarsBackend]:
    return [PolarsBackend()]
