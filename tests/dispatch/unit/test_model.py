"""The pool never moves back in a labourer's versions (the same version is taken again: a
resync fills what the copy lacked), and counts every event applied."""

from dataclasses import replace

from dispatch.domain.model import Candidate, apply_state


def candidate(version, name="李秀英", applied=0):
    return Candidate(
        "p1", name, "532501***********3", "male", 1990, "532501001201", version,
        events_applied=applied,
    )  # fmt: skip


def test_a_first_sighting_is_taken_whole_and_counted_once():
    assert apply_state(None, candidate(1)) == candidate(1, applied=1)


def test_a_newer_version_replaces_the_copy():
    current = candidate(2, applied=2)
    assert apply_state(current, candidate(3, name="李秀华")) == candidate(3, "李秀华", applied=3)


def test_an_older_version_changes_nothing_but_the_count():
    current = candidate(2, applied=2)
    late = apply_state(current, candidate(1, name="旧名"))
    assert late == replace(current, events_applied=3)


def test_the_same_version_is_taken_again_to_fill_what_the_copy_lacked():
    """A resync sends a labourer's state at the version the pool holds, with fields the copy did
    not keep before (sanbao_common.messaging.resync); it is the same state, so it replaces."""
    current = candidate(2, applied=2)
    fuller = replace(candidate(2), skills=["电焊工"], intention_regions=["广东省"])
    assert apply_state(current, fuller) == replace(fuller, events_applied=3)
