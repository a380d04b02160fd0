"""Background jobs of matching: run the engine for a proposal.

People hear about their published circles from the circles services that seat them (one "you are in
the circle" notification per seat, emailed at once), so publishing has nothing more to send.

A proposal moves running → ready | failed, its `stage` and `progress` updated at each step so the
page that polls it shows where it is. Every write is conditional on the proposal still running, so
a repeated task, or a proposal dropped meanwhile, is left alone.
"""

from __future__ import annotations

import logging

from huey.contrib.djhuey import db_task

from circles.models import MatchProposal
from coaching.matching import engine, problems

logger = logging.getLogger(__name__)
Stage = MatchProposal.Stage
Status = MatchProposal.Status
PROGRESS: dict[str, int] = {
    Stage.LOADING: 10,
    Stage.SCORING: 30,
    Stage.SOLVING: 50,
    Stage.FORMING: 85,
    Stage.READY: 100,
}


def _advance(proposal_id: int, stage: str, **fields: object) -> bool:
    """Record the next stage; False when the proposal is no longer running (dropped meanwhile)."""
    return bool(
        MatchProposal.objects.filter(pk=proposal_id, status=Status.RUNNING).update(
            stage=stage, progress=PROGRESS[stage], **fields
        )
    )


def _compute(proposal_id: int) -> None:
    # Claiming the queued proposal makes a repeated task a no-op.
    claimed = MatchProposal.objects.filter(pk=proposal_id, status=Status.RUNNING, stage=Stage.QUEUED).update(
        stage=Stage.LOADING, progress=PROGRESS[Stage.LOADING]
    )
    if not claimed:
        return
    proposal = MatchProposal.objects.select_related("programme").get(pk=proposal_id)
    programme = proposal.programme
    built = problems.build_problem(programme=programme, on=problems.reference_date(programme=programme))
    if not _advance(proposal_id, Stage.SCORING, problem=built.problem):
        return
    # The engine has no progress hook: scoring is its validation of the problem, solving the rest.
    problem = engine.parse_problem(built.problem)
    if not _advance(proposal_id, Stage.SOLVING):
        return
    solution = engine.solve(problem).as_json()
    if not _advance(proposal_id, Stage.FORMING):
        return
    arranged = problems.arrange(problem=built.problem, solution=solution, left_out=built.left_out)
    MatchProposal.objects.filter(pk=proposal_id, status=Status.RUNNING).update(
        status=Status.READY, stage=Stage.READY, progress=PROGRESS[Stage.READY], solution=arranged
    )


@db_task()
def run_proposal(proposal_id: int) -> None:
    """Build the programme's problem, run the engine, store its solution; any error fails the proposal."""
    try:
        _compute(proposal_id)
    except Exception as error:
        logger.exception("Matching proposal %s failed", proposal_id)
        # The engine's ProblemError is one clear line naming the record; other errors get their kind.
        detail = str(error) if isinstance(error, engine.ProblemError) else type(error).__name__
        MatchProposal.objects.filter(pk=proposal_id, status=Status.RUNNING).update(
            status=Status.FAILED, error=detail[:1000]
        )
