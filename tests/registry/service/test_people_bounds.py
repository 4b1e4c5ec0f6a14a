"""registry's lists are bounded, on SQLite and on PostgreSQL: a batch of labourers (1,000), a
person's skills, intended regions and industries, and trainings (20 items of at most 50
characters each), a new user's roles (every role once). One more is refused with the field
named, nothing is stored; the bound itself is accepted."""

import uuid

import pytest

from registry.people.domain import MAX_ITEM_CHARS, MAX_LIST_ITEMS
from registry.schemas import MAX_LABOURERS_PER_BATCH
from sanbao_common.access import ROLES
from sanbao_common.errors import InvalidInput
from testkit import principal

LIST_COLUMNS = ("skills", "intention_regions", "intention_industries", "training_intention")


@pytest.fixture
def operator(registry_worker):
    return registry_worker(principal(["coop_operator"], scope="532501"))


def key() -> str:
    return uuid.uuid4().hex


def person(sample, **columns) -> dict:
    return {
        "name": sample.name(),
        "id_number": sample.id_number("532501"),
        "village_code": "532501001201",
        **columns,
    }


def items(count: int, width: int = 2) -> str:
    """`count` distinct items as a roster cell writes them, each `width` characters."""
    return "；".join(f"{n}{'甲' * width}"[:width] for n in range(count))


def refused(call) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value


def test_one_labourer_too_many_is_refused_naming_the_field(operator, sample):
    rows = [person(sample) for _ in range(MAX_LABOURERS_PER_BATCH + 1)]
    error = refused(lambda: operator.register_labourers(rows, key()))
    assert list(error.errors) == ["labourers"]
    assert f"Length must be between 1 and {MAX_LABOURERS_PER_BATCH}" in str(error)
    assert operator.count_labourers() == {"labourers": 0}


@pytest.mark.parametrize("column", LIST_COLUMNS)
def test_a_list_column_takes_at_most_its_bound_of_items(operator, sample, column):
    too_many = person(sample, **{column: items(MAX_LIST_ITEMS + 1)})
    error = refused(lambda: operator.register_labourer(too_many, key()))
    assert list(error.errors) == [column]
    assert f"at most {MAX_LIST_ITEMS} items" in str(error)
    too_long = person(sample, **{column: "甲" * (MAX_ITEM_CHARS + 1)})
    assert list(refused(lambda: operator.register_labourer(too_long, key())).errors) == [column]
    # In a batch, the row alone is refused, naming the column.
    reply = operator.register_labourers([too_many, person(sample)], key())
    assert [row["index"] for row in reply["refused"]] == [0]
    assert reply["refused"][0]["problems"][0]["column"] == column
    assert operator.count_labourers() == {"labourers": 1}
    # Exactly the bound, each item as long as allowed, is registered.
    at_bound = person(sample, **{column: items(MAX_LIST_ITEMS, MAX_ITEM_CHARS)})
    registered = operator.register_labourer(at_bound, key())
    assert len(registered[column]) == MAX_LIST_ITEMS


def test_an_update_may_not_grow_a_list_past_its_bound(operator, sample):
    registered = operator.register_labourer(person(sample), key())
    error = refused(
        lambda: operator.update_labourer(
            registered["person_id"], {"intention_regions": items(MAX_LIST_ITEMS + 1)}, key()
        )
    )
    assert list(error.errors) == ["intention_regions"]


def test_a_new_user_holds_each_role_at_most_once(registry_worker):
    admin = registry_worker(principal(["county_admin"]))
    user = {
        "username": "li.si",
        "display_name": "李四",
        "org_id": "org-test",
        "roles": ["coop_operator"] * (len(ROLES) + 1),
    }
    assert "roles" in refused(lambda: admin.create_user(user, key())).errors
