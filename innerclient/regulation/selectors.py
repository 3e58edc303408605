"""Read side of the Regulation: the settings snapshot a version is generated from, the
document's content in the active language, versions and the heads' acknowledgments.

``regulation_settings`` gathers everything the text depends on into plain JSON, in both
languages (names, descriptions, services). A version stores it; ``document_context`` turns
a stored snapshot into what templates/regulation/_document.html needs, in the language that
is active, without reading the current settings again, so an old version reads as it was.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.apps import apps
from django.utils.translation import get_language

from innerclient.core.models import Membership, Organization, Role
from innerclient.org.models import InteractionLink
from innerclient.regulation.models import Acknowledgment, RegulationVersion
from innerclient.results.selectors import methodology_context
from innerclient.surveys.criteria import DEFAULT_CRITERIA, DEFAULT_QUESTIONS
from innerclient.surveys.models import SCALE_BOUNDS, CriteriaSet, Cycle, Scale

SCHEMA = 1
DEFAULT_APPEAL_WINDOW_DAYS = 10
CYCLE_FIELDS = (
    "scale",
    "anonymity_threshold",
    "comment_threshold",
    "justify_at_or_below",
    "justify_at_or_above",
    "rater_mode",
    "sample_size",
    "include_self_assessment",
    "reminder_days_after_open",
    "reminder_days_before_deadline",
    "max_reminders",
)
CYCLE_DATES = ("deadline", "opened_at", "closed_at", "published_at")


# --- The snapshot ----------------------------------------------------------------------------


def regulation_settings(organization: Organization, cycle: Cycle | None = None) -> dict:
    """Everything the Regulation's text depends on, as plain JSON in both languages."""
    return {
        "schema": SCHEMA,
        "organization": {"name": organization.name},
        "cycle": _cycle(cycle),
        **_criteria(organization, cycle),
        "map": _map(organization),
        "methodology": _methodology(organization, cycle),
        "appeals": _appeals(organization),
        "bonus": _bonus(organization),
    }


def _cycle(cycle: Cycle | None) -> dict:
    """The cycle's settings and dates; without a cycle, the defaults a new cycle gets."""
    if cycle is None:
        values = {name: Cycle._meta.get_field(name).get_default() for name in CYCLE_FIELDS}
        return {"id": None, "name": "", **values, **dict.fromkeys(CYCLE_DATES)}
    values = {name: getattr(cycle, name) for name in CYCLE_FIELDS}
    dates = {
        name: value.isoformat() if (value := getattr(cycle, name)) else None for name in CYCLE_DATES
    }
    return {"id": cycle.pk, "name": cycle.name, **values, **dates}


def _criteria(organization: Organization, cycle: Cycle | None) -> dict:
    criteria_set = cycle.criteria_set if cycle is not None else None
    if criteria_set is None:
        criteria_set = (
            CriteriaSet.objects.filter(organization=organization)
            .order_by("-created_at", "-pk")
            .first()
        )
    if criteria_set is None:
        criteria = [
            {
                "code": c.code,
                "name_ru": c.name_ru,
                "name_en": c.name_en,
                "description_ru": c.description_ru,
                "description_en": c.description_en,
                "weight": str(c.weight),
            }
            for c in DEFAULT_CRITERIA
        ]
        questions = [{"text_ru": q.text_ru, "text_en": q.text_en} for q in DEFAULT_QUESTIONS]
        return {"criteria_set": None, "criteria": criteria, "questions": questions}
    criteria = [
        {
            "code": c.code,
            "name_ru": c.name_ru,
            "name_en": c.name_en,
            "description_ru": c.description_ru,
            "description_en": c.description_en,
            "weight": str(c.weight),
        }
        for c in criteria_set.criteria.order_by("position", "id")
    ]
    questions = [
        {"text_ru": q.text_ru, "text_en": q.text_en}
        for q in criteria_set.open_questions.order_by("position", "id")
    ]
    return {
        "criteria_set": {"name": criteria_set.name, "version": criteria_set.version},
        "criteria": criteria,
        "questions": questions,
    }


def _map(organization: Organization) -> dict:
    """The interaction map in short: links between active departments, and per provider its
    clients and the distinct services they ask of it."""
    links = (
        InteractionLink.objects.filter(
            organization=organization, client__is_active=True, provider__is_active=True
        )
        .select_related("provider")
        .order_by("provider__code", "client__code")
    )
    providers: dict[int, dict] = {}
    clients = set()
    count = 0
    for link in links:
        count += 1
        clients.add(link.client_id)
        row = providers.setdefault(
            link.provider_id,
            {
                "code": link.provider.code,
                "name_ru": link.provider.name_ru,
                "name_en": link.provider.name_en,
                "clients": 0,
                "services": [],
            },
        )
        row["clients"] += 1
        text = " ".join(link.services.split())
        if text and text not in row["services"]:
            row["services"].append(text)
    return {"links": count, "clients": len(clients), "providers": list(providers.values())}


def _methodology(organization: Organization, cycle: Cycle | None) -> dict:
    """The numbers of results.selectors.methodology_context, as plain values."""
    context = methodology_context(organization, cycle)
    current = context["settings"]
    return {
        "aggregation": current.aggregation,
        "official_index": current.official_index,
        "low_threshold": int(current.low_threshold),
        "divergence": int(current.divergence),
        "fdr": str(Decimal(str(current.fdr))),
        "fdr_percent": context["fdr_percent"],
        "self_gap": context["self_gap"],
        "k": context["k"],
        "comment_k": context["comment_k"],
        "scale": list(context["scale"]),
    }


def _appeals(organization: Organization) -> dict:
    found = {"window_days": DEFAULT_APPEAL_WINDOW_DAYS, "committee_named": False}
    if not apps.is_installed("innerclient.appeals"):
        return found
    try:
        from innerclient.appeals.selectors import appeal_settings, committee_ids
    except ImportError:  # pragma: no cover - the appeals area is optional
        return found
    current = appeal_settings(organization)
    return {
        "window_days": int(current.window_days),
        "committee_named": bool(committee_ids(current)),
    }


def _bonus(organization: Organization) -> dict | None:
    """The bonus scheme in force, or None when the installation has no bonus schemes."""
    if not apps.is_installed("innerclient.appeals"):
        return None
    try:
        from innerclient.appeals.selectors import bonus_scheme
    except ImportError:  # pragma: no cover
        return None
    scheme = bonus_scheme(organization)
    return {
        "configured": scheme.pk is not None,
        "mode": scheme.mode,
        "bands": [list(band) for band in scheme.bands or []],
        "slope": str(scheme.slope),
        "cap": str(scheme.cap),
        "min_raters": int(scheme.min_raters),
        "max_ci_half_width": str(scheme.max_ci_half_width),
    }


# --- The document in the active language ----------------------------------------------------


def _pick(ru: str, en: str) -> str:
    if (get_language() or "ru").startswith("en") and en:
        return en
    return ru


def _date(value: str | None) -> date | datetime | None:
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value)


def document_context(snapshot: dict, *, organization: Organization) -> dict:
    """What templates/regulation/_document.html needs, from a stored settings snapshot."""
    cycle = snapshot["cycle"]
    method = snapshot["methodology"]
    low, high = SCALE_BOUNDS[Scale(cycle["scale"])]
    bonus = snapshot.get("bonus")
    bands = []
    if bonus:
        for lower, upper, multiplier in bonus["bands"]:
            bands.append({"lower": lower, "upper": upper, "multiplier": multiplier})
    providers = [
        {
            "name": _pick(p["name_ru"], p["name_en"]),
            "code": p["code"],
            "clients": p["clients"],
            "services": p["services"],
        }
        for p in snapshot["map"]["providers"]
    ]
    return {
        "reg": snapshot,
        "reg_org_name": snapshot["organization"]["name"],
        "reg_cycle": {
            **cycle,
            **{name: _date(cycle[name]) for name in CYCLE_DATES},
            "low": low,
            "high": high,
        },
        "reg_scale_points": list(range(low, high + 1)),
        "reg_criteria": [
            {
                "name": _pick(c["name_ru"], c["name_en"]),
                "description": _pick(c["description_ru"], c["description_en"]),
                "weight": Decimal(c["weight"]).normalize(),
            }
            for c in snapshot["criteria"]
        ],
        "reg_questions": [_pick(q["text_ru"], q["text_en"]) for q in snapshot["questions"]],
        "reg_map": {**snapshot["map"], "providers": providers},
        "reg_bonus": {**bonus, "bands": bands} if bonus else None,
        "reg_appeals": snapshot["appeals"],
        # The context of templates/results/_methodology_text.html, from the snapshot.
        "org": organization,
        "settings": {
            "aggregation": method["aggregation"],
            "official_index": method["official_index"],
            "low_threshold": method["low_threshold"],
            "divergence": method["divergence"],
            "fdr": Decimal(method["fdr"]),
        },
        "k": method["k"],
        "comment_k": method["comment_k"],
        "scale": tuple(method["scale"]),
        "fdr_percent": method["fdr_percent"],
        "self_gap": method["self_gap"],
    }


# --- Versions and acknowledgments -----------------------------------------------------------


def current_version(organization: Organization) -> RegulationVersion | None:
    return (
        RegulationVersion.objects.filter(organization=organization)
        .select_related("cycle", "created_by")
        .order_by("-version")
        .first()
    )


def version_list(organization: Organization) -> list[dict]:
    return list(
        RegulationVersion.objects.filter(organization=organization)
        .order_by("-version")
        .values("version", "created_at", "cycle__name", "created_by__email")
    )


def acknowledged_at(version: RegulationVersion, user) -> datetime | None:
    return (
        Acknowledgment.objects.filter(version=version, user=user)
        .values_list("acknowledged_at", flat=True)
        .first()
    )


@dataclass(frozen=True)
class HeadStatus:
    user_id: int
    name: str
    email: str
    department: str
    acknowledged_at: datetime | None


def acknowledgment_status(version: RegulationVersion) -> list[HeadStatus]:
    """Every department head of the organization and whether he acknowledged ``version``;
    those who have not come first."""
    done = dict(
        Acknowledgment.objects.filter(version=version).values_list("user_id", "acknowledged_at")
    )
    heads = Membership.objects.filter(
        organization_id=version.organization_id, role=Role.HEAD
    ).select_related("user", "department")
    rows = [
        HeadStatus(
            user_id=m.user_id,
            name=m.user.get_full_name() or m.user.get_username(),
            email=m.user.email,
            department=str(m.department) if m.department else "",
            acknowledged_at=done.get(m.user_id),
        )
        for m in heads
    ]
    rows.sort(key=lambda row: (row.acknowledged_at is not None, row.department, row.name))
    return rows
