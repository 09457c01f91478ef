"""Reasoning state survives a two-turn tool conversation, through every official SDK, to every upstream
family that hands out opaque reasoning state, streamed and not.

The mock upstreams check a replayed turn as the real APIs do (tests/src/mock/reasoning.rs): Gemini 3 refuses
a function call replayed without its `thoughtSignature` ("Function call is missing a thought_signature"),
Anthropic with thinking refuses a tool turn that does not start with its signed thinking block, and the
Responses API a function call replayed without its reasoning item. Any signature they did not issue is
refused too, so a value carried to the wrong family fails the conversation.

Each client keeps its history the way its SDK's users do: Anthropic and Responses clients append the
answer's content/output objects as the SDK returned them, google-genai the answer's `Content`, and the
OpenAI Chat client only what Chat Completions has (text and tool calls) -- the case where the gateway has to
keep the state itself.
"""

import json
import uuid

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

from conftest import _post

CLIENTS = ["openai", "anthropic", "gemini", "responses"]
UPSTREAMS = ["gemini", "anthropic", "responses"]
# A Gemini 3 model (the mock validates signatures for `gemini-3…`), any model for the others.
MODEL = {"gemini": "up-gemini/gemini-3-pro-preview", "anthropic": "up-anthropic/claude-m",
         "responses": "up-responses/gpt-m"}
# Opaque values as each family hands them out (Gemini's are base64, with `+` and `/`).
SIGNATURE = {"gemini": "CiQBcsjafQ8oW2Pz+/Rj0w1bYXNlNjQ/c2lnbmF0dXJl", "anthropic": "EqQBCkYIBxgCKkD0c2ln+/==",
             "responses": "gAAAAABpZW5jcnlwdGVkX2NvbnRlbnQ="}
REDACTED = "EmwKAhgBEgy3redacted+/"
THOUGHT = "The user wants the weather in Paris; I should call get_weather."
FINAL = "It is sunny in Paris."
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
QUESTION = "What is the weather in Paris?"


def script_two_turns(mock, upstream, call_id):
    thinking = {"text": THOUGHT, "signature": SIGNATURE[upstream]}
    if upstream == "anthropic":
        thinking["redacted"] = REDACTED
    mock.script(reply={"text": "", "thinking": thinking,
                       "tool_calls": [{"id": call_id, "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}]})
    mock.script(reply={"text": FINAL})


# --- one client per SDK: the first turn, and the second with the tool result -------------------------------

def chat_conversation(gateway, model, stream):
    c = openai.OpenAI(base_url=f"{gateway}/v1", api_key="omniroute-test", max_retries=0)
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": SCHEMA}}]
    messages = [{"role": "user", "content": QUESTION}]
    args = dict(model=model, tools=tools, reasoning_effort="high")
    if stream:
        with c.chat.completions.stream(messages=messages, **args) as s:
            for _ in s:
                pass
            message = s.get_final_completion().choices[0].message
    else:
        message = c.chat.completions.create(messages=messages, **args).choices[0].message
    call = message.tool_calls[0]
    # What Chat Completions carries, and nothing else.
    messages.append({"role": "assistant", "content": message.content, "tool_calls": [
        {"id": call.id, "type": "function", "function": {"name": call.function.name, "arguments": call.function.arguments}}]})
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"})
    if stream:
        chunks = list(c.chat.completions.create(messages=messages, stream=True, **args))
        return "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    return c.chat.completions.create(messages=messages, **args).choices[0].message.content


def anthropic_conversation(gateway, model, stream):
    c = anthropic.Anthropic(base_url=gateway, api_key="omniroute-test", max_retries=0)
    tools = [{"name": "get_weather", "description": "Weather", "input_schema": SCHEMA}]
    messages = [{"role": "user", "content": QUESTION}]
    args = dict(model=model, max_tokens=4096, tools=tools, thinking={"type": "enabled", "budget_tokens": 2048})

    def turn():
        if stream:
            with c.messages.stream(messages=messages, **args) as s:
                return s.get_final_message()
        return c.messages.create(messages=messages, **args)

    first = turn()
    call = next(b for b in first.content if b.type == "tool_use")
    messages.append({"role": "assistant", "content": first.content})
    messages.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 21 C"}]})
    return "".join(b.text for b in turn().content if b.type == "text")


def gemini_conversation(gateway, model, stream):
    c = genai.Client(api_key="omniroute-test", http_options=types.HttpOptions(base_url=gateway))
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(
        name="get_weather", description="Weather",
        parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")}, required=["city"]))])
    config = types.GenerateContentConfig(
        tools=[tool], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=2048))
    contents = [types.Content(role="user", parts=[types.Part(text=QUESTION)])]

    def turn():
        if stream:
            chunks = list(c.models.generate_content_stream(model=model, contents=contents, config=config))
            parts = [p for ch in chunks if ch.candidates for p in (ch.candidates[0].content.parts or [])]
            return types.Content(role="model", parts=parts)
        return c.models.generate_content(model=model, contents=contents, config=config).candidates[0].content

    first = turn()
    call = next(p.function_call for p in first.parts if p.function_call)
    contents.append(first)
    contents.append(types.Content(role="user", parts=[types.Part(function_response=types.FunctionResponse(
        id=call.id, name=call.name, response={"output": "sunny, 21 C"}))]))
    return "".join(p.text or "" for p in turn().parts if not p.thought)


def responses_conversation(gateway, model, stream):
    c = openai.OpenAI(base_url=f"{gateway}/v1", api_key="omniroute-test", max_retries=0)
    tools = [{"type": "function", "name": "get_weather", "description": "Weather", "parameters": SCHEMA}]
    items = [{"role": "user", "content": QUESTION}]
    args = dict(model=model, tools=tools, reasoning={"effort": "high", "summary": "auto"},
                include=["reasoning.encrypted_content"], store=False)

    def turn():
        if stream:
            with c.responses.stream(input=items, **args) as s:
                return s.get_final_response()
        return c.responses.create(input=items, **args)

    first = turn()
    call = next(o for o in first.output if o.type == "function_call")
    items.extend(first.output)
    items.append({"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 21 C"})
    return turn().output_text


CONVERSATION = {"openai": chat_conversation, "anthropic": anthropic_conversation,
                "gemini": gemini_conversation, "responses": responses_conversation}


# --- what the upstream must have received on the second turn ----------------------------------------------

def same_bytes(a, b):
    """Gemini signatures are bytes: the google-genai SDK sends them back URL-safe and unpadded."""
    norm = lambda s: s.replace("-", "+").replace("_", "/").rstrip("=")
    return norm(a) == norm(b)


def assert_state_came_back(upstream, body):
    if upstream == "gemini":
        model_turn = next(c for c in body["contents"] if c.get("role") == "model")
        call = next(p for p in model_turn["parts"] if "functionCall" in p)
        assert same_bytes(call["thoughtSignature"], SIGNATURE["gemini"]), model_turn
        signed = [p["thoughtSignature"] for c in body["contents"] for p in c["parts"] if "thoughtSignature" in p]
        assert len(signed) == 1, f"only the call's own signature, nothing foreign: {signed}"
    elif upstream == "anthropic":
        assistant = next(m for m in body["messages"] if m["role"] == "assistant")
        blocks = assistant["content"]
        assert blocks[0] == {"type": "thinking", "thinking": THOUGHT, "signature": SIGNATURE["anthropic"]}, blocks
        assert {"type": "redacted_thinking", "data": REDACTED} in blocks, blocks
        assert body["thinking"]["type"] == "enabled", "thinking stays on for the tool turn"
    else:
        kinds = [i.get("type") for i in body["input"]]
        reasoning = [i for i in body["input"] if i.get("type") == "reasoning"]
        assert [r["encrypted_content"] for r in reasoning] == [SIGNATURE["responses"]], body["input"]
        assert kinds.index("reasoning") < kinds.index("function_call"), kinds


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("upstream", UPSTREAMS)
@pytest.mark.parametrize("client", CLIENTS)
def test_two_turn_tool_conversation_keeps_reasoning_state(gateway, mock, client, upstream, stream):
    script_two_turns(mock, upstream, f"call_{uuid.uuid4().hex[:12]}")
    final = CONVERSATION[client](gateway, MODEL[upstream], stream)
    assert final == FINAL
    sent = [r for r in mock.received() if r["format"] is not None]
    assert len(sent) == 2, [r["path"] for r in sent]
    assert_state_came_back(upstream, sent[1]["body"])


def test_gemini_clients_only_see_base64_signatures(gateway, mock):
    """The google-genai SDK parses `thoughtSignature` as bytes: a Claude signature must reach it as valid
    base64 (it refuses anything else), and come back to Claude unchanged."""
    script_two_turns(mock, "anthropic", f"toolu_{uuid.uuid4().hex[:12]}")
    c = genai.Client(api_key="omniroute-test", http_options=types.HttpOptions(base_url=gateway))
    r = c.models.generate_content(
        model=MODEL["anthropic"], contents=QUESTION,
        config=types.GenerateContentConfig(thinking_config=types.ThinkingConfig(include_thoughts=True)))
    signatures = [p.thought_signature for p in r.candidates[0].content.parts if p.thought_signature]
    assert signatures and all(isinstance(s, bytes) for s in signatures), r.candidates[0].content


def test_mock_refuses_what_the_real_apis_refuse(gateway, mock):
    """The checks are real: a Gemini 3 function call replayed without its signature is a 400 the client
    gets in its own format, with Gemini's message."""
    c = openai.OpenAI(base_url=f"{gateway}/v1", api_key="omniroute-test", max_retries=0)
    call_id = f"call_{uuid.uuid4().hex[:12]}"
    with pytest.raises(openai.BadRequestError) as e:
        c.chat.completions.create(model=MODEL["gemini"], messages=[
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": None, "tool_calls": [{"id": call_id, "type": "function",
                                                                  "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": call_id, "content": "sunny"}])
    assert "missing a thought_signature" in str(e.value)


def test_expired_state_is_the_upstreams_own_error(tmp_path, mock):
    """After REASONING_STATE_TTL the state is gone; the replay reaches Gemini without it and the client gets
    Gemini's 400 in its own format, never a silent success with the state dropped."""
    import time
    from conftest import TARGET, _start
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RUST_LOG": "warn", "REASONING_STATE_TTL": "1"}
    proc, url = _start([str(TARGET / "omniroute"), "serve", "--port", "0", "--data-dir", str(tmp_path)], env)
    try:
        _post(f"{url}/api/provider-nodes", {"name": "gemini", "prefix": "up-gemini", "apiType": "gemini", "baseUrl": mock.url})
        _post(f"{url}/api/providers", {"provider": "up-gemini", "apiKey": "upstream-key-gemini-0123456789"})
        c = anthropic.Anthropic(base_url=url, api_key="omniroute-test", max_retries=0)
        call_id = f"call_{uuid.uuid4().hex[:12]}"
        script_two_turns(mock, "gemini", call_id)
        tools = [{"name": "get_weather", "description": "Weather", "input_schema": SCHEMA}]
        messages = [{"role": "user", "content": QUESTION}]
        first = c.messages.create(model=MODEL["gemini"], max_tokens=1024, tools=tools, messages=messages)
        call = next(b for b in first.content if b.type == "tool_use")
        messages += [{"role": "assistant", "content": first.content},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny"}]}]
        time.sleep(2.5)
        with pytest.raises(anthropic.BadRequestError) as e:
            c.messages.create(model=MODEL["gemini"], max_tokens=1024, tools=tools, messages=messages)
        assert "missing a thought_signature" in str(e.value)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- a combo that falls over to another family mid-conversation ----------------------------------------------

def combo(gateway, models):
    name = f"fallover-{uuid.uuid4().hex[:8]}"
    _post(f"{gateway}/api/combos", {"name": name, "strategy": "priority", "models": models})
    return name


@pytest.mark.parametrize("client", ["openai", "anthropic"])
@pytest.mark.parametrize("first,second", [("gemini", "anthropic"), ("anthropic", "gemini"), ("responses", "gemini"),
                                          ("gemini", "responses")])
def test_fallover_to_another_family_sends_no_foreign_state(gateway, mock, client, first, second):
    """Turn one is answered by `first`; on the tool-result turn `first` fails (500) and the combo moves on to
    `second`, which must get none of `first`'s signatures (it would refuse them) and, for Gemini 3, calls
    marked as issued elsewhere -- and the conversation completes."""
    name = combo(gateway, [MODEL[first], MODEL[second]])
    first_model, second_model = MODEL[first].split("/", 1)[1], MODEL[second].split("/", 1)[1]
    thinking = {"text": THOUGHT, "signature": SIGNATURE[first]}
    call_id = f"call_{uuid.uuid4().hex[:12]}"
    mock.script(model=first_model, reply={"text": "", "thinking": thinking, "tool_calls": [
        {"id": call_id, "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}]})
    mock.script(model=first_model, fault={"status": 500, "error_message": "first upstream down"})
    mock.script(model=second_model, reply={"text": FINAL})

    final = CONVERSATION[client](gateway, name, False)
    assert final == FINAL
    sent = [r for r in mock.received() if r["format"] is not None]
    assert [r["format"] for r in sent] == [first, first, second], [r["path"] for r in sent]
    body = json.dumps(sent[2]["body"])
    assert SIGNATURE[first] not in body, f"{first}'s signature reached {second}: {body}"
    if second == "gemini":
        model_turn = next(c for c in sent[2]["body"]["contents"] if c.get("role") == "model")
        call = next(p for p in model_turn["parts"] if "functionCall" in p)
        assert call["thoughtSignature"] == "skip_thought_signature_validator", model_turn
