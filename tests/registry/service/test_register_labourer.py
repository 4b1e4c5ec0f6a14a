"""RegistryService's entrypoints with a real database and everything else replaced."""

import threading
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from registry.exceptions import LabourerAlreadyRegistered, LabourerNotFound
from registry.service import RegistryService
from sanbao_common.context import Caller
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.errors import InvalidInput


@pytest.fixture
def service(databases):
    engine = create_database_engine(databases["registry"])
    context = SimpleNamespace(caller=lambda: Caller("532501", "cli:tester", "corr-1"))
    yield worker_factory(
        RegistryService, db=DatabaseHandle(engine, threading.Lock()), context=context
    )
    engine.dispose()


def person(sample, **changes):
    data = {
        "name": sample.name(),
        "id_number": sample.id_number("532501"),
        "village_code": "532501001201",
        "phone": sample.phone(),
    }
    data.update(changes)
    return data


def test_registering_returns_the_masked_record_and_publishes_one_event(service, sample):
    data = person(sample)
    reply = service.register_labourer(data)
    assert reply["id_number_masked"] == data["id_number"][:6] + "********" + data["id_number"][-4:]
    assert data["id_number"] not in str(reply) and data["phone"] not in str(reply)
    assert reply["version"] == 1
    service.events.assert_called_once()
    event_type, envelope = service.events.call_args.args
    assert event_type == "labourer_registered"
    assert envelope["record_id"] == reply["person_id"] and envelope["version"] == 1
    assert envelope["actor"] == "cli:tester" and envelope["correlation_id"] == "corr-1"
    assert data["id_number"] not in str(envelope) and data["phone"] not in str(envelope)
    assert service.count_labourers() == {"labourers": 1}


def test_the_same_id_number_twice_is_refused_with_a_pointer(service, sample):
    data = person(sample)
    first = service.register_labourer(data)
    service.events.reset_mock()
    lowercase = dict(data, id_number=data["id_number"].lower(), name="王芳")
    with pytest.raises(LabourerAlreadyRegistered) as caught:
        service.register_labourer(lowercase)
    assert first["person_id"] in str(caught.value)
    service.events.assert_not_called()
    assert service.count_labourers() == {"labourers": 1}


def test_bad_input_is_refused_whole_and_writes_nothing(service, sample):
    data = person(sample, id_number="532501199003150012", phone="12345", village_code="5325")
    with pytest.raises(InvalidInput) as caught:
        service.register_labourer(data)
    text = str(caught.value)
    assert "id_number:" in text and "phone:" in text and "village_code:" in text
    assert service.count_labourers() == {"labourers": 0}
    service.events.assert_not_called()


def test_unknown_fields_are_refused(service, sample):
    with pytest.raises(InvalidInput, match="poor: Unknown field"):
        service.register_labourer(person(sample, poor=True))


def test_a_village_of_another_county_is_refused(service, sample):
    with pytest.raises(Exception, match="OUTSIDE_COUNTY"):
        service.register_labourer(person(sample, village_code="532528101201"))
    assert service.count_labourers() == {"labourers": 0}


def test_an_unknown_person_is_not_found(service):
    with pytest.raises(LabourerNotFound):
        service.get_labourer("no-such-person")
