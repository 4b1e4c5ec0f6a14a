"""docs/events.md and docs/api.md list exactly what the code publishes, consumes and serves."""

import importlib
import re

from nameko.rpc import Rpc

from sanbao_common.messaging.consumer import EventConsumer
from sanbao_common.messaging.subscriptions import SUBSCRIPTIONS
from testkit import ROOT, SERVICES

SERVICE_CLASSES = {
    service: getattr(
        importlib.import_module(f"{service}.service"), f"{service.capitalize()}Service"
    )
    for service in SERVICES
}


def entrypoints(service_cls, kind):
    for name in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, kind):
                yield name, entrypoint


def published_in_code() -> dict[str, str]:
    """event type -> publishing service, from every place code names an event it publishes:
    `new_envelope("<type>", ...)`, a module's `_event("<type>", ...)` or
    `_people_events("<type>", ...)` helper, `event="<type>"`."""
    published = {}
    pattern = re.compile(
        r'(?:new_envelope\(\s*|_event\(\s*|_people_events\(\s*|event=)"([a-z]+(?:_[a-z]+)+)"'
    )
    for service in SERVICES:
        for path in (ROOT / "services" / service / service).rglob("*.py"):
            for event_type in pattern.findall(path.read_text()):
                published[event_type] = service
    return published


def consumed_in_code() -> dict[str, set[str]]:
    consumed: dict[str, set[str]] = {}
    for service, cls in SERVICE_CLASSES.items():
        for name, entrypoint in entrypoints(cls, EventConsumer):
            consumed.setdefault(entrypoint.event_type, set()).add(f"{service}.{name}")
    return consumed


def documented_events() -> dict[str, dict]:
    text = (ROOT / "docs/events.md").read_text()
    events = {}
    for section in re.split(r"^### ", text.split("## Event types", 1)[1], flags=re.M)[1:]:
        event_type = section.split("\n", 1)[0].strip()
        publisher = re.search(r"- Publisher: `([a-z]+)`", section).group(1)
        consumers_line = re.search(r"- Consumers: (.*)", section).group(1)
        events[event_type] = {
            "publisher": publisher,
            "consumers": set(re.findall(r"`([a-z]+\.[a-z_]+)`", consumers_line)),
        }
    return events


def test_every_event_is_documented_with_its_publisher_and_consumers():
    documented = documented_events()
    published = published_in_code()
    consumed = consumed_in_code()
    assert set(documented) == set(published) | set(consumed)
    # An event a service consumes before its publisher is built (a request to the fund that
    # settlement will send) is documented under the publisher its subscription names.
    subscribed_from = {s.event_type: s.source for s in SUBSCRIPTIONS}
    for event_type, doc in documented.items():
        publisher = published.get(event_type) or subscribed_from.get(event_type)
        assert doc["publisher"] == publisher, event_type
        assert doc["consumers"] == consumed.get(event_type, set()), event_type


def test_every_rpc_method_is_documented():
    text = (ROOT / "docs/api.md").read_text()
    documented = set(re.findall(r"^### ([a-z]+\.[a-z_]+)\(", text, flags=re.M))
    in_code = {
        f"{service}.{name}"
        for service, cls in SERVICE_CLASSES.items()
        for name, _ in entrypoints(cls, Rpc)
        if name != "health"  # every service's; documented once as <service>.health()
    }
    assert documented == in_code


def test_every_consumer_in_code_is_in_the_county_topology_and_back():
    in_code = {
        (service, name, entrypoint.source, entrypoint.event_type)
        for service, cls in SERVICE_CLASSES.items()
        for name, entrypoint in entrypoints(cls, EventConsumer)
    }
    declared = {(s.consumer, s.handler, s.source, s.event_type) for s in SUBSCRIPTIONS}
    assert in_code == declared


def test_the_access_page_lists_the_matrix_the_code_enforces():
    from sanbao_common.access import PERMISSIONS, ROLES

    text = (ROOT / "docs/access.md").read_text()
    rows = dict(re.findall(r"^\| ([a-z_]+\.[a-z_]+) \| ([^|]+) \|$", text, flags=re.M))
    assert set(rows) == set(PERMISSIONS)
    for permission, roles in PERMISSIONS.items():
        listed = rows[permission].strip()
        if listed.startswith("all"):
            assert roles == set(ROLES), permission
        else:
            assert set(listed.split(", ")) == roles, permission
