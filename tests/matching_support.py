"""What the matching tests share (tests/dispatch/service/test_matching*.py, tests/cli/
test_matching_cli.py): labourers as registry's events carry them, fed to dispatch's pool as its
consumers apply them; a booking as part 2's batches will make; job orders opened through the
orders RPC."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import update

from dispatch import handlers
from dispatch.adapters.tables import candidates
from dispatch_support import key, today
from sanbao_common.envelope import new_envelope, parse_envelope

COUNTY = "532501"
VILLAGE, OTHER_VILLAGE = "532501001201", "532501002203"
STARTS = today() + timedelta(days=14)
AGE = STARTS.year  # born in AGE - n: n or n - 1 years old on the start date


def labourer(name: str, **changes) -> dict:
    """A person as registry's labourer events carry them: at home, meaning to go outside the
    province, 30 on the start date, an assembler wanting electronics work and training."""
    state = {
        "person_id": str(uuid.uuid5(uuid.NAMESPACE_OID, name)), "name": name,
        "id_number_masked": "532501***********X", "phone_masked": "139****5678",
        "sex": "female", "birth_year": AGE - 31, "village_code": VILLAGE, "village_group": None,
        "household_id": None, "poor": False, "agent_id": "agent-1", "status": "active",
        "employment_status": "at_home", "skills": ["普工"], "intention_scope": "outside_province",
        "intention_regions": ["广东省"], "intention_industries": ["电子厂"],
        "industry_codes": ["C39"], "skill_codes": ["assembler"], "training_intention": ["电工"],
        "expected_wage_fen": 450000, "earliest_start": STARTS.isoformat(),
        "willing_to_go": True, "version": 1,
    }  # fmt: skip
    state.update(changes)
    return state


def feed(dispatch, *people: dict, event_type: str = "labourer_registered") -> None:
    """Registry's event about these people, applied as dispatch's consumer applies it."""
    envelope = new_envelope(
        event_type, source="registry", county=COUNTY, payload={"people": list(people)},
        actor="user:clerk", correlation_id="corr",
    )  # fmt: skip
    with dispatch.db.unit_of_work() as uow:
        handlers.apply_labourer_states(uow, [parse_envelope(envelope, COUNTY)])
        uow.commit()


def book(dispatch, person: dict, batch: str = "batch-1") -> None:
    """What part 2's batches will do: hold a person."""
    with dispatch.db.unit_of_work() as uow:
        uow.connection.execute(
            update(candidates)
            .where(candidates.c.person_id == person["person_id"])
            .values(booked_by=batch)
        )
        uow.commit()


def order_opener(dispatch, hr):
    """Opens an order of dispatch's HR company (an electronics plant in Guangdong, assemblers,
    18 to 45) with `changes`; returns its id."""
    agreement = dispatch.sealed_agreement()
    employer = hr.register_employer(
        {"name": "东莞市长安电子科技有限公司", "credit_code": "91350100M000100Y43",
         "place_scope": "outside_province", "place": "广东省东莞市长安镇", "industry": "C39"},
        key(),
    )  # fmt: skip

    def opening(**changes) -> str:
        order = {
            "agreement_id": agreement, "employer_id": employer["employer_id"],
            "title": "电子厂普工", "positions": "流水线装配", "head_count": 2,
            "wage_min": "4500.00", "wage_max": "6000.00", "place_scope": "outside_province",
            "place": "广东省东莞市长安镇", "industry": "C39", "skills": ["assembler"],
            "age_min": 18, "age_max": 45, "starts_on": STARTS.isoformat(),
        }  # fmt: skip
        order.update(changes)
        return hr.open_job_order(order, key())["order_id"]

    return opening
