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


SUBMISSION = (
    "<data id='checkpoint' version='3'>"
    + "".join(
        f"<q{n}>Contrôle au poste de Boni, paiement exigé, passagers fouillés.</q{n}>"
        for n in range(200)
    )
    + "</data>"
).encode()


def test_text_sealed_compressed_opens_as_it_was_in_a_fraction_of_its_size():
    dek = crypto.generate_key()
    plain = crypto.seal_bytes(dek=dek, data=SUBMISSION, context=b"version|1")
    packed = crypto.seal_bytes(dek=dek, data=SUBMISSION, context=b"version|1", compress=True)

    assert crypto.open_sealed_bytes(dek=dek, sealed=packed, context=b"version|1") == SUBMISSION
    assert crypto.open_sealed_bytes(dek=dek, sealed=plain, context=b"version|1") == SUBMISSION
    assert len(packed) < len(SUBMISSION) / 5 < len(plain)
    assert b"Boni" not in packed
    with pytest.raises(crypto.WrongKeyError):
        crypto.open_sealed_bytes(dek=dek, sealed=packed, context=b"version|2")
    with pytest.raises(crypto.WrongKeyError):
        crypto.open_sealed_bytes(dek=crypto.generate_key(), sealed=packed, context=b"version|1")


def test_a_file_sealed_as_is_is_never_read_as_compressed():
    dek = crypto.generate_key()
    # A file that is itself zstd, and plain ciphertexts whose random nonce begins like a
    # compressed one's (one in 256): each opens to exactly its bytes.
    archive = crypto._zstd_compressor().compress(SUBMISSION)
    assert (
        crypto.open_sealed_bytes(
            dek=dek, sealed=crypto.seal_bytes(dek=dek, data=archive, context=b"a"), context=b"a"
        )
        == archive
    )
    lookalikes = 0
    for n in range(5000):
        data = f"attachment {n}".encode()
        sealed = crypto.seal_bytes(dek=dek, data=data, context=b"a")
        if sealed.startswith(crypto._ZSTD_MARK):
            lookalikes += 1
            assert crypto.open_sealed_bytes(dek=dek, sealed=sealed, context=b"a") == data
    assert lookalikes > 0
