"""The official `anthropic` SDK (messages, streaming, tools, thinking) against every upstream format."""

import anthropic
import pytest

from conftest import UPSTREAM_FORMATS, WEATHER_CALL

HELLO = "Hello from the mock upstream."
TOOLS = [{"name": "get_weather", "description": "Weather",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]


def client(gateway):
    return anthropic.Anthropic(base_url=gateway, api_key="omniroute-test", max_retries=0)


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_messages(gateway, upstream):
    m = client(gateway).messages.create(model=f"up-{upstream}/m-1", max_tokens=256, system="Be brief.",
                                        messages=[{"role": "user", "content": "hi"}])
    assert m.content[0].text == HELLO
    assert m.stop_reason == "end_turn"
    assert m.usage.input_tokens == 12 and m.usage.output_tokens == 7


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_stream_text(gateway, upstream):
    with client(gateway).messages.stream(model=f"up-{upstream}/m-1", max_tokens=256,
                                         messages=[{"role": "user", "content": "hi"}]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == HELLO
    assert final.stop_reason == "end_turn"


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_tools_and_results(gateway, mock, upstream):
    c = client(gateway)
    mock.script(reply=WEATHER_CALL)
    with c.messages.stream(model=f"up-{upstream}/m-1", max_tokens=256, tools=TOOLS,
                           messages=[{"role": "user", "content": "weather in Paris?"}]) as s:
        final = s.get_final_message()
    use = [b for b in final.content if b.type == "tool_use"][0]
    assert final.stop_reason == "tool_use"
    assert use.name == "get_weather" and use.input == {"city": "Paris"}

    m = c.messages.create(model=f"up-{upstream}/m-1", max_tokens=256, tools=TOOLS, messages=[
        {"role": "user", "content": "weather in Paris?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": use.id, "name": use.name, "input": use.input}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny, 21 C"}]}])
    assert m.content[0].text == HELLO
    assert "sunny, 21 C" in str(mock.received()[-1]["body"])


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_thinking(gateway, mock, upstream):
    mock.script(reply={"text": "Answer.", "thinking": {"text": "Let me think it through.", "signature": "sig-abc"}})
    with client(gateway).messages.stream(model=f"up-{upstream}/m-1", max_tokens=4096,
                                         thinking={"type": "enabled", "budget_tokens": 2048},
                                         messages=[{"role": "user", "content": "hi"}]) as s:
        final = s.get_final_message()
    kinds = [b.type for b in final.content]
    assert kinds == ["thinking", "text"], kinds
    assert final.content[0].thinking == "Let me think it through."
    assert final.content[1].text == "Answer."


@pytest.mark.parametrize("upstream", UPSTREAM_FORMATS)
def test_errors(gateway, mock, upstream):
    mock.script(fault={"status": 529, "error_message": "overloaded now"})
    with pytest.raises(anthropic.APIStatusError) as e:
        client(gateway).messages.create(model=f"up-{upstream}/m-1", max_tokens=10,
                                        messages=[{"role": "user", "content": "hi"}])
    assert "overloaded now" in str(e.value)
    with pytest.raises(anthropic.BadRequestError):
        client(gateway).messages.create(model=f"up-{upstream}/m-1", max_tokens=10, messages="nope")


def test_count_tokens(gateway):
    r = client(gateway).messages.count_tokens(model="up-anthropic/m-1",
                                              messages=[{"role": "user", "content": "hello " * 100}])
    assert 100 <= r.input_tokens <= 400
