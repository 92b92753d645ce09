"""Several photos, one driver (issue 12 item 5): fs_reenact_grid_video through the Python binding
(``faceswap.reenact_video([...])``, ``faceswap.reenact_grid_video``) and the CLI's repeated
``--source``, on the first 2 s (50 frames) of vr_face3 (cut with ffmpeg, audio kept) and three
photos of different sizes (fr_biden2 scaled to 400 x 400, fr_rose_leslie1, fr_obama1).

Checked against what this test computes itself:

- layout: the output size and each tile's place from faceswap.h's rule, written out again here
  (``layout``); frame count and every frame's timestamp equal the driver's (ffprobe); an audio
  stream is there, as in the driver;
- motion: per tile, fresh dlib 68-point fits of every output frame (the tile cut out of the
  decoded grid frame) against fresh fits of the driver's frames: the mouth opening's Pearson r
  (test_reenact_expression's measures and comparison, imported, not copied);
- pixels: each tile equals the single-photo fs_reenact_video of that photo (an independent path:
  its own reenactor and tracker), scaled to the tile by Pillow here: PSNR per frame. As a control,
  the tile is further from the still photo scaled the same way (the tile is animated, not still);
- one track: a second reenactor asking for raw tracking still animates from the first's track
  (its tile is the single run with the first's tracking, not with its own);
- the driver tile of side_by_side: the driver's own frame, scaled;
- bad input: no photos, too many, a photo without a face (its index named), one reenactor twice,
  negative columns; nothing written.

Lossless H.264 (crf 0) for the comparisons, so the PSNR measures the tiling, not the encoder.
Figures are printed at the end of the run (section "reenactment grid figures").
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess

import numpy as np
import pytest

from conftest import FACES, FIGURES, TABLES
from test_cli_abi import CLI
from test_reenact import VIDEOS, det, landmarks_in, lm, probe  # noqa: F401  (det, lm: fixtures)
from test_reenact_expression import compare, measures

TABLE = TABLES.setdefault("reenactment grid figures", [])
SECONDS = 2.0          # the driver: vr_face3's first 2 s (50 frames at 25 fps)
GAP = 8                # faceswap.h: 8 black pixels between columns and rows
LOSSLESS = {"crf": 0, "preset": "ultrafast"}


@pytest.fixture(autouse=True, scope="module")
def tools_present():
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed to cut and decode the driving clip (apt-get install ffmpeg)")


# ------------------------------------------------------------------------------------------------
# The layout rule of faceswap.h (fs_reenact_grid_video), written out independently
# ------------------------------------------------------------------------------------------------

def grid_layout(sizes, height, columns=0):
    """(width, height, [tile rects (x, y, w, h)]) for tiles of `sizes` [(w, h)] (the driver first
    when side by side, then the photos' even copies) at `height` (the smallest photo's): widths
    rounded, then down to even; ceil(sqrt(n)) columns or `columns` (at most n); cells as wide as
    their column's widest tile, a tile centred in its cell (offset down to even), GAP between."""
    n = len(sizes)
    cols = math.ceil(math.sqrt(n)) if columns == 0 else min(columns, n)
    rows = math.ceil(n / cols)
    widths = [max(2, int(math.floor(w * height / h + 0.5)) & ~1) for w, h in sizes]
    col_w = [max(widths[k] for k in range(c, n, cols)) for c in range(cols)]
    rects = []
    for k, w in enumerate(widths):
        c, r = k % cols, k // cols
        x = sum(col_w[:c]) + GAP * c + ((col_w[c] - w) // 2 & ~1)
        rects.append((x, r * (height + GAP), w, height))
    return sum(col_w) + GAP * (cols - 1), rows * height + GAP * (rows - 1), rects


# ------------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    """vr_face3's first SECONDS, re-encoded near-losslessly, its audio kept (AAC)."""
    path = tmp_path_factory.mktemp("grid_driver") / "driver.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(VIDEOS / "vr_face3.mp4"), "-t", str(SECONDS),
                    "-c:v", "libx264", "-crf", "10", "-preset", "veryfast", "-c:a", "aac", str(path)],
                   check=True)
    return path


@pytest.fixture(scope="module")
def photos(fs, pil):
    """Three photos of different sizes, as BGR arrays of even size (what the reenactors keep)."""
    biden = fs.load_image(FACES / "fr_biden2.jpg")
    small = pil.fromarray(biden[:, :, ::-1].copy()).resize((400, 400), pil.LANCZOS)
    out = [np.ascontiguousarray(np.asarray(small)[:, :, ::-1])]
    for name in ("fr_rose_leslie1.jpg", "fr_obama1.jpg"):
        img = fs.load_image(FACES / name)
        out.append(img[: img.shape[0] & ~1, : img.shape[1] & ~1].copy())
    return out


NAMES = ["fr_biden2 (400x400)", "fr_rose_leslie1", "fr_obama1"]


def frames(path):
    """The frames of a video, one (H, W, 3) BGR array at a time (ffmpeg rawvideo, streamed)."""
    video = [s for s in probe(path)["streams"] if s["codec_type"] == "video"][0]
    w, h = int(video["width"]), int(video["height"])
    p = subprocess.Popen(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "bgr24", "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # stopped early: no pipe noise
    try:
        while True:
            raw = p.stdout.read(w * h * 3)
            if len(raw) < w * h * 3:
                break
            yield np.frombuffer(raw, np.uint8).reshape(h, w, 3)
    finally:
        p.stdout.close()
        p.wait()


def streams(path):
    info = probe(path)["streams"]
    return [s for s in info if s["codec_type"] == "video"][0], [s for s in info if s["codec_type"] == "audio"]


def frame_times(path):
    """Every video frame's presentation time (s), in decoding order, as ffprobe reads them."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "frame=pts_time", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return [float(line.split(",")[0]) for line in out.split() if line.split(",")[0]]


def scaled(pil, img, w, h):
    """img (BGR) at w x h by Pillow: box filter when shrinking (as an area average), bilinear
    when enlarging."""
    if (img.shape[1], img.shape[0]) == (w, h):
        return img
    f = pil.BOX if w < img.shape[1] else pil.BILINEAR
    return np.asarray(pil.fromarray(img[:, :, ::-1].copy()).resize((w, h), f))[:, :, ::-1]


def psnr(a, b) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def mouth_series(points, neutral):
    """The mouth opening per frame minus the neutral's (NaN where no face)."""
    base = measures(neutral)["mouth"]
    return np.array([np.nan if p is None else measures(p)["mouth"] - base for p in points])


# ------------------------------------------------------------------------------------------------
# The runs (made once per module)
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def grid_run(fs, tmp_path_factory, driver, photos):
    """The grid of the three photos, and each photo alone (fs_reenact_video), lossless."""
    d = tmp_path_factory.mktemp("grid_runs")
    calls = []
    stats = fs.reenact_video(photos, driver, d / "grid.mp4", progress=lambda a, b: calls.append(a), **LOSSLESS)
    singles = [fs.reenact_video(p, driver, d / f"single{i}.mp4", **LOSSLESS) for i, p in enumerate(photos)]
    height = min(p.shape[0] for p in photos)
    return {"path": d / "grid.mp4", "stats": stats, "calls": calls, "singles": singles,
            "single_paths": [d / f"single{i}.mp4" for i in range(len(photos))],
            "layout": grid_layout([(p.shape[1], p.shape[0]) for p in photos], height)}


@pytest.fixture(scope="module")
def measured(fs, pil, det, lm, hog_up1, driver, photos, grid_run):
    """Per tile: the mouth series of fresh fits of every output frame; PSNR per frame against the
    single-photo run's frame and against the still photo, both scaled to the tile."""
    _, _, rects = grid_run["layout"]
    drv = [landmarks_in(det, lm, f) for f in frames(driver)]
    stills = [scaled(pil, p, w, h) for p, (_, _, w, h) in zip(photos, rects)]
    neutral = [landmarks_in(hog_up1, lm, s) for s in stills]
    fits = [[] for _ in photos]
    to_single = [[] for _ in photos]
    to_still = [[] for _ in photos]
    singles = [frames(p) for p in grid_run["single_paths"]]
    for g in frames(grid_run["path"]):
        for i, (x, y, w, h) in enumerate(rects):
            tile = g[y:y + h, x:x + w]
            fits[i].append(landmarks_in(hog_up1, lm, tile))
            to_single[i].append(psnr(tile, scaled(pil, next(singles[i]), w, h)))
            to_still[i].append(psnr(tile, stills[i]))
    out = []
    d_neutral = next(p for p in drv if p is not None)
    d_mouth = mouth_series(drv, d_neutral)
    for i in range(len(photos)):
        assert neutral[i] is not None, f"no face found in the still {NAMES[i]} at tile size"
        o_mouth = mouth_series(fits[i], neutral[i])
        ok = ~np.isnan(d_mouth) & ~np.isnan(o_mouth)
        c = compare(d_mouth[ok], o_mouth[ok])
        res = {"r": c["r"], "amp": c["amp"], "frames": int(ok.sum()), "missed": int(np.isnan(o_mouth).sum()),
               "psnr_min": min(to_single[i]), "psnr_mean": float(np.mean(to_single[i])),
               "still_mean": float(np.mean(to_still[i])), "n": len(to_single[i])}
        TABLE.append(f"tile {i} {NAMES[i]}: mouth r {res['r']:.2f} amplitude {res['amp']:.2f} over "
                     f"{res['frames']} frames ({res['missed']} without a fit); PSNR to the single-photo "
                     f"run min {res['psnr_min']:.1f} / mean {res['psnr_mean']:.1f} dB, to the still photo "
                     f"mean {res['still_mean']:.1f} dB")
        out.append(res)
    return out


# ------------------------------------------------------------------------------------------------
# Layout, frames, timestamps, audio
# ------------------------------------------------------------------------------------------------

def test_grid_size_frames_timestamps_and_audio(driver, grid_run):
    video, audio = streams(grid_run["path"])
    drv_video, drv_audio = streams(driver)
    w, h, rects = grid_run["layout"]
    print(f"grid {video['width']}x{video['height']} (rule: {w}x{h}, tiles {rects}); "
          f"{video['nb_read_frames']} frames; stats {grid_run['stats']}")
    FIGURES["reenact grid: 3 photos, vr_face3 2 s"] = (
        f"{w}x{h}, {grid_run['stats']['frames']} frames in {grid_run['stats']['seconds']:.2f} s")
    assert (w, h) == (1362, 808)  # 400 x 400, 1280 x 798 -> 642 x 400, 1480 x 832 -> 712 x 400; 2 columns
    assert (int(video["width"]), int(video["height"])) == (w, h)
    n = int(drv_video["nb_read_frames"])
    assert n == 50
    assert int(video["nb_read_frames"]) == grid_run["stats"]["frames"] == n
    assert grid_run["stats"]["frames_with_faces"] == n
    assert [s["frames"] for s in grid_run["singles"]] == [n] * 3
    assert grid_run["calls"][-1] == n
    assert len(drv_audio) == 1 and len(audio) == 1, "the driver's audio must be kept"
    t_out, t_drv = frame_times(grid_run["path"]), frame_times(driver)
    assert len(t_out) == len(t_drv) == n
    assert max(abs(a - b) for a, b in zip(t_out, t_drv)) < 1e-3, "frame timestamps differ from the driver's"


def test_gaps_are_black(grid_run):
    """The pixels outside every tile (gaps, and the cell beside the last row's tile) are black."""
    w, h, rects = grid_run["layout"]
    g = next(frames(grid_run["path"]))
    outside = np.ones((h, w), bool)
    for x, y, tw, th in rects:
        outside[y:y + th, x:x + tw] = False
    assert outside.sum() > 0
    assert int(g[outside].max()) <= 2, f"outside the tiles: max level {int(g[outside].max())}"


# ------------------------------------------------------------------------------------------------
# Each tile: the driver's motion, and the single-photo run's pixels
# ------------------------------------------------------------------------------------------------

# The single-photo goal of test_reenact_expression (issue 12): mouth r >= 0.9. Measured on this
# 2 s cut (50 frames), with the synthesised mouth (mouth_fill 1, the default): fr_biden2 at 400 x
# 400 0.93, fr_rose_leslie1 0.98, fr_obama1 0.46 (with the driver's mouth copied, before it was
# the default: 0.80, 0.97, 0.75). Each tile is the single-photo run of its photo (PSNR >= 42 dB to
# it, below), so these are the reenactor's own figures on these photos, not a loss of the grid:
# the goal is a strict xfail where unmet, and every tile must still clear MOUTH_FLOOR, 0.06 under
# the lowest measured r (fr_obama1's 0.46: dlib's re-fit reads the cavity drawn into his pursed
# lips as nearly closed, as test_reenact_expression's vr_face3 -> fr_obama1 xfail records), so a
# tile that stops following the driver (a still photo: r undefined -> 0; another track) fails.
MOUTH_GOAL = 0.9
MOUTH_FLOOR = 0.4
MOUTH_XFAIL = {
    2: "mouth r 0.46, amplitude 0.39 (fr_obama1: the re-fit reads the mouth drawn into his pursed lips as "
       "nearly closed, as in test_reenact_expression)",
}


@pytest.mark.parametrize("tile", range(3), ids=NAMES)
def test_each_tile_follows_the_drivers_mouth(measured, tile):
    m = measured[tile]
    assert m["missed"] <= 0.05 * m["n"], f"{m['missed']} of {m['n']} tiles without a face found"
    assert m["r"] >= MOUTH_FLOOR, f"{NAMES[tile]}: mouth r {m['r']:.3f} (amplitude {m['amp']:.2f})"


@pytest.mark.parametrize("tile", [
    pytest.param(i, id=NAMES[i], marks=[pytest.mark.xfail(strict=True, reason=MOUTH_XFAIL[i])] if i in MOUTH_XFAIL else [])
    for i in range(3)])
def test_each_tile_meets_the_single_photo_mouth_goal(measured, tile):
    m = measured[tile]
    assert m["r"] >= MOUTH_GOAL, f"{NAMES[tile]}: mouth r {m['r']:.3f} (amplitude {m['amp']:.2f})"


# Lossless tiles against Pillow's scaling of the lossless single-photo frames: the differences
# are the two scalers' (OpenCV's area average vs Pillow's box filter) and 4:2:0 chroma at another
# scale. Measured (worst frame): the unscaled tile (fr_biden2, 400 high) 69.5 dB, the scaled ones
# 43.2 (fr_rose_leslie1) and 42.0 dB (fr_obama1); the still photo scaled alike: 16.6-21.5 dB
# (mean). PSNR_MIN keeps 4 dB under the worst scaled tile for another build's scaler, and 16 dB
# over the still photo.
PSNR_MIN = 38.0


@pytest.mark.parametrize("tile", range(3), ids=NAMES)
def test_each_tile_is_the_single_photo_run_scaled(measured, tile):
    m = measured[tile]
    assert m["psnr_min"] >= PSNR_MIN, f"{NAMES[tile]}: PSNR to the single-photo run {m['psnr_min']:.1f} dB"
    assert m["psnr_mean"] > m["still_mean"] + 3, (
        f"{NAMES[tile]}: no nearer the animated single run ({m['psnr_mean']:.1f} dB) than the still photo "
        f"({m['still_mean']:.1f} dB)")


def test_the_driver_is_tracked_once_by_the_first_reenactor(fs, tmp_path, driver, photos):
    """One track for every tile, the first reenactor's: a second reenactor made with raw tracking
    (detect every frame, no smoothing) animates its tile from the first's smoothed track. Its
    tile (fr_biden2 400 x 400: unscaled) equals the single run of its photo with the DEFAULT
    tracking, and not the single run with its own raw tracking."""
    raw = {"detect_interval": 1, "min_cutoff": 0.0}
    with fs.Reenactor(photos[1]) as lead, fs.Reenactor(photos[0], **raw) as second:
        fs.reenact_grid_video([lead, second], driver, tmp_path / "grid.mp4", **LOSSLESS)
    fs.reenact_video(photos[0], driver, tmp_path / "default.mp4", **LOSSLESS)
    fs.reenact_video(photos[0], driver, tmp_path / "raw.mp4", **LOSSLESS, **raw)
    _, _, rects = grid_layout([(p.shape[1], p.shape[0]) for p in photos[1::-1]], 400)
    x, y, w, h = rects[1]
    assert (w, h) == (400, 400)
    to_default, to_raw = [], []
    for g, d, r in zip(frames(tmp_path / "grid.mp4"), frames(tmp_path / "default.mp4"), frames(tmp_path / "raw.mp4")):
        tile = g[y:y + h, x:x + w]
        to_default.append(psnr(tile, d))
        to_raw.append(psnr(tile, r))
    TABLE.append(f"one track: the second tile (raw tracking asked) vs its photo's single run with the default "
                 f"tracking: min {min(to_default):.1f} dB; with raw tracking: mean {np.mean(to_raw):.1f} dB")
    assert len(to_default) == 50
    assert min(to_default) >= PSNR_MIN
    assert np.mean(to_raw) < min(to_default) - 10


# ------------------------------------------------------------------------------------------------
# side_by_side, columns
# ------------------------------------------------------------------------------------------------

def test_side_by_side_puts_the_driver_first_and_columns_one_row(fs, pil, tmp_path, driver, photos):
    drv_video, _ = streams(driver)
    dsize = (int(drv_video["width"]), int(drv_video["height"]))
    two = photos[:2]
    with fs.Reenactor(two[0]) as a, fs.Reenactor(two[1]) as b:
        stats = fs.reenact_grid_video([a, b], driver, tmp_path / "sbs.mp4", side_by_side=True, **LOSSLESS)
        row = fs.reenact_grid_video([a, b], driver, tmp_path / "row.mp4", columns=16, **LOSSLESS)
    height = min(p.shape[0] for p in two)
    w, h, rects = grid_layout([dsize] + [(p.shape[1], p.shape[0]) for p in two], height)
    video, audio = streams(tmp_path / "sbs.mp4")
    assert (int(video["width"]), int(video["height"])) == (w, h) and len(audio) == 1
    assert stats["frames"] == row["frames"] == int(drv_video["nb_read_frames"])
    x, y, tw, th = rects[0]
    worst = min(psnr(g[y:y + th, x:x + tw], scaled(pil, f, tw, th))
                for g, f in zip(frames(tmp_path / "sbs.mp4"), frames(driver)))
    print(f"side by side {w}x{h}: the driver tile's PSNR to the driver frame scaled: min {worst:.1f} dB")
    # Measured: 38.7 dB (worst frame; the driver's detail scaled by 0.68 differs more between the
    # two scalers than the photos' did); 3.7 dB of margin as for PSNR_MIN.
    assert worst >= 35.0
    rw, rh, _ = grid_layout([(p.shape[1], p.shape[0]) for p in two], height, columns=16)
    video, _ = streams(tmp_path / "row.mp4")
    assert (int(video["width"]), int(video["height"])) == (rw, rh) == (400 + GAP + 642, 400)


# ------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------

def test_bad_input_is_a_clear_error_and_writes_nothing(fs, pil, tmp_path, driver, photos):
    out = tmp_path / "never.mp4"
    noface = fs.load_image(FACES / "dlib_dogs_noface.jpg")
    with pytest.raises(fs.FaceSwapError) as e:
        fs.reenact_video([photos[0], noface, photos[1]], driver, out)
    assert e.value.status == fs.Status.NO_FACE and "photos[1]" in e.value.message, e.value.message
    with pytest.raises(fs.FaceSwapError) as e:
        fs.reenact_video([], driver, out)
    assert e.value.status == fs.Status.INVALID_ARGUMENT and "count 0 is outside 1–16" in e.value.message
    with fs.Reenactor(photos[0]) as a, fs.Reenactor(photos[1]) as b:
        cases = [(([a] * 17,), {}, "count 17 is outside 1–16"),
                 (([a, b, a],), {}, "reenactors[2] is reenactors[0] again"),
                 (([a, b],), {"columns": -1}, "columns -1 is negative")]
        for args, kw, words in cases:
            with pytest.raises(fs.FaceSwapError) as e:
                fs.reenact_grid_video(*args, driver, out, **kw)
            assert e.value.status == fs.Status.INVALID_ARGUMENT and words in e.value.message, e.value.message
            assert e.value.message.startswith("fs_reenact_grid_video: ")
    # Two faces on 20000 x 200 strips: tiles 20000 wide, the grid 40008 > FS_MAX_IMAGE_SIDE.
    strip = np.zeros((200, 20000, 3), np.uint8)
    strip[:, :200] = scaled(pil, photos[0], 200, 200)
    with fs.Reenactor(strip) as a, fs.Reenactor(strip.copy()) as b:
        with pytest.raises(fs.FaceSwapError) as e:
            fs.reenact_grid_video([a, b], driver, out, columns=2)
    assert e.value.status == fs.Status.TOO_LARGE and "40008×200" in e.value.message, e.value.message
    assert fs.capi.REENACT_GRID_MAX == 16
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------------------------------------
# The command line
# ------------------------------------------------------------------------------------------------

def test_cli_repeated_source_writes_the_grid(tmp_path, driver, photos, fs):
    assert CLI.is_file(), f"no CLI at {CLI} (make build)"
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    fs.save_image(photos[0], a)
    fs.save_image(photos[1], b)
    out = tmp_path / "grid.mp4"
    subprocess.run([str(CLI), "reenact", "--source", str(a), "--source", str(b), "--driving", str(driver),
                    "-o", str(out), "--quiet"], check=True, capture_output=True)
    w, h, _ = grid_layout([(400, 400), (1280, 798)], 400)
    video, audio = streams(out)
    assert (int(video["width"]), int(video["height"])) == (w, h) and len(audio) == 1
    helptext = subprocess.run([str(CLI), "reenact", "--help"], capture_output=True, text=True, check=True).stdout
    assert "repeat it" in helptext and "--columns" in helptext
    noface = tmp_path / "noface.jpg"
    shutil.copy(FACES / "dlib_dogs_noface.jpg", noface)
    bad = subprocess.run([str(CLI), "reenact", "--source", str(a), "--source", str(noface), "--driving",
                          str(driver), "-o", str(tmp_path / "bad.mp4"), "--quiet"], capture_output=True, text=True)
    assert bad.returncode == 1 and "--source #2" in bad.stderr and "no face" in bad.stderr, bad.stderr
    assert not (tmp_path / "bad.mp4").exists()
