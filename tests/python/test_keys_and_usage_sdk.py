"""The official SDKs against a gateway with REQUIRE_API_KEY=true: a generated key works in each
SDK's own header, a wrong key is the SDK's own authentication error, usage is attributed to the
key, a used-up budget is the SDK's rate-limit error, and progress events do not disturb the
Anthropic SDK's stream."""

import json
import os
import tempfile
import time
import urllib.request

import anthropic
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from conftest import TARGET, _post, _start

HELLO = "Hello from the mock upstream."


@pytest.fixture(scope="module")
def locked(mock):
    """A second gateway that requires API keys, with one key."""
    data_dir = tempfile.mkdtemp(prefix="omniroute-keys-")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": data_dir, "RUST_LOG": "warn", "REQUIRE_API_KEY": "true"}
    proc, url = _start([str(TARGET / "omniroute"), "serve", "--port", "0", "--data-dir", data_dir], env)
    for fmt in ("openai", "anthropic"):
        base = f"{mock.url}/v1" if fmt == "openai" else mock.url
        _post(f"{url}/api/provider-nodes", {"name": fmt, "prefix": f"up-{fmt}", "apiType": fmt, "baseUrl": base})
        _post(f"{url}/api/providers", {"provider": f"up-{fmt}", "apiKey": f"upstream-key-{fmt}-0123456789"})
    key = _post(f"{url}/api/keys", {"name": "sdk"})
    yield url, key
    proc.terminate()
    proc.wait(timeout=10)


def usage(url):
    with urllib.request.urlopen(f"{url}/api/usage?limit=1000") as r:
        return json.loads(r.read())


def test_a_key_works_in_every_sdk(locked):
    url, key = locked
    o = openai.OpenAI(base_url=f"{url}/v1", api_key=key["key"], max_retries=0)
    r = o.chat.completions.create(model="up-openai/m-1", messages=[{"role": "user", "content": "hi"}])
    assert r.choices[0].message.content == HELLO
    a = anthropic.Anthropic(base_url=url, api_key=key["key"], max_retries=0)
    m = a.messages.create(model="up-anthropic/m-1", max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    assert m.content[0].text == HELLO
    g = genai.Client(api_key=key["key"], http_options=types.HttpOptions(base_url=url))
    assert g.models.generate_content(model="up-openai/m-1", contents="hi").text == HELLO
    deadline = time.time() + 10
    while time.time() < deadline:
        rows = [r for r in usage(url)["requests"] if r.get("apiKeyId") == key["id"]]
        if len(rows) >= 3:
            break
        time.sleep(0.05)
    assert {r["clientFormat"] for r in rows} >= {"openai", "anthropic", "gemini"}
    assert all(r["keyName"] == "sdk" for r in rows)


def test_a_wrong_key_is_each_sdks_authentication_error(locked):
    url, _ = locked
    with pytest.raises(openai.AuthenticationError) as e:
        openai.OpenAI(base_url=f"{url}/v1", api_key="sk-wrong", max_retries=0).chat.completions.create(
            model="up-openai/m-1", messages=[{"role": "user", "content": "hi"}])
    assert "invalid API key" in str(e.value)
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=url, api_key="sk-wrong", max_retries=0).messages.create(
            model="up-anthropic/m-1", max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    g = genai.Client(api_key="sk-wrong", http_options=types.HttpOptions(base_url=url))
    with pytest.raises(genai_errors.ClientError) as e:
        g.models.generate_content(model="up-openai/m-1", contents="hi")
    assert e.value.code == 401


def test_a_used_up_budget_is_the_sdks_rate_limit_error(locked, mock):
    url, _ = locked
    key = _post(f"{url}/api/keys", {"name": "tight"})
    req = urllib.request.Request(f"{url}/api/pricing", json.dumps({"up-openai/m-1": {"inputPer1k": 100, "outputPer1k": 100}}).encode(),
                                 {"content-type": "application/json"}, method="PUT")
    urllib.request.urlopen(req).read()
    _post(f"{url}/api/usage/budget", {"keyId": key["id"], "limit": 0.5, "period": "monthly"})
    o = openai.OpenAI(base_url=f"{url}/v1", api_key=key["key"], max_retries=0)
    o.chat.completions.create(model="up-openai/m-1", messages=[{"role": "user", "content": "hi"}])  # 19 tokens: $1.90
    with pytest.raises(openai.RateLimitError) as e:
        o.chat.completions.create(model="up-openai/m-1", messages=[{"role": "user", "content": "hi"}])
    assert "monthly budget of API key 'tight'" in str(e.value)


def test_progress_events_leave_the_anthropic_sdk_stream_intact(locked):
    url, key = locked
    a = anthropic.Anthropic(base_url=url, api_key=key["key"], max_retries=0,
                            default_headers={"X-OmniRoute-Progress": "true"})
    with a.messages.stream(model="up-anthropic/m-1", max_tokens=64, messages=[{"role": "user", "content": "hi"}]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == HELLO
    assert final.stop_reason == "end_turn"
    o = openai.OpenAI(base_url=f"{url}/v1", api_key=key["key"], max_retries=0,
                      default_headers={"X-OmniRoute-Progress": "true"})
    chunks = list(o.chat.completions.create(model="up-openai/m-1", stream=True,
                                            messages=[{"role": "user", "content": "hi"}]))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == HELLO
