"""Motion brush: frozen pixels stay bit-identical, regions move along their paths, loops close."""

import cv2
import numpy as np
import pytest

from app.media.masks import decode_mask, encode_mask
from app.media.motion import MotionAnimator
from tests.media.helpers import texture

W, H, COUNT = 480, 320, 24
SRC = texture(W, H, seed=5)


def doc(loop: bool, direction=(1, 0)):
    static = np.zeros((H, W), np.uint8)
    static[:, :120] = 255
    region = np.zeros((H, W), np.uint8)
    region[60:260, 180:420] = 255
    cx, cy = 300, 160
    dx, dy = direction
    traj = [[cx - 40 * dx, cy - 40 * dy], [cx, cy], [cx + 40 * dx, cy + 40 * dy]]
    return (
        {
            "static_mask": encode_mask(static),
            "loop": loop,
            "regions": [{"name": "water", "mask": encode_mask(region), "trajectory": traj}],
        },
        static,
        region,
    )


def frames(d, count=COUNT):
    anim = MotionAnimator.from_document(d, SRC, count, seed=0)
    return [anim(i) for i in range(count)]


@pytest.mark.parametrize("loop", [False, True])
def test_frozen_and_unpainted_pixels_are_bit_identical(loop):
    d, static, region = doc(loop)
    keep = (static > 0) | (region == 0)
    for f in frames(d):
        assert np.array_equal(f[keep], SRC[keep])


@pytest.mark.parametrize("direction", [(1, 0), (0, 1), (-1, -1)])
def test_flow_inside_the_region_follows_the_trajectory(direction):
    d, _, region = doc(False, direction)
    fs = frames(d)
    want = np.arctan2(direction[1], direction[0])
    inner = cv2.erode(region, np.ones((41, 41), np.uint8)) > 0
    errors = []
    for a, b in zip(fs[4:12], fs[5:13], strict=True):
        flow = cv2.calcOpticalFlowFarneback(
            cv2.cvtColor(a, cv2.COLOR_BGR2GRAY),
            cv2.cvtColor(b, cv2.COLOR_BGR2GRAY),
            None,
            0.5,
            3,
            15,
            3,
            5,
            1.2,
            0,
        )
        v = flow[inner]
        moving = np.hypot(v[:, 0], v[:, 1]) > 0.5
        ang = np.arctan2(v[moving, 1], v[moving, 0])
        errors.append(np.degrees(np.abs(np.angle(np.exp(1j * (ang - want))))))
    assert np.median(np.concatenate(errors)) < 15


def test_loop_closes_seamlessly():
    d, _, _ = doc(True)
    fs = frames(d)
    steps = [np.abs(a.astype(int) - b).mean() for a, b in zip(fs, fs[1:], strict=False)]
    wrap = np.abs(fs[-1].astype(int) - fs[0]).mean()
    assert max(steps) > 0.1  # it does move
    assert wrap <= max(steps)
    # the loop passes through the untouched still once, at one end
    assert np.array_equal(fs[0], SRC) or np.array_equal(fs[-1], SRC)


def test_mask_round_trip():
    m = np.zeros((30, 40), np.uint8)
    m[5:20, 10:30] = 255
    assert np.array_equal(decode_mask(encode_mask(m)), m)
