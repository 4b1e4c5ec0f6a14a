"""The pool only ever moves forward in a labourer's versions."""

from datetime import date

from dispatch.domain.model import Candidate, supersedes


def candidate(version):
    return Candidate(
        "p1", "李秀英", "532501********0013", "male", date(1990, 3, 15), "532501001201", version
    )


def test_a_first_sighting_is_applied():
    assert supersedes(1, None)


def test_only_a_newer_version_replaces_the_copy():
    assert supersedes(3, candidate(2))
    assert not supersedes(2, candidate(2))  # redelivered
    assert not supersedes(1, candidate(2))  # arrived late
