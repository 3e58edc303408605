"""Writes of the results area: computing a cycle's results into a new snapshot version, and
changing the methodology settings. Each write leaves an audit row."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from innerclient.core.audit import audit_record
from innerclient.results import selectors
from innerclient.results.models import MethodologySettings, ResultSnapshot
from innerclient.scoring.pipeline import as_json, score_cycle
from innerclient.surveys.models import Cycle

COMPUTABLE = (Cycle.Status.CLOSED, Cycle.Status.PUBLISHED)


@transaction.atomic
def results_compute(
    *, actor, cycle: Cycle, reason: str, exclusions: Sequence[tuple[int, int]] = ()
) -> ResultSnapshot:
    """Score the cycle with the methodology in force and store it as the next version.

    A stored snapshot is never changed: a recomputation (new settings, an upheld appeal, a
    corrected answer) adds a version and says why, and the earlier versions stay.

    ``exclusions``: (provider id, client department id) pairs whose answers an upheld appeal
    excluded. Only a client view that was shown may be excluded: it rests on at least k
    raters, so the difference between the two versions isolates no fewer than k raters
    (``privacy.difference_is_safe``). Exclusions are stored in the snapshot and carried
    into later recomputations of the cycle by the caller.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the results are computed again."), code="reason")
    cycle = Cycle.objects.select_for_update().select_related("organization").get(pk=cycle.pk)
    if cycle.status not in COMPUTABLE:
        raise ValidationError(
            _("Results are computed once a cycle is closed; this one is %(status)s."),
            code="status",
            params={"status": cycle.get_status_display()},
        )
    settings = selectors.methodology_settings(cycle.organization)
    exclusions = sorted({(int(p), int(c)) for p, c in exclusions})
    _check_exclusions(cycle, exclusions)
    data = selectors.scoring_input(cycle, exclusions=exclusions)
    scores = score_cycle(data.answers, selectors.methodology_for(cycle, settings), data.history)
    payload = as_json(scores)
    payload["history_cycles"] = [{"id": c.pk, "name": c.name} for c in data.history_cycles]
    payload["exclusions"] = [list(pair) for pair in exclusions]
    last = ResultSnapshot.objects.filter(cycle=cycle).aggregate(v=Max("version"))["v"] or 0
    snapshot = ResultSnapshot.objects.create(
        cycle=cycle,
        version=last + 1,
        reason=reason[:300],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        departments=data.departments,
        criteria=data.criteria,
        payload=payload,
    )
    shown = sum(1 for p in payload["providers"] if p["shown"])
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="results.compute",
        obj=cycle,
        changes={
            "version": snapshot.version,
            "reason": snapshot.reason,
            "departments_shown": shown,
            "methodology": payload["methodology"],
            "exclusions": payload["exclusions"],
        },
    )
    return snapshot


def _check_exclusions(cycle: Cycle, exclusions: list[tuple[int, int]]) -> None:
    """Every excluded client view must have been shown in the current version."""
    if not exclusions:
        return
    current = selectors.snapshot_current(cycle)
    shown = set()
    if current is not None:
        ids = current.departments
        for provider in current.payload["providers"]:
            for view in provider["clients"]:
                shown.add((ids[provider["code"]], ids[view["client"]]))
        shown |= {tuple(pair) for pair in current.payload.get("exclusions", [])}
    if not set(exclusions) <= shown:
        raise ValidationError(
            _("Only a client department's view that the results show can be excluded."),
            code="exclusion",
        )


METHODOLOGY_FIELDS = ("aggregation", "official_index", "low_threshold", "divergence", "fdr")


@transaction.atomic
def methodology_update(*, actor, organization, values: dict) -> MethodologySettings:
    """Change the methodology settings; results already stored keep the settings they used."""
    current = selectors.methodology_settings(organization)
    before = {name: str(getattr(current, name)) for name in METHODOLOGY_FIELDS}
    for name in METHODOLOGY_FIELDS:
        if name in values:
            setattr(current, name, values[name])
    current.full_clean()
    current.save()
    after = {name: str(getattr(current, name)) for name in METHODOLOGY_FIELDS}
    changes = {
        name: [before[name], after[name]]
        for name in METHODOLOGY_FIELDS
        if before[name] != after[name]
    }
    if changes:
        audit_record(
            organization=organization,
            actor=actor,
            action="methodology.update",
            obj=current,
            changes=changes,
        )
    return current
