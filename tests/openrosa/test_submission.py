"""Reading a submission's head as phones of every age write it: the meta block (with or
without the OpenRosa namespace), old clients' top-level IDs, and none at all."""

from fieldwork.openrosa.submission import parse_submission

ORX = "http://openrosa.org/xforms"


def test_collect_s_namespaced_meta_gives_the_ids():
    head = parse_submission(
        f"""<data id="visit" version="3" xmlns:orx="{ORX}"><q>1</q><orx:meta>
        <orx:instanceID>uuid:11111111-1111-4111-8111-111111111111</orx:instanceID>
        <orx:deprecatedID>uuid:22222222-2222-4222-8222-222222222222</orx:deprecatedID>
        <orx:deviceID>collect:abc</orx:deviceID></orx:meta></data>""".encode(),
        answers=False,
    )
    assert (head.form_id, head.version) == ("visit", "3")
    assert head.instance_id == "uuid:11111111-1111-4111-8111-111111111111"
    assert head.deprecated_id == "uuid:22222222-2222-4222-8222-222222222222"
    assert head.device_id == "collect:abc"
    assert not head.derived_instance_id


def test_an_old_client_s_top_level_ids_count_where_meta_has_none():
    head = parse_submission(
        b"""<data id="visit"><instanceID>uuid:33333333-3333-4333-8333-333333333333</instanceID>
        <deviceid>imei:42</deviceid><meta><instanceID>uuid:44444444-4444-4444-8444-444444444444
        </instanceID></meta></data>""",
        answers=False,
    )
    assert head.instance_id == "uuid:44444444-4444-4444-8444-444444444444"  # meta first
    assert head.device_id == "imei:42"  # only at the top
    assert head.deprecated_id == ""


def test_a_body_without_an_instance_id_gets_the_same_one_each_time_it_is_sent():
    body = b'<data id="visit"><q>1</q></data>'
    first, again = parse_submission(body), parse_submission(body)
    assert first.derived_instance_id
    assert first.instance_id.startswith("uuid:") and first.instance_id == again.instance_id
    assert parse_submission(b'<data id="visit"><q>2</q></data>').instance_id != first.instance_id
