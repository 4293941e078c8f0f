import pytest

from fieldwork.accounts.services import user_create
from fieldwork.core.errors import ServiceError
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", ["x" * 151, "has space", "semi;colon"])
def test_an_account_name_that_cannot_be_stored_is_refused_with_a_field_error(username):
    with pytest.raises(ServiceError) as err:
        user_create(username=username, password=PASSWORD)
    assert "username" in err.value.message_dict
