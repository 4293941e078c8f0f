import pytest

from fieldwork.sources import crypto


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Traoré, Amadou", "amadou traore"),
        ("  Fatoumata   DIALLO ", "Diallo Fatoumata"),
        ("Ségou-Koné Awa", "awa koné ségou"),
    ],
)
def test_names_that_differ_only_in_case_accents_punctuation_or_order_normalize_equal(a, b):
    assert crypto.normalize_name(a) == crypto.normalize_name(b)


def test_different_names_stay_different():
    assert crypto.normalize_name("Amadou Traoré") != crypto.normalize_name("Amadou Touré")


@pytest.mark.parametrize("phone", ["+223 76 12 34 56", "0022376123456", "76-12-34-56", "76123456"])
def test_phone_formats_of_one_number_normalize_equal(phone):
    assert crypto.normalize_phone(phone) == "76123456"


def test_blind_index_depends_on_key_scope_and_kind():
    key, other = crypto.generate_key(), crypto.generate_key()
    base = crypto.blind_index(key=key, scope="s1", kind="name", normalized="amadou")
    assert base == crypto.blind_index(key=key, scope="s1", kind="name", normalized="amadou")
    assert base != crypto.blind_index(key=other, scope="s1", kind="name", normalized="amadou")
    assert base != crypto.blind_index(key=key, scope="s2", kind="name", normalized="amadou")
    assert base != crypto.blind_index(key=key, scope="s1", kind="phone", normalized="amadou")
    assert "amadou" not in base
    assert crypto.blind_index(key=key, scope="s1", kind="phone", normalized="") == ""


def test_sealed_identity_opens_only_with_its_key_and_context():
    master, dek = crypto.generate_key(), crypto.generate_key()
    sealed = crypto.seal(dek=dek, document={"full_name": "Awa"}, context=b"uuid-1")
    wrapped = crypto.wrap_key(master=master, dek=dek, context=b"uuid-1")
    opened = crypto.unwrap_key(master=master, wrapped=wrapped, context=b"uuid-1")
    assert crypto.open_sealed(dek=opened, sealed=sealed, context=b"uuid-1") == {"full_name": "Awa"}
    with pytest.raises(crypto.WrongKeyError):
        crypto.unwrap_key(master=crypto.generate_key(), wrapped=wrapped, context=b"uuid-1")
    with pytest.raises(crypto.WrongKeyError):  # a ciphertext moved to another row does not open
        crypto.open_sealed(dek=dek, sealed=sealed, context=b"uuid-2")


@pytest.mark.parametrize(
    ("text", "message"),
    [("not base64!", "not valid base64"), ("c2hvcnQ=", "must decode to 32 bytes")],
)
def test_malformed_keys_are_refused_with_a_clear_message(text, message):
    with pytest.raises(crypto.KeyFormatError, match=message):
        crypto.decode_key(text, where="FIELDWORK_MASTER_KEY")
