import pytest

from fieldwork.accounts.models import Role
from fieldwork.instruments.services import instrument_version_publish


@pytest.fixture
def world(study_world):
    """The test world with its questionnaire version published, as recording needs."""
    instrument_version_publish(
        version=study_world.instrument_version, by=study_world.member(Role.STUDY_ADMIN)
    )
    study_world.instrument_version.refresh_from_db()
    return study_world
