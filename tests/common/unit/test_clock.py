"""The business clock: a test's setting, then the configured file, then the wall clock; dates are
the county's (Asia/Shanghai), so 23:30 UTC is already tomorrow in the county."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from nameko import config

from sanbao_common import clock

CST = timezone(timedelta(hours=8))


def test_the_county_date_is_asia_shanghai_not_utc(business_clock):
    clock.set(datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    assert clock.today() == date(2026, 2, 1)
    assert clock.now() == datetime(2026, 1, 31, 23, 30, tzinfo=UTC)


def test_advance_moves_from_where_it_stands_and_reset_returns_to_the_wall(business_clock):
    clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=CST))
    assert clock.advance(timedelta(days=31)).astimezone(CST) == datetime(
        2026, 4, 1, 9, 0, tzinfo=CST
    )
    clock.reset()
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_naive_instant_is_refused_rather_than_guessed(business_clock):
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 3, 1, 9, 0))


def test_the_configured_file_moves_a_running_services_time(tmp_path):
    path = tmp_path / "clock"
    clock.write_file(path, datetime(2027, 7, 15, 10, 0, tzinfo=CST))
    with config.patch({"CLOCK_FILE": str(path)}):
        assert clock.today() == date(2027, 7, 15)
        clock.write_file(path, datetime(2027, 8, 15, 10, 0, tzinfo=CST))
        assert clock.today() == date(2027, 8, 15)  # read again when the file changes
        clock.set(datetime(2026, 1, 1, tzinfo=CST))
        assert clock.today() == date(2026, 1, 1)  # a test's own setting comes first
        clock.reset()
        path.write_text("next tuesday")
        with pytest.raises(clock.ClockFileError):
            clock.now()  # never the wall clock in its place: the file was meant
