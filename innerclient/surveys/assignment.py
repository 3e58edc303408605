"""Who rates whom in a cycle, from the interaction map. Pure: plain data in, plain data out.

Rules (DOMAIN.md: "rater lists come from the map, never chosen by the rated department"):

- A client department is an active department with at least one link to an active provider.
  Its raters are its active people: all of them, its heads only, or a random sample of ``n``.
  The sample is drawn with a generator seeded by the cycle and the department, so generating
  the list again gives the same people (as long as the department's people are the same).
- Each rater rates every active provider of his own department (``kind`` is ``head`` for a
  head of the department, ``employee`` otherwise).
- With self-assessment on, the head of every rated department also rates his own department
  (``kind`` ``self``), in the same invitation when he is a rater anyway. Self-assessments are
  kept apart from the clients' view by their kind, and answered under a key of their own.

The anonymity invariant (docs/anonymity.md, "provider sets"): within a client department,
every distinct set of providers (self-assessment left out) is shared by at least ``k``
invitations — or all of the department's raters share one set. Otherwise the set of
departments a rater key answered about would single out the few people asked to rate exactly
those. The planner satisfies it by construction (a department's raters all rate its
providers); ``provider_set_violations`` checks it wherever the list is made or edited.
"""

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

MODE_ALL = "all"
MODE_HEADS = "heads"
MODE_SAMPLE = "sample"

KIND_EMPLOYEE = "employee"
KIND_HEAD = "head"
KIND_SELF = "self"


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    is_active: bool = True
    head_id: int | None = None


@dataclass(frozen=True)
class PersonInfo:
    id: int
    department_id: int
    is_active: bool = True
    is_head: bool = False


@dataclass(frozen=True)
class Settings:
    mode: str = MODE_ALL
    sample_size: int = 5
    include_self_assessment: bool = True
    seed: str = ""


@dataclass
class PlannedInvitation:
    person_id: int
    # provider department id -> kind
    assignments: dict[int, str] = field(default_factory=dict)


def sample_people(person_ids: Iterable[int], *, size: int, seed: str, department_id: int):
    """``size`` people drawn at random but repeatably for the same seed and department."""
    ids = sorted(person_ids)
    if size >= len(ids):
        return ids
    digest = hashlib.sha256(f"{seed}:{department_id}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    return sorted(rng.sample(ids, size))


def plan_assignments(
    *,
    departments: Iterable[DepartmentInfo],
    people: Iterable[PersonInfo],
    links: Iterable[tuple[int, int]],
    settings: Settings,
) -> list[PlannedInvitation]:
    """One planned invitation per rater, ordered by person id. ``links`` are (client, provider)."""
    by_id = {d.id: d for d in departments}
    active = {d_id for d_id, d in by_id.items() if d.is_active}
    providers_of: dict[int, set[int]] = defaultdict(set)
    for client_id, provider_id in links:
        if client_id != provider_id and client_id in active and provider_id in active:
            providers_of[client_id].add(provider_id)

    people_by_department: dict[int, list[PersonInfo]] = defaultdict(list)
    for person in people:
        if person.is_active and person.department_id in active:
            people_by_department[person.department_id].append(person)

    def is_head(person: PersonInfo) -> bool:
        return person.is_head or by_id[person.department_id].head_id == person.id

    plan: dict[int, PlannedInvitation] = {}
    rated: set[int] = set()
    for client_id in sorted(providers_of):
        members = people_by_department.get(client_id, [])
        if settings.mode == MODE_HEADS:
            raters = [p for p in members if is_head(p)]
        elif settings.mode == MODE_SAMPLE:
            chosen = set(
                sample_people(
                    (p.id for p in members),
                    size=max(settings.sample_size, 0),
                    seed=settings.seed,
                    department_id=client_id,
                )
            )
            raters = [p for p in members if p.id in chosen]
        else:
            raters = members
        for person in raters:
            kind = KIND_HEAD if is_head(person) else KIND_EMPLOYEE
            invitation = plan.setdefault(person.id, PlannedInvitation(person_id=person.id))
            for provider_id in sorted(providers_of[client_id]):
                invitation.assignments[provider_id] = kind
                rated.add(provider_id)

    if settings.include_self_assessment:
        for department_id in sorted(rated):
            head = _head_of(by_id[department_id], people_by_department.get(department_id))
            if head is not None:
                invitation = plan.setdefault(head, PlannedInvitation(person_id=head))
                invitation.assignments[department_id] = KIND_SELF

    return [plan[person_id] for person_id in sorted(plan)]


def _head_of(department: DepartmentInfo, members: list[PersonInfo] | None) -> int | None:
    """The department's active head: its named head, else the first person marked as head."""
    members = members or []
    active_ids = {p.id for p in members}
    if department.head_id in active_ids:
        return department.head_id
    heads = sorted(p.id for p in members if p.is_head)
    return heads[0] if heads else None


@dataclass(frozen=True)
class SetViolation:
    """A client department whose raters do not all rate the same providers, where some set is
    shared by fewer than ``k`` of them."""

    department_id: int
    raters: int  # the department's invitations that rate at least one other department
    sets: tuple[tuple[frozenset[int], int], ...]  # (providers, invitations), most shared first

    @property
    def fewest(self) -> int:
        """How many invitations share the least shared set."""
        return min(n for _providers, n in self.sets)


def provider_set_violations(
    rater_sets: Iterable[tuple[int, Iterable[int]]], *, k: int
) -> list[SetViolation]:
    """The client departments that break the invariant, ordered by department id.

    ``rater_sets``: one ``(department id, provider ids)`` per invitation. The department
    itself (a self-assessment) is left out of its set, and an invitation that rates no other
    department is no client rater and does not count.
    """
    counts: dict[int, dict[frozenset[int], int]] = defaultdict(lambda: defaultdict(int))
    for department_id, providers in rater_sets:
        chosen = frozenset(providers) - {department_id}
        if chosen:
            counts[department_id][chosen] += 1
    violations = []
    for department_id in sorted(counts):
        sets = counts[department_id]
        if len(sets) > 1 and min(sets.values()) < k:
            ordered = sorted(sets.items(), key=lambda item: (-item[1], sorted(item[0])))
            violations.append(
                SetViolation(
                    department_id=department_id, raters=sum(sets.values()), sets=tuple(ordered)
                )
            )
    return violations


def plan_violations(plan: Iterable[PlannedInvitation], *, department_of, k: int):
    """``provider_set_violations`` of a planned list; ``department_of``: person id → department."""
    return provider_set_violations(
        ((department_of[item.person_id], item.assignments) for item in plan), k=k
    )
