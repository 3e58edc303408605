"""Criteria, evaluation cycles, invitations and responses.

Anonymity is built into the schema (see docs/anonymity.md): a ``Response`` carries no link to
an ``Invitation`` or a ``Person`` — no foreign key, no timestamp, no sequential id. It is keyed
by a pseudonymous ``rater_key`` derived from the rater's secret link token by a derivation
different from the one that authenticates the invitation (``surveys.tokens``); a
self-assessment has a key of its own. Completion status lives on the invitation while the
cycle is open; at close only per-department counts are kept (``CycleDepartmentCount``) and the
rater list and every invitation's status are erased.
"""

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from innerclient.core.models import Organization
from innerclient.org.models import Department, Person


def _localized(ru: str, en: str) -> str:
    if (get_language() or "ru").startswith("en") and en:
        return en
    return ru


class CriteriaSet(models.Model):
    """One version of an organization's criteria. A version used by an opened cycle is frozen;
    editing a frozen set makes the next version, so scores stay comparable across cycles."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="criteria_sets"
    )
    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_frozen = models.BooleanField(_("frozen"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name", "version"], name="criteria_set_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Criterion(models.Model):
    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(_("code"), max_length=50)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_ru = models.TextField(_("description (Russian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=3,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="criterion_code_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self.name_ru, self.name_en)

    @property
    def description(self) -> str:
        return _localized(self.description_ru, self.description_en)


class OpenQuestion(models.Model):
    """A free-text question asked about each provider ("what should it change first?")."""

    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="open_questions"
    )
    code = models.SlugField(_("code"), max_length=50)
    text_ru = models.CharField(_("question (Russian)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="question_code_unique")
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return _localized(self.text_ru, self.text_en)


class Scale(models.TextChoices):
    ONE_FIVE = "1-5", _("1 to 5")
    ONE_TEN = "1-10", _("1 to 10")
    ZERO_TEN = "0-10", _("0 to 10")


SCALE_BOUNDS = {Scale.ONE_FIVE: (1, 5), Scale.ONE_TEN: (1, 10), Scale.ZERO_TEN: (0, 10)}


class Cycle(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        PUBLISHED = "published", _("Published")

    class RaterMode(models.TextChoices):
        ALL = "all", _("All employees of client departments")
        HEADS = "heads", _("Heads of client departments only")
        SAMPLE = "sample", _("A random sample per client department")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="cycles")
    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.PROTECT, related_name="cycles", verbose_name=_("criteria")
    )
    scale = models.CharField(_("scale"), max_length=10, choices=Scale.choices, default="1-5")
    anonymity_threshold = models.PositiveSmallIntegerField(
        _("anonymity threshold"),
        default=5,
        validators=[MinValueValidator(3), MaxValueValidator(10)],
    )
    comment_threshold = models.PositiveSmallIntegerField(
        _("comment threshold"),
        default=7,
        validators=[MinValueValidator(3), MaxValueValidator(20)],
    )
    # A score at or below ``justify_at_or_below`` (or at or above ``justify_at_or_above``,
    # when set) needs a justification comment.
    justify_at_or_below = models.SmallIntegerField(_("justify scores at or below"), default=2)
    justify_at_or_above = models.SmallIntegerField(
        _("justify scores at or above"), null=True, blank=True
    )
    rater_mode = models.CharField(
        _("who rates"), max_length=10, choices=RaterMode.choices, default=RaterMode.ALL
    )
    sample_size = models.PositiveSmallIntegerField(_("sample size per department"), default=5)
    include_self_assessment = models.BooleanField(_("self-assessment by heads"), default=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    reminder_days_after_open = models.PositiveSmallIntegerField(default=3)
    reminder_days_before_deadline = models.PositiveSmallIntegerField(default=1)
    max_reminders = models.PositiveSmallIntegerField(default=3)
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Frozen when the cycle opens (``surveys.services.cycles.cycle_structure_freeze``): the
    # department ids and the interaction map's volumes it runs on, so that every results
    # version is computed on the same structure, whatever changes afterwards.
    structure = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="cycle_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def bounds(self) -> tuple[int, int]:
        return SCALE_BOUNDS[Scale(self.scale)]


class RaterKind(models.TextChoices):
    """What an assignment asks of the invited person (the rater list of a draft or an open
    cycle; erased at close)."""

    EMPLOYEE = "employee", _("Employee of a client department")
    HEAD = "head", _("Head of a client department")
    SELF = "self", _("Self-assessment")


class ResponseKind(models.TextChoices):
    """What a response stores of its rater: only whether it is a self-assessment. Heads and
    employees of a client department are alike here, so that no response says "a head"."""

    CLIENT = "client", _("A client department's rater")
    SELF = "self", _("Self-assessment")


class Invitation(models.Model):
    """A person asked to rate in a cycle. Knows who; never what he answered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not started")
        STARTED = "started", _("Started")
        COMPLETED = "completed", _("Completed")
        # After close every invitation of the cycle has this status: who finished is erased
        # (only the department counts stay, ``CycleDepartmentCount``).
        CLOSED = "closed", _("Cycle closed")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="invitations")
    # Random, public; goes into the link beside the secret token.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    invited_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    # Coarsened to the day on purpose: an exact time could be matched against server logs.
    completed_on = models.DateField(null=True, blank=True)
    # A sending worker claims rows with a conditional UPDATE so two workers never send twice.
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "person"], name="invitation_unique")
        ]
        indexes = [models.Index(fields=["cycle", "status"])]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.person}"


class Assignment(models.Model):
    """One provider department an invited person rates (as employee, head, or self)."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="assignments")
    provider = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=RaterKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invitation", "provider"], name="assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.invitation} → {self.provider}"


class Response(models.Model):
    """What one rater said about one provider. No timestamps, no sequential id, no link to a
    person or an invitation: only what scoring needs."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="responses")
    provider = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    rater_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    rater_kind = models.CharField(max_length=10, choices=ResponseKind.choices)
    rater_key = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    did_not_interact = models.BooleanField(default=False)
    # Rounded to 10 s buckets: enough for integrity checks, too coarse to fingerprint.
    time_spent_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "rater_key", "provider"], name="response_unique_per_rater"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cycle} → {self.provider}"


class CycleDepartmentCount(models.Model):
    """What a closed cycle keeps of its rater list and completion, per rater department.

    Written once by ``cycle_close`` (``surveys.completion.cycle_counts_keep``), after which the
    cycle's assignments are deleted and its invitations keep only who was invited: no row
    says any more which person finished, or which departments he was asked to rate."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="department_counts")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    invited = models.PositiveIntegerField(default=0)
    started = models.PositiveIntegerField(default=0)  # started, not finished, at close
    completed = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)  # client ratings asked (self excluded)
    self_assessments = models.PositiveIntegerField(default=0)
    # {provider department id: how many of the department's raters were asked to rate it}
    providers = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "department"], name="cycle_department_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.department} {self.completed}/{self.invited}"


class Answer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    score = models.SmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "criterion"], name="answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}={self.score}"


class OpenAnswer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="open_answers")
    question = models.ForeignKey(OpenQuestion, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="open_answer_unique")
        ]

    def __str__(self) -> str:
        return self.text[:50]
