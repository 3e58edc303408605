"""Every URL pattern × every role: members get what their role allows, others get nothing.

The table below must name every URL pattern the project serves: a new URL without an entry
fails ``test_every_url_pattern_has_an_access_rule``. For each organization URL we check:
- each role of the organization: allowed → not 403/404 and no server error; denied → 403;
- each role of *another* organization, on this organization's URL: 404 (never a hint);
- the other organization's coordinator, on his own URL but with this organization's object
  ids: 404 (objects are looked up inside the organization);
- an anonymous visitor: redirected to sign-in.
"""

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from innerclient.core.models import Role
from tests.factories import (
    DepartmentFactory,
    InteractionLinkFactory,
    MembershipFactory,
    OrganizationFactory,
    PersonFactory,
)

ALL = frozenset(Role.values)
COORD = frozenset({Role.COORDINATOR})
READERS = frozenset({Role.COORDINATOR, Role.ANALYST, Role.HEAD})


@dataclass(frozen=True)
class Rule:
    allowed: frozenset
    method: str = "get"
    # Names of world objects whose pk fills the URL's kwargs, e.g. {"pk": "department"}.
    objects: tuple[tuple[str, str], ...] = ()
    extra: tuple[tuple[str, str], ...] = ()


ORG_RULES: dict[str, Rule] = {
    "org:home": Rule(ALL),
    "org:audit_log": Rule(COORD),
    "org:member_list": Rule(COORD),
    "org:member_edit": Rule(COORD, objects=(("pk", "membership"),)),
    "org:member_unlock": Rule(COORD, objects=(("pk", "membership"),)),
    "org:department_tree": Rule(ALL),
    "org:department_detail": Rule(ALL, objects=(("pk", "department"),)),
    "org:department_set_active": Rule(COORD, method="post", objects=(("pk", "department"),)),
    "org:person_list": Rule(ALL),
    "org:person_set_active": Rule(COORD, method="post", objects=(("pk", "person"),)),
    "org:import_list": Rule(COORD),
    "org:import_upload": Rule(COORD, extra=(("kind", "departments"),)),
    "org:import_template": Rule(COORD, extra=(("kind", "people"),)),
    "org:import_detail": Rule(COORD, objects=(("pk", "data_import"),)),
    "org:import_mapping": Rule(COORD, objects=(("pk", "data_import"),)),
    "org:import_apply": Rule(COORD, method="post", objects=(("pk", "data_import"),)),
    "org:import_cancel": Rule(COORD, method="post", objects=(("pk", "data_import"),)),
    "org:import_status": Rule(COORD, objects=(("pk", "data_import"),)),
    "org:map_matrix": Rule(READERS),
    "org:map_cell": Rule(
        COORD,
        method="post",
        objects=(("client_pk", "department"), ("provider_pk", "department2")),
    ),
    "org:link_list": Rule(READERS),
    "org:link_edit": Rule(COORD, objects=(("pk", "link"),)),
    "org:map_export": Rule(READERS),
}


# Feature areas keep their own rules beside this file (tests/access_rules/*.py: ORG_RULES and
# PUBLIC_URLS); they are merged here so one test still sees every URL pattern.
def _merge_feature_rules():
    import importlib
    import pkgutil

    import tests.access_rules as package

    public = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"tests.access_rules.{info.name}")
        ORG_RULES.update(getattr(module, "ORG_RULES", {}))
        public |= set(getattr(module, "PUBLIC_URLS", set()))
        if hasattr(module, "extend_world"):
            WORLD_EXTENSIONS.append(module.extend_world)
    return public


WORLD_EXTENSIONS: list = []  # f(world) -> dict of extra named objects, e.g. {"cycle": cycle}
FEATURE_PUBLIC_URLS = _merge_feature_rules()

# URLs outside any organization, checked separately below.
GLOBAL_URLS = {
    "home",
    "organization_list",
    "organization_create",
    "login",
    "logout",
    "set_language",
}


def _pattern_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _pattern_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_pattern_has_an_access_rule():
    names = set(_pattern_names())
    missing = names - set(ORG_RULES) - GLOBAL_URLS - FEATURE_PUBLIC_URLS
    assert not missing, f"URL patterns without an access rule: {sorted(missing)}"
    stale = (set(ORG_RULES) | GLOBAL_URLS | FEATURE_PUBLIC_URLS) - names
    assert not stale, f"Access rules for URLs that no longer exist: {sorted(stale)}"


def _world(organization):
    from innerclient.org.models import DataImport

    department = DepartmentFactory(organization=organization)
    department2 = DepartmentFactory(organization=organization, parent=department)
    person = PersonFactory(department=department)
    link = InteractionLinkFactory(client=department, provider=department2)
    coordinator = MembershipFactory(organization=organization, role=Role.COORDINATOR)
    data_import = DataImport.objects.create(
        organization=organization,
        kind=DataImport.Kind.DEPARTMENTS,
        filename="departments.csv",
        content=b"code;name\nX;Y\n",
    )
    members = {
        Role.COORDINATOR: coordinator.user,
        Role.ANALYST: MembershipFactory(organization=organization, role=Role.ANALYST).user,
        Role.HEAD: MembershipFactory(
            organization=organization, role=Role.HEAD, department=department
        ).user,
        Role.EMPLOYEE: MembershipFactory(
            organization=organization, role=Role.EMPLOYEE, department=department2
        ).user,
    }
    world = {
        "organization": organization,
        "department": department,
        "department2": department2,
        "person": person,
        "link": link,
        "membership": coordinator,
        "data_import": data_import,
        "members": members,
    }
    for extend in WORLD_EXTENSIONS:
        world.update(extend(world))
    return world


@pytest.fixture
def worlds(db):
    return _world(OrganizationFactory()), _world(OrganizationFactory())


def _url(name, rule, world, slug=None):
    kwargs = {"org_slug": slug or world["organization"].slug}
    kwargs.update({key: world[obj].pk for key, obj in rule.objects})
    kwargs.update(dict(rule.extra))
    return reverse(name, kwargs=kwargs)


def _request(client, rule, url):
    return getattr(client, rule.method)(url)


@pytest.mark.parametrize("name", sorted(ORG_RULES))
def test_each_role_gets_what_its_rule_allows(client, worlds, name):
    rule = ORG_RULES[name]
    own, _other = worlds
    for role, user in own["members"].items():
        client.force_login(user)
        response = _request(client, rule, _url(name, rule, own))
        if role in rule.allowed:
            assert response.status_code not in (403, 404), (role, response.status_code)
            assert response.status_code < 500
        else:
            assert response.status_code == 403, (role, response.status_code)


@pytest.mark.parametrize("name", sorted(ORG_RULES))
def test_members_of_another_organization_get_404(client, worlds, name):
    rule = ORG_RULES[name]
    own, other = worlds
    for user in other["members"].values():
        client.force_login(user)
        assert _request(client, rule, _url(name, rule, own)).status_code == 404


@pytest.mark.parametrize("name", sorted(n for n, r in ORG_RULES.items() if r.objects))
def test_objects_of_another_organization_are_404_through_own_organization(client, worlds, name):
    rule = ORG_RULES[name]
    own, other = worlds
    client.force_login(other["members"][Role.COORDINATOR])
    url = _url(name, rule, own, slug=other["organization"].slug)
    assert _request(client, rule, url).status_code == 404


@pytest.mark.parametrize("name", sorted(ORG_RULES))
def test_anonymous_visitor_is_sent_to_sign_in(client, worlds, name):
    rule = ORG_RULES[name]
    own, _other = worlds
    response = _request(client, rule, _url(name, rule, own))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_global_pages(client, worlds):
    own, _other = worlds
    assert client.get(reverse("home")).status_code == 302
    assert client.get(reverse("organization_list")).status_code == 302
    assert client.get(reverse("login")).status_code == 200
    employee = own["members"][Role.EMPLOYEE]
    client.force_login(employee)
    assert client.get(reverse("organization_list")).status_code == 200
    assert client.get(reverse("organization_create")).status_code == 403
    client.force_login(own["members"][Role.COORDINATOR])
    assert client.get(reverse("organization_create")).status_code == 200
