"""Local lip-sync: the mouth opens with the audio; the audio is muxed in, aligned."""

import shutil

import av
import numpy as np

from app.media.lipsync import detect_mouth
from app.media.video import iter_frames, probe
from tests.media.helpers import MEDIA, write_wav

RATE = 16000


def speechlike(seconds: float) -> np.ndarray:
    """Syllable-like bursts of a voiced tone with silences, so the envelope swings widely."""
    t = np.arange(int(seconds * RATE)) / RATE
    syllables = np.clip(np.sin(2 * np.pi * 2.3 * t) * 1.4, 0, 1) * (
        0.4 + 0.6 * (np.sin(2 * np.pi * 0.37 * t) > -0.3)
    )
    voice = np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 360 * t)
    return (0.5 * syllables * voice).astype(np.float32)


def test_mouth_follows_the_audio_and_audio_is_muxed(runner):
    shutil.copy(MEDIA / "astronaut.png", runner.tmp / "face.png")
    audio = speechlike(3.0)
    write_wav(runner.tmp / "voice.wav", audio, RATE)
    r = runner(
        [
            ("p", "prompt", {"subject": "a face"}),
            ("img", "reference_image", {"path": "face.png"}),
            ("g", "generator", {"duration": 1.0, "fps": 24, "width": 512, "height": 512}),
            ("a", "load_audio", {"path": "voice.wav"}),
            ("ls", "lip_sync", {}),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("img", "image", "g", "image"),
            ("g", "video", "ls", "video"),
            ("a", "audio", "ls", "audio"),
        ],
    )
    assert r.status == "ok", r.errors
    out = r.outputs["ls"]["video"].path
    meta = probe(out)
    fps = meta.fps
    # output length follows the audio (the 1 s video holds its last frame); audio within a frame
    assert abs(meta.duration - 3.0) <= 1 / fps
    with av.open(str(out)) as c:
        a = c.streams.audio[0]
        audio_seconds = (
            float(a.duration * a.time_base)
            if a.duration
            else sum(f.samples for f in c.decode(a)) / a.rate
        )
    assert abs(audio_seconds - meta.duration) <= 1 / fps

    # measure the opening in the frames themselves: darkness between the lips vs the still
    still = next(
        iter_frames(r.outputs["g"]["video"].path)
    )  # the input: a still portrait, mouth closed
    x, y, w, h = detect_mouth(still)
    frames = list(iter_frames(out))
    still = still.astype(np.float32)
    opening = []
    for f in frames:
        region = (slice(y, y + 2 * h), slice(x, x + w))
        opening.append(float(np.mean(np.abs(f[region].astype(np.float32) - still[region]))))
    hop = RATE / fps
    rms = np.array(
        [
            np.sqrt(np.mean(audio[int(i * hop) : int((i + 1) * hop)] ** 2))
            for i in range(len(frames))
        ]
    )
    r_value = np.corrcoef(opening, rms)[0, 1]
    assert r_value > 0.8, r_value


def test_user_mouth_box_outside_the_frame_is_a_clear_error(runner):
    shutil.copy(MEDIA / "chelsea.png", runner.tmp / "cat.png")
    write_wav(runner.tmp / "v.wav", speechlike(0.5), RATE)
    r = runner(
        [
            ("p", "prompt", {}),
            ("img", "reference_image", {"path": "cat.png"}),
            ("g", "generator", {"duration": 0.5, "width": 450, "height": 300}),
            ("a", "load_audio", {"path": "v.wav"}),
            ("ls", "lip_sync", {"mouth_box": [400, 280, 100, 50]}),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("img", "image", "g", "image"),
            ("g", "video", "ls", "video"),
            ("a", "audio", "ls", "audio"),
        ],
    )
    assert r.states["ls"] == "failed"
    assert "mouth_box" in r.errors["ls"] and "not inside the 450x300 frame" in r.errors["ls"]
