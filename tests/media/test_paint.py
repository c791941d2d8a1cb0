"""The motion-brush painting maths, without Qt: stamps, strokes, erase, fill, the changed box
and the overlay, checked pixel by pixel."""

import numpy as np

from app.media import paint


def test_a_hard_stamp_is_a_disc_and_a_soft_one_falls_off():
    hard = paint.stamp(5, 1.0)
    assert hard.shape == (11, 11) and hard[5, 5] == 1 and hard[5, 0] == 1 and hard[0, 0] == 0
    assert set(np.unique(hard)) == {0.0, 1.0}
    soft = paint.stamp(5, 0.0)
    assert soft[5, 5] == 1 and 0 < soft[5, 2] < soft[5, 4] < 1 and soft[5, 0] == 0


def test_a_stroke_leaves_no_gaps_and_reports_its_box():
    mask = np.zeros((40, 100), np.uint8)
    box = paint.segment(mask, paint.stamp(3, 1.0), (10, 20), (90, 20), spacing=1, erase=False)
    assert box == (8, 17, 94, 24)  # from the first dab after a to b's far edge
    assert (mask[20, 11:91] == 255).all()  # one continuous line, however fast the mouse moved
    assert mask[:17].max() == 0 and mask[24:].max() == 0
    ys, xs = np.nonzero(mask)
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == box


def test_erasing_takes_paint_away_only_under_the_brush():
    mask = np.full((30, 30), 255, np.uint8)
    paint.dab(mask, paint.stamp(4, 1.0), 15, 15, erase=True)
    assert mask[15, 15] == 0 and mask[15, 11] == 0 and mask[15, 10] == 255 and mask[0, 0] == 255


def test_painting_keeps_the_stronger_coverage():
    mask = np.zeros((30, 30), np.uint8)
    paint.dab(mask, paint.stamp(6, 1.0), 15, 15, erase=False)
    paint.dab(mask, paint.stamp(6, 0.0), 15, 15, erase=False)  # softer on top: no weaker pixel
    assert mask[15, 20] == 255


def test_a_dab_off_the_mask_touches_nothing_and_one_on_the_edge_is_clipped():
    mask = np.zeros((20, 20), np.uint8)
    assert paint.dab(mask, paint.stamp(3, 1.0), -10, -10, erase=False) is None
    assert mask.max() == 0
    assert paint.dab(mask, paint.stamp(3, 1.0), 0, 0, erase=False) == (0, 0, 4, 4)


def test_fill_stays_inside_a_closed_outline():
    mask = np.zeros((50, 50), np.uint8)
    mask[10, 10:40] = mask[39, 10:40] = 255
    mask[10:40, 10] = mask[10:40, 39] = 255
    paint.fill(mask, 25, 25)
    assert (mask[11:39, 11:39] == 255).all() and mask[5, 5] == 0 and mask[45, 45] == 0
    paint.fill(mask, 99, 99)  # outside the picture: nothing happens, no error


def test_changed_box():
    a = np.zeros((10, 10), np.uint8)
    b = a.copy()
    assert paint.changed_box(a, b) is None
    b[3, 4] = b[6, 2] = 1
    assert paint.changed_box(a, b) == (2, 3, 5, 7)
    assert paint.changed_box(a, b, (0, 0, 2, 2)) is None  # no change inside the given box
    assert paint.changed_box(a, b, (0, 0, 10, 10)) == (0, 0, 10, 10)


def test_overlay_colours_regions_with_their_coverage_and_outlines_edges():
    buf = np.full((20, 20, 4), 7, np.uint8)
    red = np.zeros((20, 20), np.uint8)
    red[5:15, 5:15] = 200
    blue = np.zeros((20, 20), np.uint8)
    blue[10:12, 10:12] = 255
    paint.overlay(buf, [(red, (255, 0, 0)), (blue, (0, 0, 255))], (0, 0, 20, 20))
    assert tuple(buf[6, 6]) == (0, 0, 255, 200)  # BGRA: red at the mask's coverage
    assert tuple(buf[10, 10]) == (255, 0, 0, 255)  # the later region on top
    assert tuple(buf[0, 0]) == (0, 0, 0, 0)  # what was there before is cleared
    paint.overlay(buf, [(red, (255, 0, 0))], (0, 0, 20, 20), outline=True)
    assert buf[5, 9, 3] == 255 and buf[9, 9, 3] == 0  # the edge shows, the inside does not
    assert buf[4, 9, 3] == 0


def test_a_stamp_stays_small_whatever_size_it_is_asked_for():
    assert paint.stamp(1e9, 1.0).shape == (2 * paint.MAX_RADIUS + 1,) * 2
    import pytest

    with pytest.raises(ValueError):
        paint.stamp(float("nan"), 0.5)
