"""Storyboard cards: a still that says what a shot is (its scene heading and action), so an
imported screenplay renders offline before any reference image exists."""

from __future__ import annotations

import cv2
import numpy as np

INK = (232, 226, 214)
MUTED = (150, 146, 140)


def card(width: int, height: int, heading: str, body: str, *, night: bool = False) -> np.ndarray:
    """A BGR card: the heading large, the action wrapped below, on a dark ground whose tone
    says day or night (a camera move over it reads as a moving storyboard)."""
    top, bottom = ((34, 30, 46), (12, 10, 18)) if night else ((70, 66, 60), (28, 26, 24))
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    img = np.array(top, np.float32) * (1 - ramp) + np.array(bottom, np.float32) * ramp
    img = np.repeat(img, width, axis=1).astype(np.uint8)
    scale = max(0.4, width / 1280)
    margin = int(60 * scale)
    y = margin + int(30 * scale)
    font = cv2.FONT_HERSHEY_DUPLEX
    room = width - 2 * margin
    for line in _wrap(heading.upper(), font, 1.2 * scale, max(1, int(2 * scale)), room):
        cv2.putText(
            img, line, (margin, y), font, 1.2 * scale, INK, max(1, int(2 * scale)), cv2.LINE_AA
        )
        y += int(52 * scale)
    y += int(18 * scale)
    cv2.line(
        img,
        (margin, y - int(30 * scale)),
        (width - margin, y - int(30 * scale)),
        MUTED,
        1,
        cv2.LINE_AA,
    )
    for line in _wrap(body, cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale, max(1, int(1.5 * scale)), room)[
        :8
    ]:
        cv2.putText(
            img,
            line,
            (margin, y),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.8 * scale,
            INK,
            max(1, int(1.5 * scale)),
            cv2.LINE_AA,
        )
        y += int(38 * scale)
    return img


def _wrap(text: str, font: int, size: float, thickness: int, room: int) -> list[str]:
    """Words into lines no wider than ``room`` pixels, as OpenCV will draw them."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and cv2.getTextSize(trial, font, size, thickness)[0][0] > room:
            lines.append(line)
            line = word
        else:
            line = trial
    return [*lines, line] if line else lines
