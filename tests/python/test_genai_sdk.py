"""The official `google-genai` SDK (generate_content, streaming, function calls) against every
upstream format."""

import pytest
from google import genai
from google.genai import types

from conftest import UPSTREAM_FORMATS, WEATHER_CALL

HELLO = "Hello from the mock upstream."


def client(gateway, version=None):
    options = types.HttpOptions(base_url=gateway, api_version=version) if version else types.HttpOptions(base_url=gateway)
    return genai.Client(api_key="omniroute-test", http_options=options)


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_generate_content(gateway, upstream):
    c = client(gateway)
    r = c.models.generate_content(
        model=f"up-{upstream}/m-1", contents="hi",
        config=types.GenerateContentConfig(system_instruction="Be brief.", max_output_tokens=100))
    assert r.text == HELLO
    assert r.usage_metadata.prompt_token_count == 12


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_stream(gateway, upstream):
    c = client(gateway)
    chunks = list(c.models.generate_content_stream(model=f"up-{upstream}/m-1", contents="hi"))
    assert "".join(c.text or "" for c in chunks) == HELLO
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_function_call(gateway, mock, upstream):
    mock.script(reply=WEATHER_CALL)
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(
        name="get_weather", description="Weather",
        parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")}, required=["city"]))])
    c = client(gateway)
    r = c.models.generate_content(
        model=f"up-{upstream}/m-1", contents="weather in Paris?",
        config=types.GenerateContentConfig(tools=[tool], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True)))
    call = r.function_calls[0]
    assert call.name == "get_weather" and call.args == {"city": "Paris"}


def test_v1_api_version_and_model_with_slashes(gateway):
    c = client(gateway, "v1")
    r = c.models.generate_content(model="up-gemini/m-1", contents="hi")
    assert r.text == HELLO


def test_error(gateway, mock):
    mock.script(fault={"status": 429, "error_message": "quota gone"})
    c = client(gateway)
    with pytest.raises(genai.errors.ClientError) as e:
        c.models.generate_content(model="up-openai/m-1", contents="hi")
    assert e.value.code == 429
