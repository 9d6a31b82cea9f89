"""Masking secrets in logs (models.secrets.Masker): every line of a multi-line secret, the
base64 (standard and URL-safe, of the value and of value + newline, inside longer text at
any alignment), percent-encoded and JSON-escaped forms; short values refused at save; the
whole path through a real task and the daemon."""
import base64
import json
import random
import re
import string
import subprocess
from urllib.parse import quote, quote_plus

import pytest

from models import logs, pipelines, registries, runs, spec
from models.secrets import MASK, MIN_SECRET_LENGTH, Masker, masked_forms, secret_problem
from models.tables import TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task

TOKEN = "tok3n+/Secret-value=42 ü"     # +, /, =, space and a non-ASCII letter: every encoding differs


def _pem() -> str:
    return subprocess.run(["openssl", "genrsa", "2048"], capture_output=True, text=True, check=True).stdout


def _b64(data: str, alphabet=base64.b64encode) -> str:
    return alphabet(data.encode()).decode()


@pytest.mark.parametrize("shown", [
    TOKEN, _b64(TOKEN), _b64(TOKEN + "\n"), _b64(TOKEN).rstrip("="), _b64(TOKEN, base64.urlsafe_b64encode),
    _b64(TOKEN + "\n", base64.urlsafe_b64encode).rstrip("="),
    quote(TOKEN), quote(TOKEN, safe=""), quote_plus(TOKEN), json.dumps(TOKEN)[1:-1],
    json.dumps(TOKEN, ensure_ascii=False)[1:-1],
], ids=["plain", "b64", "b64+newline", "b64-unpadded", "b64url", "b64url+newline-unpadded", "quote",
        "quote-safe-none", "quote_plus", "json", "json-unicode"])
def test_every_listed_form_of_a_secret_is_masked(shown):
    masker = Masker([TOKEN])
    assert masker(f"before {shown} after") == f"before {MASK} after"
    assert masker.mask_lines(["clean", f"x{shown}y", "clean"]) == ["clean", f"x{MASK}y", "clean"]


@pytest.mark.parametrize("form", [
    TOKEN.encode().hex(), re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(TOKEN, safe="")),
    json.dumps(TOKEN)[1:-1].replace("/", "\\/"), base64.b32encode(TOKEN.encode()).decode()],
    ids=["hex", "lower-case-percent", "json-escaped-slash", "base32"])
def test_the_forms_the_readme_lists_as_not_masked_stay_in_clear(form):
    # README, "What is masked", lists these as not masked: it stays exact only if they are not
    assert form != TOKEN and Masker([TOKEN])(f"x {form} y") == f"x {form} y"


@pytest.mark.parametrize("prefix", ["", "a", "ab", "abc", "user:"])
@pytest.mark.parametrize("alphabet", [base64.b64encode, base64.urlsafe_b64encode])
def test_a_secret_inside_a_longer_base64_text_is_masked_at_every_alignment(prefix, alphabet):
    """`echo -n "user:$PASSWORD" | base64` (a basic-auth header, a docker config): the secret's
    bytes start at any offset; at most two bytes at each end share a group with neighbours."""
    secret = "hunter2-TOPSECRET-value"
    encoded = _b64(f"{prefix}{secret}:the rest of the document", alphabet)
    masked = Masker([secret])(encoded)
    left, right = masked.split(MASK)
    assert encoded.startswith(left) and encoded.endswith(right)
    # Bytes wholly carried by the visible characters (6 bits each): at most 2 of the secret per side.
    shown_left = 6 * len(left) // 8
    hidden_from = -(-6 * (len(encoded) - len(right)) // 8)
    assert shown_left - len(prefix) <= 2 and len(prefix) + len(secret) - hidden_from <= 2


def test_every_line_of_a_pem_key_is_masked_and_its_encodings_too():
    pem = _pem()
    masker = Masker([pem])
    lines = pem.splitlines()
    assert all(masker(line) == MASK for line in lines if len(line.strip()) >= MIN_SECRET_LENGTH)
    assert masker("    " + lines[3] + "   ") == f"    {MASK}   ", "an indented line is masked too"
    assert masker(lines[3] + "\r") == MASK + "\r"
    assert masker("key=" + json.dumps(pem)) == f'key="{MASK}"'
    assert masker(_b64(pem)) == MASK and masker(quote_plus(pem)) == MASK
    wrapped = base64.encodebytes(pem.encode()).decode().splitlines()     # `base64` wraps at 76 columns
    assert {masker(line) for line in wrapped} == {MASK}
    assert masker.mask_lines(["start", *lines, "end"]) == ["start", *[MASK] * len(lines), "end"]


def test_overlapping_secrets_are_masked_as_their_union():
    masker = Masker(["abcdefgh", "efghijkl"])
    assert masker("xx abcdefghijkl yy") == f"xx {MASK} yy"
    assert masker("abcdefgh abcdefgh") == f"{MASK} {MASK}"


def test_short_values_are_never_masked_and_refused_as_secrets():
    masker = Masker(["abc", "12345", "ab\ncd"])
    assert masker.values == [] and masker("logging abc 12345") == "logging abc 12345"
    assert secret_problem("12345") and secret_problem("  12345   ") and secret_problem("ab\ncd\nef")
    assert secret_problem("123456") is None and secret_problem("-----BEGIN-----\nAB==\n") is None
    assert masked_forms("ab\ncdefgh") >= {"cdefgh"} and "ab" not in masked_forms("ab\ncdefgh")


def test_a_short_secret_is_refused_on_its_field_and_a_stored_one_resaved_is_not(home):
    raw = pipeline_spec("short", stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("t", "true", env=[{"name": "PIN", "value": "1234", "secret": True},
                                      {"name": "LONGER", "value": "long-enough", "secret": True},
                                      {"name": "PLAIN", "value": "ab"}])]}])
    with pytest.raises(spec.SpecError) as refused:
        pipelines.create(raw, "tester")
    assert [p for p, _ in refused.value.errors] == ["stages[0].tasks[0].env[0].value"]
    assert "too short to be masked" in refused.value.errors[0][1]
    raw["stages"][0]["tasks"][0]["env"][0]["value"] = "123456"
    p = pipelines.create(raw, "tester")
    again = pipelines.current_spec(p)                  # sealed values, re-saved as they are
    pipelines.save(p, again, "tester")
    for env in again["stages"][0]["tasks"][0]["env"][:2]:
        env.pop("encrypted")
        env["value"] = ""                              # what the editor sends back: keep the stored ones
    pipelines.save(p, again, "tester")


def test_a_short_registry_password_is_refused(home):
    with pytest.raises(ValueError, match="registry password too short to be masked in logs"):
        registries.add("r", "r.example.com", "tester", username="u", password="pw")
    with pytest.raises(ValueError, match="too short"):
        registries.set_chart_repository("oci://r.example.com/charts", "tester", username="u", password="pw")
    assert registries.all_registries() == []


def test_masking_cost_stays_linear_in_the_number_of_secrets():
    """Not a timing goal: many secrets must not mean a pass over each line per secret. The
    forms of 50 secrets are one expression, and a clean batch needs one scan."""
    rnd = random.Random(1)
    secrets = ["".join(rnd.choice(string.ascii_letters) for _ in range(24)) for _ in range(50)]
    masker = Masker(secrets)
    assert len(masker.values) > 50
    lines = [f"line {i} " + "".join(rnd.choice(string.ascii_letters) for _ in range(60)) for i in range(2000)]
    lines[777] += " " + _b64("x" + secrets[31] + "yz")
    out = masker.mask_lines(lines)
    assert [i for i, (a, b) in enumerate(zip(lines, out)) if a != b] == [777] and MASK in out[777]
    assert out == [masker(line) for line in lines]


def test_encoded_forms_printed_by_a_real_task_are_masked_and_absent_from_the_data_directory(home, daemon):
    pem = _pem()
    body = ('printf "%s" "$TOKEN" | base64\n'
            'echo "$TOKEN" | base64\n'
            'printf "%s" "$TOKEN" | base64 | tr "+/" "-_"\n'
            'python3 -c "import json,os,urllib.parse as u; t=os.environ[\'TOKEN\']; '
            'print(json.dumps({\'t\': t})); print(u.quote_plus(t)); print(u.quote(t))"\n'
            'echo "$KEY"\n'
            'echo "$KEY" | base64\n'
            'echo done\n')
    raw = pipeline_spec("encodings", stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("print", body, env=[{"name": "TOKEN", "value": TOKEN, "secret": True},
                                        {"name": "KEY", "value": pem, "secret": True}])]}])
    p = pipelines.create(raw, "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "succeeded", done.reason
    text = logs.text(TaskRun.get(TaskRun.run == done.id).id, timestamps=False)
    assert "done" in text and text.count(MASK) >= 6
    body_lines = [line for line in pem.splitlines() if len(line) >= MIN_SECRET_LENGTH]
    leaks = [form for form in (TOKEN, *body_lines, _b64(TOKEN), quote_plus(TOKEN), json.dumps(TOKEN)[1:-1])
             if form in text]
    assert leaks == []
    data = b"".join((home / name).read_bytes() for name in ("millrace.db", "millrace.db-wal") if (home / name).exists())
    assert TOKEN.encode() not in data and body_lines[5].encode() not in data and _b64(TOKEN).encode() not in data
