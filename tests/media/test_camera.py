"""The camera path renders exactly the homography it claims (sub-pixel), for each axis."""

import cv2
import numpy as np
import pytest

from app.media.camera import CameraPath, Keyframe, preset_keyframes
from app.media.render import camera_renderer
from tests.media.helpers import texture

SRC = texture(1280, 720, seed=3)
OUT = (1024, 576)
COUNT = 25


def recovered_error(frame: np.ndarray, M: np.ndarray) -> float:
    """Mean distance (source px) between where the recovered and the true homography send a
    grid of output points."""
    sift = cv2.SIFT_create(nfeatures=4000)
    k1, d1 = sift.detectAndCompute(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), None)
    k2, d2 = sift.detectAndCompute(cv2.cvtColor(SRC, cv2.COLOR_BGR2GRAY), None)
    matches = cv2.BFMatcher(cv2.NORM_L2).knnMatch(d1, d2, k=2)
    good = [m for m, n in matches if m.distance < 0.7 * n.distance]
    assert len(good) > 100
    p1 = np.float32([k1[m.queryIdx].pt for m in good])
    p2 = np.float32([k2[m.trainIdx].pt for m in good])
    H, inliers = cv2.findHomography(p1, p2, cv2.RANSAC, 1.0, maxIters=5000, confidence=0.999)
    keep = inliers.ravel() > 0
    H, _ = cv2.findHomography(p1[keep], p2[keep], 0)  # least squares on the inliers
    W, Hh = OUT
    gx, gy = np.meshgrid(np.linspace(40, W - 40, 12), np.linspace(40, Hh - 40, 8))
    pts = np.stack([gx.ravel(), gy.ravel(), np.ones(gx.size)])
    a, b = H @ pts, M @ pts
    return float(np.mean(np.hypot(*(a[:2] / a[2] - b[:2] / b[2]))))


MOVES = {
    "pan": CameraPath(keyframes=preset_keyframes("pan_right")),
    "tilt": CameraPath(keyframes=preset_keyframes("tilt_up")),
    "roll": CameraPath(keyframes=preset_keyframes("roll_left")),
    "zoom": CameraPath(keyframes=preset_keyframes("zoom_in")),
    "combined": CameraPath(
        keyframes=[
            Keyframe(t=0),
            Keyframe(t=0.5, pan=3, tilt=-2, roll=2, zoom=1.15, truck=0.03, ease="linear"),
            Keyframe(t=1, pan=-4, tilt=2, roll=-3, zoom=1.3, pedestal=0.04, dolly=0.1),
        ]
    ),
}


@pytest.mark.parametrize("name", list(MOVES))
def test_rendered_frames_match_the_paths_homography(name):
    cam = MOVES[name]
    render = camera_renderer(SRC, cam, OUT, COUNT)
    overscan = render.overscan
    assert overscan >= 1.0
    errors = []
    for i in (0, COUNT // 2, COUNT - 1):
        M = cam.homography(i / (COUNT - 1), OUT, (1280, 720), overscan)
        errors.append(recovered_error(render(i), M))
    assert max(errors) < 0.5, errors


def test_move_actually_moves_and_stays_inside_the_picture():
    cam = CameraPath(keyframes=preset_keyframes("pan_right"))
    render = camera_renderer(SRC, cam, OUT, COUNT)
    first, last = render(0), render(COUNT - 1)
    assert np.abs(first.astype(int) - last).mean() > 10
    W, H = OUT
    corners = np.array([[0, 0, 1], [W - 1, 0, 1], [W - 1, H - 1, 1], [0, H - 1, 1]], float).T
    for t in np.linspace(0, 1, 11):
        p = cam.homography(t, OUT, (1280, 720), render.overscan) @ corners
        x, y = p[0] / p[2], p[1] / p[2]
        assert (
            x.min() >= -1e-6
            and y.min() >= -1e-6
            and x.max() <= 1279 + 1e-6
            and y.max() <= 719 + 1e-6
        )


@pytest.mark.parametrize("ease", ["linear", "ease_in", "ease_out", "ease_in_out", "hold"])
def test_easing_goes_from_start_to_end(ease):
    cam = CameraPath(keyframes=[Keyframe(t=0, pan=0, ease=ease), Keyframe(t=1, pan=10)])
    assert cam.sample(0)["pan"] == 0
    assert cam.sample(1)["pan"] == 10
    mid = cam.sample(0.5)["pan"]
    expected = {"linear": 5, "ease_in": 2.5, "ease_out": 7.5, "ease_in_out": 5, "hold": 0}[ease]
    assert mid == pytest.approx(expected)


def test_every_preset_is_defined_and_sane():
    from app.media.camera import PRESETS

    for p in PRESETS:
        cam = CameraPath(keyframes=preset_keyframes(p, 1.0))
        assert cam.overscan((640, 360), (1280, 720)) >= 1.0, p
    assert CameraPath(keyframes=preset_keyframes("static")).is_static()
