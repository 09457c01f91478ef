"""The official `openai` SDK (chat completions and responses) against every upstream format."""

import json

import openai
import pytest

from conftest import UPSTREAM_FORMATS, WEATHER_CALL

HELLO = "Hello from the mock upstream."
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def client(gateway):
    return openai.OpenAI(base_url=f"{gateway}/v1", api_key="omniroute-test", max_retries=0)


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_chat(gateway, upstream):
    r = client(gateway).chat.completions.create(
        model=f"up-{upstream}/m-1", messages=[{"role": "user", "content": "hi"}])
    assert r.choices[0].message.content == HELLO
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens == 12 and r.usage.completion_tokens == 7


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_chat_stream_with_usage(gateway, upstream):
    stream = client(gateway).chat.completions.create(
        model=f"up-{upstream}/m-1", messages=[{"role": "user", "content": "hi"}],
        stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == HELLO
    assert chunks[-1].usage.total_tokens == 19


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_chat_tools_stream_and_not(gateway, mock, upstream):
    c = client(gateway)
    mock.script(reply=WEATHER_CALL)
    r = c.chat.completions.create(model=f"up-{upstream}/m-1", tools=TOOLS,
                                  messages=[{"role": "user", "content": "weather in Paris?"}])
    call = r.choices[0].message.tool_calls[0]
    assert r.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}

    mock.script(reply=WEATHER_CALL)
    args = ""
    with c.chat.completions.stream(model=f"up-{upstream}/m-1", tools=TOOLS,
                                   messages=[{"role": "user", "content": "weather in Paris?"}]) as s:
        for event in s:
            pass
        final = s.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert json.loads(call.function.arguments) == {"city": "Paris"}

    # The tool result turn reaches the upstream paired with its call.
    r = c.chat.completions.create(model=f"up-{upstream}/m-1", tools=TOOLS, messages=[
        {"role": "user", "content": "weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call.id, "type": "function", "function": {"name": "get_weather", "arguments": call.function.arguments}}]},
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"}])
    assert r.choices[0].message.content == HELLO
    sent = json.dumps(mock.received()[-1]["body"])
    assert "sunny, 21 C" in sent


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_errors_are_sdk_exceptions(gateway, mock, upstream):
    mock.script(fault={"status": 429, "retry_after": "2", "error_message": "slow down please"})
    with pytest.raises(openai.RateLimitError) as e:
        client(gateway).chat.completions.create(model=f"up-{upstream}/m-1", messages=[{"role": "user", "content": "hi"}])
    assert "slow down please" in str(e.value)
    with pytest.raises(openai.NotFoundError):
        client(gateway).chat.completions.create(model="nowhere/m", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        client(gateway).chat.completions.create(model=f"up-{upstream}/m-1", messages=[])


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_responses(gateway, mock, upstream):
    c = client(gateway)
    r = c.responses.create(model=f"up-{upstream}/m-1", input="hi", instructions="Be brief.")
    assert r.output_text == HELLO
    assert r.usage.input_tokens == 12

    mock.script(reply=WEATHER_CALL)
    tools = [{"type": "function", "name": "get_weather", "description": "Weather",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
    with c.responses.stream(model=f"up-{upstream}/m-1", input="weather?", tools=tools) as s:
        text = "".join(e.delta for e in s if e.type == "response.output_text.delta")
        final = s.get_final_response()
    calls = [o for o in final.output if o.type == "function_call"]
    assert text == ""
    assert calls[0].name == "get_weather" and json.loads(calls[0].arguments) == {"city": "Paris"}

    events = [e.type for e in c.responses.create(model=f"up-{upstream}/m-1", input="hi", stream=True)]
    assert events[0] == "response.created" and events[-1] == "response.completed"
