"""The official `openai` SDK's media calls — embeddings, image generation, transcription —
against the gateway, with catalog providers connected to the mock upstream."""

import base64

import openai
import pytest

from conftest import _post

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
FLUX = "fireworks/accounts/fireworks/models/flux-1-schnell-fp8"
# Each provider's base URL keeps the path of its catalog URL, on the mock's host.
MEDIA_PROVIDERS = {"openai": "/v1", "gemini": "", "fireworks": "/inference/v1",
                   "deepgram": "", "assemblyai": ""}


@pytest.fixture(scope="module")
def media_gateway(gateway, mock):
    for provider, path in MEDIA_PROVIDERS.items():
        _post(f"{gateway}/api/providers",
              {"provider": provider, "apiKey": f"sk-{provider}-media-0123456789", "baseUrl": f"{mock.url}{path}"})
    return gateway


def client(gateway):
    return openai.OpenAI(base_url=f"{gateway}/v1", api_key="omniroute-test", max_retries=0)


@pytest.mark.parametrize("model", ["openai/text-embedding-3-small", "gemini/gemini-embedding-001"])
def test_embeddings(media_gateway, mock, model):
    # The SDK asks for base64 and decodes it: this checks the little-endian f32 encoding too.
    r = client(media_gateway).embeddings.create(model=model, input=["first", "second"], dimensions=3)
    assert [d.embedding for d in r.data] == [[1.0, 0.5, -0.25], [2.0, 0.5, -0.25]]
    assert r.usage.total_tokens > 0
    sent = mock.received()[-1]
    if model.startswith("gemini/"):
        assert sent["path"] == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
        assert sent["body"]["requests"][1]["content"]["parts"][0]["text"] == "second"
    else:
        assert sent["path"] == "/v1/embeddings" and sent["body"]["model"] == "text-embedding-3-small"


def test_embeddings_float_format(media_gateway):
    r = client(media_gateway).embeddings.create(
        model="gemini/gemini-embedding-001", input="one", encoding_format="float")
    assert r.data[0].embedding == [1.0, 0.5, -0.25]
    assert r.model == "gemini/gemini-embedding-001"


def test_images_openai(media_gateway):
    r = client(media_gateway).images.generate(model="openai/gpt-image-1", prompt="a red fox")
    assert r.data[0].b64_json == PNG_B64


def test_images_fireworks_flux(media_gateway, mock):
    r = client(media_gateway).images.generate(
        model=FLUX, prompt="a lighthouse", n=2, size="1024x1024", response_format="b64_json")
    assert [d.b64_json for d in r.data] == [PNG_B64, PNG_B64]
    assert base64.b64decode(r.data[0].b64_json).startswith(b"\x89PNG")
    sent = mock.received()
    assert len(sent) == 2
    assert sent[0]["path"].endswith("/workflows/accounts/fireworks/models/flux-1-schnell-fp8/text_to_image")
    assert sent[0]["body"] == {"prompt": "a lighthouse", "aspect_ratio": "1:1"}


@pytest.mark.parametrize("model,expected", [
    ("deepgram/nova-3", "Hello from the mock Deepgram."),
    ("assemblyai/universal", "Hello from the mock AssemblyAI."),
])
def test_transcriptions(media_gateway, model, expected):
    c = client(media_gateway)
    r = c.audio.transcriptions.create(model=model, file=("hello.wav", b"RIFF0000WAVEfmt ", "audio/wav"))
    assert r.text == expected
    text = c.audio.transcriptions.create(
        model=model, file=("hello.mp3", b"ID3-audio", "audio/mpeg"), response_format="text")
    assert text.strip() == expected
    verbose = c.audio.transcriptions.create(
        model=model, file=("hello.ogg", b"OggS-audio", "audio/ogg"), response_format="verbose_json")
    assert verbose.text == expected and verbose.duration > 0


def test_transcription_rejects_unknown_formats(media_gateway):
    with pytest.raises(openai.BadRequestError) as e:
        client(media_gateway).audio.transcriptions.create(
            model="deepgram/nova-3", file=("notes.txt", b"hello", "text/plain"))
    assert "mp3, wav, m4a, flac, ogg, webm" in str(e.value)
