"""Employers and HR companies' service stations through DispatchService on a real database:
registered once each, read by everyone; refused with a clear error (a wrong credit code, an
unknown industry, another company's station), and nothing written."""

import pytest
from sqlalchemy import func, select

from dispatch.adapters.order_tables import employers, service_stations
from dispatch_support import key
from sanbao_common.access import Forbidden, OutOfScope
from sanbao_common.errors import DomainError, InvalidInput
from sanbao_common.validators import credit_code_check_char

CREDIT = "91350100M000100Y43"  # GB 32100's published example
OTHER_CREDIT = "91532501MA6K0R1X2A"


def employer_input(**changes) -> dict:
    employer = {
        "name": "东莞市长安电子科技有限公司",
        "credit_code": CREDIT,
        "place_scope": "outside_province",
        "place": "广东省东莞市长安镇",
        "industry": "C39",
    }
    employer.update(changes)
    return employer


def station_input(**changes) -> dict:
    return {"name": "东莞农民工服务站", "place_scope": "省外", "place": "广东省东莞市", **changes}


def rows(dispatch, table) -> int:
    with dispatch.db.reader() as uow:
        return uow.connection.execute(select(func.count()).select_from(table)).scalar()


def refused(call, error=DomainError) -> DomainError:
    with pytest.raises(error) as caught:
        call()
    return caught.value


@pytest.fixture
def hr(dispatch):
    return dispatch.as_(["hr_operator"], dispatch.hr, user="zhou.hr")


# -- employers -------------------------------------------------------------------------------


def test_an_employer_is_registered_once_per_credit_code(dispatch, hr):
    registered = hr.register_employer(employer_input(industry="电子厂"), key())
    assert registered["industry"] == "C39"  # the word, as a code
    assert registered["registered_by_org"] == dispatch.hr.org_id
    assert registered["registered_by"] == "user:zhou.hr"
    assert registered["version"] == 1
    # The same code as a clerk may type it (lower case, full width) is the same employer,
    # whoever registers it.
    for typed in (CREDIT.lower(), "９１３５０１００Ｍ０００１００Ｙ４３"):
        error = refused(lambda typed=typed: dispatch.admin().register_employer(
            employer_input(name="另一个名字", credit_code=typed), key()
        ))  # fmt: skip
        assert error.code == "EMPLOYER_EXISTS"
        assert registered["employer_id"] in str(error)
    assert rows(dispatch, employers) == 1
    assert dispatch.as_(["agent"]).list_employers() == {"employers": [registered]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"credit_code": CREDIT[:17] + "4"}, "credit_code"),  # check character wrong
        ({"credit_code": CREDIT[:-1]}, "credit_code"),
        ({"credit_code": "91350100M000100YI3"}, "credit_code"),  # I is never used
        ({"credit_code": None}, "credit_code"),
        ({"name": ""}, "name"),
        ({"name": "厂" * 101}, "name"),
        ({"place_scope": "国外"}, "place_scope"),
        ({"place": ""}, "place"),
        ({"industry": ""}, "industry"),
        ({"registered_by_org": "org-other"}, "registered_by_org"),
    ],
)
def test_a_bad_employer_is_refused_naming_the_field(dispatch, hr, changes, field):
    error = refused(lambda: hr.register_employer(employer_input(**changes), key()), InvalidInput)
    assert field in error.errors
    assert rows(dispatch, employers) == 0


def test_the_credit_code_refusal_says_what_is_wrong(hr):
    error = refused(
        lambda: hr.register_employer(employer_input(credit_code=CREDIT[:17] + "4"), key())
    )
    assert "check character is wrong" in error.message_en and "校验码错误" in error.message_zh
    assert credit_code_check_char(CREDIT[:17]) == "3"


def test_an_employer_in_no_known_industry_is_refused(dispatch, hr):
    error = refused(lambda: hr.register_employer(employer_input(industry="炼丹"), key()))
    assert error.code == "VOCABULARY_CODE_UNKNOWN" and "炼丹" in error.message_zh
    assert rows(dispatch, employers) == 0


@pytest.mark.parametrize("role", ["coop_operator", "agent", "signatory", "finance", "auditor"])
def test_only_hr_operators_and_administrators_register_employers(dispatch, role):
    caller = dispatch.as_([role], user="x")
    refused(lambda: caller.register_employer(employer_input(), key()), Forbidden)
    refused(lambda: caller.register_service_station(station_input(), key()), Forbidden)
    assert rows(dispatch, employers) == rows(dispatch, service_stations) == 0


def test_employers_are_listed_by_industry_and_place(dispatch, hr):
    far = hr.register_employer(employer_input(), key())
    near = hr.register_employer(
        employer_input(
            name="个旧市建筑工程有限公司",
            credit_code=OTHER_CREDIT,
            place_scope="县内",
            place="个旧市",
            industry="房建",
        ),
        key(),
    )
    reader = dispatch.as_(["coop_operator"])
    assert reader.list_employers()["employers"] == [far, near]  # by name
    assert reader.list_employers(industry="E47")["employers"] == [near]
    assert reader.list_employers(place_scope="outside_province")["employers"] == [far]
    refused(lambda: reader.list_employers(place_scope="abroad"), InvalidInput)
    refused(lambda: reader.list_employers(industry=47), InvalidInput)


# -- service stations ------------------------------------------------------------------------


def test_an_hr_operator_registers_its_own_companys_stations(dispatch, hr):
    dispatch.sealed_agreement()
    station = hr.register_service_station(station_input(), key())
    assert station["hr_company"] == dispatch.hr.org_id
    assert station["place_scope"] == "outside_province"
    error = refused(lambda: hr.register_service_station(station_input(place="东莞"), key()))
    assert error.code == "SERVICE_STATION_EXISTS"
    assert rows(dispatch, service_stations) == 1
    # Another company may have a station of the same name.
    rival = dispatch.hr_company("org-hr-rival")
    dispatch.sealed_agreement(rival)
    rivals = dispatch.as_(["hr_operator"], rival, user="rival.hr")
    theirs = rivals.register_service_station(station_input(), key())
    reader = dispatch.as_(["agent"])
    assert len(reader.list_service_stations()["stations"]) == 2
    assert reader.list_service_stations(hr_company=rival.org_id)["stations"] == [theirs]


def test_an_hr_operator_cannot_register_a_station_for_another_company(dispatch, hr):
    rival = dispatch.hr_company("org-hr-rival")
    dispatch.sealed_agreement(rival)
    dispatch.sealed_agreement()
    refused(
        lambda: hr.register_service_station(station_input(hr_company=rival.org_id), key()),
        OutOfScope,
    )
    assert rows(dispatch, service_stations) == 0


def test_an_administrator_names_a_company_the_county_has_an_agreement_with(dispatch):
    admin = dispatch.admin()
    error = refused(lambda: admin.register_service_station(station_input(), key()))
    assert error.code == "HR_COMPANY_UNKNOWN" and "hr_company" in error.message_en
    # A made-up organisation, or a real one no agreement names, is not an HR company here.
    dispatch.hr_company("org-hr-no-agreement")
    for org_id in ("org-made-up", "org-hr-no-agreement", dispatch.county.org_id):
        error = refused(
            lambda org_id=org_id: admin.register_service_station(
                station_input(hr_company=org_id), key()
            )
        )
        assert error.code == "HR_COMPANY_UNKNOWN"
    assert rows(dispatch, service_stations) == 0
    dispatch.draft()  # a draft names the HR company too
    station = admin.register_service_station(station_input(hr_company=dispatch.hr.org_id), key())
    assert station["hr_company"] == dispatch.hr.org_id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"place_scope": "县外"}, "place_scope"),
        ({"place": None}, "place"),
        ({"hr_company": ""}, "hr_company"),
        ({"station_id": "chosen-by-me"}, "station_id"),
    ],
)
def test_a_bad_station_is_refused_naming_the_field(dispatch, hr, changes, field):
    dispatch.sealed_agreement()
    error = refused(
        lambda: hr.register_service_station(station_input(**changes), key()), InvalidInput
    )
    assert field in error.errors
    assert rows(dispatch, service_stations) == 0
