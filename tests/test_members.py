"""Members page: coordinators add people by email, give and change roles."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from innerclient.core.models import AuditEntry, Membership, Role
from innerclient.core.services import member_add, member_update
from tests.factories import DepartmentFactory, OrganizationFactory, UserFactory


def _url(name, org, *args):
    return reverse(f"org:{name}", args=[org.slug, *args])


def test_member_list_shows_users_roles_and_departments(coordinator_client, org, make_member):
    dept = DepartmentFactory(organization=org, code="SAL", name_ru="Продажи", name_en="")
    head = make_member(org, Role.HEAD, department=dept)
    text = coordinator_client.get(_url("member_list", org)).content.decode()
    assert head.username in text and "SAL" in text and "Продажи" in text


def test_member_list_runs_a_constant_number_of_queries(
    coordinator_client, org, make_member, django_assert_max_num_queries
):
    dept = DepartmentFactory(organization=org)
    for _ in range(20):
        make_member(org, Role.EMPLOYEE, department=dept)
    with django_assert_max_num_queries(8):
        assert coordinator_client.get(_url("member_list", org)).status_code == 200


def test_adding_an_unknown_email_creates_the_user_and_shows_the_password_once(
    coordinator_client, org, coordinator
):
    dept = DepartmentFactory(organization=org)
    response = coordinator_client.post(
        _url("member_list", org),
        {"add-email": "New.Head@Example.test", "add-role": "head", "add-department": dept.pk},
        follow=True,
    )

    user = User.objects.get(username="new.head@example.test")
    membership = Membership.objects.get(user=user, organization=org)
    assert (membership.role, membership.department) == (Role.HEAD, dept)
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and "Temporary password" in shown[0]
    password = shown[0].split("password: ")[1].split(" ")[0]
    assert user.check_password(password)
    assert password not in coordinator_client.get(_url("member_list", org)).content.decode()
    actions = set(AuditEntry.objects.filter(organization=org).values_list("action", flat=True))
    assert {"user.create", "membership.create"} <= actions


def test_adding_an_existing_user_gives_him_the_role_without_a_new_password(org, coordinator):
    existing = UserFactory(username="anna@example.test", email="anna@example.test")
    membership, password = member_add(
        actor=coordinator, organization=org, email="ANNA@example.test", role=Role.ANALYST
    )
    assert membership.user == existing and password is None
    assert User.objects.filter(username__iexact="anna@example.test").count() == 1


def test_member_of_another_organization_can_be_added(org, coordinator, make_member):
    outsider = make_member(OrganizationFactory(), Role.COORDINATOR)
    membership, password = member_add(
        actor=coordinator, organization=org, email=outsider.email, role=Role.ANALYST
    )
    assert membership.user == outsider and password is None


def test_adding_an_existing_member_again_is_refused(coordinator_client, org, make_member):
    analyst = make_member(org, Role.ANALYST)
    response = coordinator_client.post(
        _url("member_list", org), {"add-email": analyst.email, "add-role": "coordinator"}
    )
    assert response.status_code == 200
    assert "already a member" in response.content.decode()
    assert Membership.objects.get(user=analyst).role == Role.ANALYST


@pytest.mark.parametrize("role", [Role.HEAD, Role.EMPLOYEE])
def test_heads_and_employees_need_a_department(coordinator_client, org, role):
    response = coordinator_client.post(
        _url("member_list", org), {"add-email": "x@example.test", "add-role": role}
    )
    assert response.status_code == 200
    assert "needs a department" in response.content.decode()
    assert not User.objects.filter(username="x@example.test").exists()


def test_department_of_another_organization_is_refused(coordinator_client, org):
    foreign = DepartmentFactory(organization=OrganizationFactory())
    response = coordinator_client.post(
        _url("member_list", org),
        {"add-email": "y@example.test", "add-role": "employee", "add-department": foreign.pk},
    )
    assert response.status_code in (200, 404)
    assert not Membership.objects.filter(user__username="y@example.test").exists()


def test_changing_role_and_department_is_audited(coordinator_client, org, make_member):
    analyst = make_member(org, Role.ANALYST)
    membership = Membership.objects.get(user=analyst)
    dept = DepartmentFactory(organization=org)

    response = coordinator_client.post(
        _url("member_edit", org, membership.pk), {"role": "head", "department": dept.pk}
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.department) == (Role.HEAD, dept)
    entry = AuditEntry.objects.get(action="membership.update")
    assert entry.changes["role"] == ["analyst", "head"]


def test_the_last_coordinator_keeps_his_role(coordinator_client, org, coordinator):
    membership = Membership.objects.get(user=coordinator, organization=org)
    response = coordinator_client.post(_url("member_edit", org, membership.pk), {"role": "analyst"})
    assert response.status_code == 200
    assert "only coordinator" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.COORDINATOR


def test_a_coordinator_can_step_down_when_there_is_another(org, coordinator, make_member):
    make_member(org, Role.COORDINATOR)
    membership = Membership.objects.get(user=coordinator, organization=org)
    member_update(actor=coordinator, membership=membership, role=Role.ANALYST)
    membership.refresh_from_db()
    assert membership.role == Role.ANALYST


@pytest.mark.parametrize("role", [Role.ANALYST, Role.HEAD, Role.EMPLOYEE])
def test_only_coordinators_manage_members(client, org, make_member, role):
    dept = DepartmentFactory(organization=org)
    user = make_member(org, role, department=dept)
    client.force_login(user)
    membership = Membership.objects.get(user=user)
    assert client.get(_url("member_list", org)).status_code == 403
    assert (
        client.post(_url("member_list", org), {"add-email": "z@x.test", "add-role": "coordinator"})
    ).status_code == 403
    assert (
        client.post(_url("member_edit", org, membership.pk), {"role": "coordinator"})
    ).status_code == 403
    membership.refresh_from_db()
    assert membership.role == role


def test_outsider_gets_404_for_members_of_another_organization(client, org, make_member):
    target = Membership.objects.get(user=make_member(org, Role.ANALYST))
    other = OrganizationFactory()
    client.force_login(make_member(other, Role.COORDINATOR))
    assert client.get(_url("member_list", org)).status_code == 404
    assert client.get(_url("member_edit", org, target.pk)).status_code == 404
    own_url = reverse("org:member_edit", args=[other.slug, target.pk])
    assert client.get(own_url).status_code == 404
    assert client.post(own_url, {"role": "coordinator"}).status_code == 404
    target.refresh_from_db()
    assert target.role == Role.ANALYST
