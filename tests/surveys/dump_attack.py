"""The database administrator's attack on anonymity (docs/anonymity.md, "Who we defend
against"): every row of every table, no keys, no links.

The attacker reads the raw tables with plain SQL (what a dump holds) and, for every rater key
of a cycle, narrows down the people who can have written its responses:

- **head attack**: a response whose rater kind says "head" was written by a head of the rater's
  department; a key that also carries a self-assessment (a response about the rater's own
  department) is the key of the head who was asked for it;
- **provider-set attack**: the providers a key answered about (submitted or "did not
  interact") must be among those its invitation was assigned; a key that answered everything
  belongs to a finished invitation ("completed", a completion date), a key with answers never
  to one that did not start.

A rater is *linked* when fewer candidates remain than ``min(k, the department's raters)``:
then the dump tells more about who answered than the rater's department does (which every
response carries, and which reports protect with the anonymity threshold). Keys that carry
only a self-assessment are the head's by design (his view of his own department, reported as
such) and are not counted as raters.

``assignments`` may be given from elsewhere (say a dump taken while the cycle was open, or the
list replayed from the interaction map and the audit log) to show that the rater list alone
links nobody either.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection


def _rows(table: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class Dump:
    """The rows the attack needs, read as a dump holds them."""

    cycles: list[dict]
    departments: list[dict]
    people: list[dict]
    invitations: list[dict]
    assignments: list[dict]
    responses: list[dict]

    @classmethod
    def read(cls) -> Dump:
        return cls(
            cycles=_rows("surveys_cycle"),
            departments=_rows("org_department"),
            people=_rows("org_person"),
            invitations=_rows("surveys_invitation"),
            assignments=_rows("surveys_assignment"),
            responses=_rows("surveys_response"),
        )


@dataclass
class Linked:
    cycle_id: int
    rater_key: str
    department_id: int
    candidates: int  # invitations that may have written the key's responses
    needed: int  # min(k, raters of the department)
    person_id: int | None  # the only candidate, when one remains
    is_head: bool  # the only candidate is a head of his department


@dataclass
class AttackResult:
    raters: int = 0  # rater keys attacked (self-assessment-only keys left out)
    linked: list[Linked] = field(default_factory=list)

    @property
    def exactly_one(self) -> list[Linked]:
        return [item for item in self.linked if item.candidates == 1]

    def summary(self) -> str:
        one = self.exactly_one
        heads = sum(1 for item in one if item.is_head)
        return (
            f"{len(self.linked)} of {self.raters} raters linked to fewer than min(k, n) "
            f"candidates; {len(one)} to exactly one invitation "
            f"({heads} heads, {len(one) - heads} employees)"
        )


def _truthy(value) -> bool:
    return value not in (None, 0, False, "", "0", "f", "false")


def attack(dump: Dump, *, cycle_ids=None, assignments: list[dict] | None = None) -> AttackResult:
    """Every rater key of the cycles (all of them by default), attacked as described above."""
    assignments = dump.assignments if assignments is None else assignments
    k_of = {c["id"]: c["anonymity_threshold"] for c in dump.cycles}
    cycle_ids = set(k_of) if cycle_ids is None else set(cycle_ids)
    department_of = {p["id"]: p["department_id"] for p in dump.people}
    named_head = {d["id"]: d["head_id"] for d in dump.departments}
    is_head = {
        p["id"]: _truthy(p["is_head"]) or named_head.get(p["department_id"]) == p["id"]
        for p in dump.people
    }

    assigned: dict[int, set[int]] = defaultdict(set)
    self_assigned: set[int] = set()
    for row in assignments:
        assigned[row["invitation_id"]].add(row["provider_id"])
        if row["kind"] == "self":
            self_assigned.add(row["invitation_id"])

    invitations: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for inv in dump.invitations:
        if inv["cycle_id"] in cycle_ids:
            invitations[(inv["cycle_id"], department_of[inv["person_id"]])].append(inv)

    keys: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for response in dump.responses:
        if response["cycle_id"] in cycle_ids:
            keys[(response["cycle_id"], response["rater_key"])].append(response)

    result = AttackResult()
    for (cycle_id, key), responses in keys.items():
        department = responses[0]["rater_department_id"]
        own = [r for r in responses if r["provider_id"] == department or r["rater_kind"] == "self"]
        if len(own) == len(responses):
            continue  # a self-assessment alone: the head's by design
        result.raters += 1
        kinds = {r["rater_kind"] for r in responses}
        answered = {r["provider_id"] for r in responses}
        finished = all(r["status"] == "submitted" for r in responses)
        everyone = invitations.get((cycle_id, department), [])

        # The department's client raters: everyone unless the list says one rates only his
        # own department.
        raters = [
            inv
            for inv in everyone
            if inv["id"] not in assigned or assigned[inv["id"]] - {department}
        ]
        candidates = []
        for inv in raters:
            person = inv["person_id"]
            # Head attack.
            if "head" in kinds and not is_head[person]:
                continue
            if "employee" in kinds and is_head[person]:
                continue
            mine = assigned.get(inv["id"])
            if own and not (inv["id"] in self_assigned if mine is not None else is_head[person]):
                continue
            # Provider-set attack.
            if mine is not None and not answered <= mine:
                continue
            complete = finished and mine is not None and answered == mine
            done = inv["status"] == "completed" or inv["completed_on"] is not None
            if done and not finished:
                continue
            if done and mine is not None and answered != mine:
                continue
            if inv["status"] == "pending":
                continue  # it never started, yet this key has answers
            if inv["status"] == "started" and complete:
                continue
            candidates.append(inv)
        needed = min(k_of[cycle_id], len(raters))
        if len(candidates) < needed:
            only = candidates[0]["person_id"] if len(candidates) == 1 else None
            result.linked.append(
                Linked(
                    cycle_id=cycle_id,
                    rater_key=key,
                    department_id=department,
                    candidates=len(candidates),
                    needed=needed,
                    person_id=only,
                    is_head=bool(only and is_head[only]),
                )
            )
    return result
