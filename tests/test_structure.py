"""Structure pages: the department tree, a department, people, and (de)activation."""

import pytest
from django.urls import reverse

from innerclient.core.models import AuditEntry, Role
from innerclient.org import selectors
from innerclient.org.models import Department, Person
from innerclient.org.services.structure import (
    department_set_active,
    department_update,
    person_set_active,
)
from tests.factories import (
    DepartmentFactory,
    InteractionLinkFactory,
    OrganizationFactory,
    PersonFactory,
)


def _company(org, divisions=6, per_division=10):
    """divisions × (1 + per_division) departments, three people each."""
    departments = []
    for d in range(divisions):
        top = DepartmentFactory(organization=org, code=f"DIV{d}", name_ru=f"Дивизион {d}")
        departments.append(top)
        for i in range(per_division):
            child = DepartmentFactory(organization=org, code=f"DIV{d}-{i:02d}", parent=top)
            departments.append(child)
    Person.objects.bulk_create(
        Person(
            organization=org,
            department=dept,
            full_name=f"Person {dept.code}-{n}",
            email=f"{dept.code.lower()}-{n}@example.test",
        )
        for dept in departments
        for n in range(3)
    )
    return departments


def _url(name, org, *args):
    return reverse(f"org:{name}", args=[org.slug, *args])


# --- The tree ---


def test_tree_nests_departments_under_their_parents(org):
    root = DepartmentFactory(organization=org, code="A", name_ru="Компания")
    child = DepartmentFactory(organization=org, code="A1", parent=root)
    grandchild = DepartmentFactory(organization=org, code="A11", parent=child)
    other_root = DepartmentFactory(organization=org, code="B")
    PersonFactory(department=grandchild)
    PersonFactory(department=grandchild, is_active=False)

    tree = selectors.department_tree(org)

    assert [n.code for n in tree.roots] == ["A", "B"]
    assert [n.code for n in tree.roots[0].children] == ["A1"]
    assert [n.code for n in tree.roots[0].children[0].children] == ["A11"]
    assert tree.roots[0].children[0].children[0].people == 1  # the inactive one is not counted
    assert tree.roots[0].people_total == 1
    assert tree.roots[1].id == other_root.pk and tree.roots[1].children == []


def test_tree_hides_inactive_departments_unless_asked(org):
    root = DepartmentFactory(organization=org, code="A")
    DepartmentFactory(organization=org, code="A1", parent=root, is_active=False)
    DepartmentFactory(organization=org, code="A2", parent=root)

    hidden = selectors.department_tree(org)
    shown = selectors.department_tree(org, include_inactive=True)

    assert [n.code for n in hidden.roots[0].children] == ["A2"]
    assert [n.code for n in shown.roots[0].children] == ["A1", "A2"]
    assert hidden.inactive == 1


def test_active_department_under_an_inactive_one_moves_up_rather_than_disappearing(org):
    root = DepartmentFactory(organization=org, code="A")
    middle = DepartmentFactory(organization=org, code="A1", parent=root, is_active=False)
    DepartmentFactory(organization=org, code="A11", parent=middle)

    tree = selectors.department_tree(org)

    assert [n.code for n in tree.roots[0].children] == ["A11"]


def test_tree_filter_keeps_the_path_to_each_match(org):
    root = DepartmentFactory(organization=org, code="A", name_ru="Компания")
    sales = DepartmentFactory(organization=org, code="A1", name_ru="Продажи", parent=root)
    DepartmentFactory(organization=org, code="A2", name_ru="Закупки", parent=root)

    tree = selectors.department_tree(org, query="продаж")

    assert [n.code for n in tree.roots] == ["A"]
    assert not tree.roots[0].matches
    assert [(n.id, n.matches) for n in tree.roots[0].children] == [(sales.pk, True)]


def test_tree_page_shows_codes_names_heads_and_people(coordinator_client, org):
    root = DepartmentFactory(organization=org, code="COM", name_ru="Коммерция", name_en="Commerce")
    head = PersonFactory(department=root, full_name="Смирнова Анна", is_head=True)
    root.head = head
    root.save()
    DepartmentFactory(organization=org, code="COM-01", name_ru="Продажи", parent=root)
    DepartmentFactory(
        organization=org, code="OLD", name_ru="Архивный отдел", name_en="", is_active=False
    )

    page = coordinator_client.get(_url("department_tree", org), HTTP_ACCEPT_LANGUAGE="ru")
    text = page.content.decode()

    assert page.status_code == 200
    assert "COM-01" in text and "Коммерция" in text and "Смирнова Анна" in text
    assert "<details open>" in text
    assert "Архивный отдел" not in text
    shown = coordinator_client.get(_url("department_tree", org) + "?inactive=1").content.decode()
    assert "Архивный отдел" in shown


def test_tree_page_shows_english_names_in_english(coordinator_client, org):
    DepartmentFactory(organization=org, code="COM", name_ru="Коммерция", name_en="Commerce")
    coordinator_client.post(reverse("set_language"), {"language": "en"})
    text = coordinator_client.get(_url("department_tree", org)).content.decode()
    assert "Commerce" in text and "Коммерция" not in text


def test_tree_page_runs_a_constant_number_of_queries(
    coordinator_client, org, django_assert_max_num_queries
):
    _company(org, divisions=6, per_division=10)  # 66 departments, 198 people
    with django_assert_max_num_queries(8):
        response = coordinator_client.get(_url("department_tree", org))
    assert response.status_code == 200
    assert response.content.decode().count('class="code"') == 66


# --- A department ---


def test_department_page_shows_path_head_children_people_and_links(coordinator_client, org):
    root = DepartmentFactory(organization=org, code="ROOT", name_ru="Компания")
    division = DepartmentFactory(organization=org, code="DIV", name_ru="Дивизион", parent=root)
    dept = DepartmentFactory(organization=org, code="SAL", name_ru="Продажи", parent=division)
    DepartmentFactory(organization=org, code="SAL-1", name_ru="Продажи B2B", parent=dept)
    head = PersonFactory(
        department=dept, full_name="Петров Пётр", position="Директор", is_head=True
    )
    dept.head = head
    dept.save()
    PersonFactory(department=dept, full_name="Сидорова Мария", position="Менеджер")
    it = DepartmentFactory(organization=org, code="IT", name_ru="ИТ")
    hr = DepartmentFactory(organization=org, code="HR", name_ru="Кадры")
    InteractionLinkFactory(client=dept, provider=it, services="Ноутбуки", volume=42)
    InteractionLinkFactory(client=hr, provider=dept, services="Отчёты")

    text = coordinator_client.get(
        _url("department_detail", org, dept.pk), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    for expected in ("Компания", "Дивизион", "SAL-1", "Петров Пётр", "Директор", "Менеджер"):
        assert expected in text
    assert "Ноутбуки" in text and ">42<" in text and "Отчёты" in text
    assert _url("department_set_active", org, dept.pk) in text


def test_department_page_paginates_people(coordinator_client, org):
    dept = DepartmentFactory(organization=org)
    for n in range(30):
        PersonFactory(department=dept, full_name=f"Person {n:02d}")
    first = coordinator_client.get(_url("department_detail", org, dept.pk)).content.decode()
    second = coordinator_client.get(
        _url("department_detail", org, dept.pk) + "?page=2"
    ).content.decode()
    assert "Person 00" in first and "Person 29" not in first
    assert "Person 29" in second


def test_department_page_runs_a_constant_number_of_queries(
    coordinator_client, org, django_assert_max_num_queries
):
    departments = _company(org, divisions=3, per_division=10)
    dept = departments[0]
    for provider in departments[1:20]:
        InteractionLinkFactory(client=dept, provider=provider)
    for client in departments[20:30]:
        InteractionLinkFactory(client=client, provider=dept)
    with django_assert_max_num_queries(11):
        response = coordinator_client.get(_url("department_detail", org, dept.pk))
    assert response.status_code == 200


def test_employee_sees_the_department_but_not_its_links_or_actions(client, org, make_member):
    dept = DepartmentFactory(organization=org)
    InteractionLinkFactory(client=dept, services="Секретная услуга")
    client.force_login(make_member(org, Role.EMPLOYEE, department=dept))
    text = client.get(_url("department_detail", org, dept.pk)).content.decode()
    assert "Секретная услуга" not in text
    assert _url("department_set_active", org, dept.pk) not in text


# --- (De)activation ---


def test_deactivating_asks_for_confirmation_first(coordinator_client, org):
    dept = DepartmentFactory(organization=org)
    url = _url("department_set_active", org, dept.pk)

    response = coordinator_client.post(url, {"active": "0"})

    assert response.status_code == 200
    assert 'name="confirm" value="1"' in response.content.decode()
    dept.refresh_from_db()
    assert dept.is_active
    assert not AuditEntry.objects.filter(action="department.deactivate").exists()


def test_confirmed_deactivation_deactivates_and_writes_an_audit_row(
    coordinator_client, coordinator, org
):
    dept = DepartmentFactory(organization=org)
    url = _url("department_set_active", org, dept.pk)

    response = coordinator_client.post(url, {"active": "0", "confirm": "1"})

    assert response.status_code == 302
    dept.refresh_from_db()
    assert not dept.is_active
    entry = AuditEntry.objects.get(action="department.deactivate")
    assert entry.actor == coordinator and entry.organization == org
    assert entry.object_id == str(dept.pk)

    coordinator_client.post(url, {"active": "1", "confirm": "1"})
    dept.refresh_from_db()
    assert dept.is_active
    assert AuditEntry.objects.filter(action="department.activate").count() == 1


def test_department_with_active_children_or_people_is_not_deactivated(
    coordinator_client, org, coordinator
):
    dept = DepartmentFactory(organization=org)
    DepartmentFactory(organization=org, parent=dept)
    PersonFactory(department=dept)
    url = _url("department_set_active", org, dept.pk)

    confirm = coordinator_client.get(url + "?active=0").content.decode()
    assert "cannot be deactivated" in confirm
    assert 'class="btn btn-danger"' not in confirm  # no button to go ahead

    response = coordinator_client.post(url, {"active": "0", "confirm": "1"})
    assert response.status_code == 200
    assert "1 active sub-department" in response.content.decode()
    dept.refresh_from_db()
    assert dept.is_active

    with pytest.raises(Exception, match="1 active person"):
        department_set_active(actor=coordinator, department=dept, active=False)


def test_department_is_not_activated_under_an_inactive_parent(org, coordinator):
    parent = DepartmentFactory(organization=org, is_active=False)
    dept = DepartmentFactory(organization=org, parent=parent, is_active=False)
    with pytest.raises(Exception, match="activate it first"):
        department_set_active(actor=coordinator, department=dept, active=True)


def test_setting_the_same_state_again_writes_nothing(org, coordinator):
    dept = DepartmentFactory(organization=org)
    assert department_set_active(actor=coordinator, department=dept, active=True) is False
    assert not AuditEntry.objects.exists()


def test_department_update_renames_moves_and_sets_head_with_audit(org, coordinator):
    a = DepartmentFactory(organization=org, code="A")
    b = DepartmentFactory(organization=org, code="B")
    head = PersonFactory(department=b)
    department_update(
        actor=coordinator, department=b, name_ru="Новое имя", name_en="New", parent=a, head=head
    )
    b.refresh_from_db()
    assert (b.name_ru, b.parent_id, b.head_id) == ("Новое имя", a.pk, head.pk)
    entry = AuditEntry.objects.get(action="department.update")
    assert entry.changes["name_ru"][1] == "Новое имя"


def test_department_cannot_move_under_its_own_subdepartment(org, coordinator):
    a = DepartmentFactory(organization=org)
    a1 = DepartmentFactory(organization=org, parent=a)
    with pytest.raises(Exception, match="under itself"):
        department_update(actor=coordinator, department=a, name_ru=a.name_ru, parent=a1)


def test_department_edit_form_on_the_page(coordinator_client, org):
    dept = DepartmentFactory(organization=org, name_ru="Старое")
    url = _url("department_detail", org, dept.pk)
    assert 'name="name_ru"' in coordinator_client.get(url + "?edit=1").content.decode()
    response = coordinator_client.post(url, {"name_ru": "Новое", "name_en": "New"})
    assert response.status_code == 302
    dept.refresh_from_db()
    assert dept.name_ru == "Новое"


# --- People ---


def test_people_list_searches_by_name_or_email_and_filters_by_department(coordinator_client, org):
    sales = DepartmentFactory(organization=org)
    it = DepartmentFactory(organization=org)
    PersonFactory(department=sales, full_name="Анна Продажная", email="anna@example.test")
    PersonFactory(department=it, full_name="Борис Айтишный", email="boris@corp.test")
    url = _url("person_list", org)

    by_name = coordinator_client.get(url, {"q": "продаж"}).content.decode()
    by_email = coordinator_client.get(url, {"q": "corp.test"}).content.decode()
    by_dept = coordinator_client.get(url, {"department": it.pk}).content.decode()

    assert "Анна Продажная" in by_name and "Борис" not in by_name
    assert "Борис Айтишный" in by_email and "Анна" not in by_email
    assert "Борис Айтишный" in by_dept and "Анна" not in by_dept


def test_people_list_runs_a_constant_number_of_queries(
    coordinator_client, org, django_assert_max_num_queries
):
    _company(org, divisions=3, per_division=10)
    with django_assert_max_num_queries(9):
        response = coordinator_client.get(_url("person_list", org))
    assert response.status_code == 200
    assert response.content.decode().count("<tr") == 51  # 50 a page + the header


def test_person_deactivation_is_confirmed_and_audited(coordinator_client, org, coordinator):
    person = PersonFactory(department=DepartmentFactory(organization=org))
    url = _url("person_set_active", org, person.pk)

    first = coordinator_client.post(url, {"active": "0"})
    person.refresh_from_db()
    assert first.status_code == 200 and person.is_active

    done = coordinator_client.post(
        url, {"active": "0", "confirm": "1", "next": "https://evil.test/"}
    )
    person.refresh_from_db()
    assert not person.is_active
    assert done.url == _url("person_list", org)  # never redirected off the site
    assert AuditEntry.objects.get(action="person.deactivate").actor == coordinator


def test_person_is_not_activated_in_an_inactive_department(org, coordinator):
    dept = DepartmentFactory(organization=org, is_active=False)
    person = PersonFactory(department=dept, is_active=False)
    with pytest.raises(Exception, match="inactive"):
        person_set_active(actor=coordinator, person=person, active=True)


# --- Access ---


@pytest.mark.parametrize("role", [Role.ANALYST, Role.HEAD, Role.EMPLOYEE])
def test_only_the_coordinator_changes_the_structure(client, org, make_member, role):
    dept = DepartmentFactory(organization=org)
    person = PersonFactory(department=dept)
    client.force_login(make_member(org, role, department=dept))
    for url in (
        _url("department_set_active", org, dept.pk),
        _url("person_set_active", org, person.pk),
    ):
        assert client.post(url, {"active": "0", "confirm": "1"}).status_code == 403
    assert client.post(_url("department_detail", org, dept.pk), {"name_ru": "X"}).status_code == 302
    dept.refresh_from_db()
    person.refresh_from_db()
    assert dept.is_active and person.is_active and dept.name_ru != "X"


def test_outsider_gets_404_for_every_structure_object(client, org, make_member):
    dept = DepartmentFactory(organization=org)
    person = PersonFactory(department=dept)
    other = OrganizationFactory()
    client.force_login(make_member(other, Role.COORDINATOR))
    for url in (
        reverse("org:department_detail", args=[other.slug, dept.pk]),
        reverse("org:department_set_active", args=[other.slug, dept.pk]),
        reverse("org:person_set_active", args=[other.slug, person.pk]),
        _url("department_tree", org),
        _url("department_detail", org, dept.pk),
        _url("person_list", org),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"active": "0", "confirm": "1"}).status_code in (404, 405), url
    assert Department.objects.get(pk=dept.pk).is_active
    assert Person.objects.get(pk=person.pk).is_active
