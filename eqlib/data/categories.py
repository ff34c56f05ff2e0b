"""Procedural visual categories standing in for faces, bodies, places and objects.

Category-selective regions of the ventral stream (FFA for faces, EBA for bodies, PPA for
places) are studied with photographs that cannot be shipped here. ``category_images`` draws
grey-scale line drawings of the four categories instead, each with two sub-categories for
the nested-hierarchy question, and with pose, scale, position, stroke and noise variation:

- faces (smiling / frowning): head outline, eyes, brows, nose, mouth;
- bodies (arms down / arms raised): stick figures with articulated limbs;
- places (room / street): perspective lines, horizon, walls, windows;
- objects (tool / container): hammers and wrenches, cups and bottles.

``load_image_folder`` reads real photographs laid out one sub-folder per category.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import torch

CATEGORIES = ("faces", "bodies", "places", "objects")
SUBCATEGORIES = {
    "faces": ("smiling", "frowning"),
    "bodies": ("arms down", "arms raised"),
    "places": ("room", "street"),
    "objects": ("tool", "container"),
}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")


class _Canvas:
    """Strokes drawn on a grid of points ``(H, W)`` in [-1, 1]^2, antialiased over one pixel."""

    def __init__(self, size: int, angle: float, scale: float, shift: tuple[float, float], stroke: float) -> None:
        axis = (np.arange(size) + 0.5) / size * 2 - 1
        y, x = np.meshgrid(axis, axis, indexing="ij")
        # inverse of the pose: image point -> drawing coordinates
        x, y = (x - shift[0]) / scale, (y - shift[1]) / scale
        c, s = math.cos(-angle), math.sin(-angle)
        self.x, self.y = c * x - s * y, s * x + c * y
        self.pixel = 2.0 / size / scale
        self.stroke = stroke
        self.image = np.zeros((size, size))

    def _ink(self, distance: np.ndarray) -> None:
        self.image = np.maximum(self.image, np.clip(0.5 - distance / self.pixel, 0.0, 1.0))

    def line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((self.x - x0) * dx + (self.y - y0) * dy) / max(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
        self._ink(np.hypot(self.x - x0 - t * dx, self.y - y0 - t * dy) - self.stroke)

    def polyline(self, points: list[tuple[float, float]]) -> None:
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            self.line(x0, y0, x1, y1)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, filled: bool = False) -> None:
        radius = np.hypot((self.x - cx) / rx, (self.y - cy) / ry)
        edge = (radius - 1.0) * min(rx, ry)  # approximate distance to the outline
        self._ink(edge if filled else np.abs(edge) - self.stroke)

    def rectangle(self, x0: float, y0: float, x1: float, y1: float, filled: bool = False) -> None:
        if filled:
            inside = np.maximum(np.maximum(x0 - self.x, self.x - x1), np.maximum(y0 - self.y, self.y - y1))
            self._ink(inside)
        else:
            self.polyline([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])


def _face(c: _Canvas, r: np.random.Generator, sub: int) -> None:
    width, height = r.uniform(0.5, 0.68), r.uniform(0.68, 0.85)
    c.ellipse(0, 0, width, height)
    eye_y, eye_x = r.uniform(-0.25, -0.1), r.uniform(0.2, 0.3)
    eye = r.uniform(0.05, 0.09)
    for side in (-1, 1):
        c.ellipse(side * eye_x, eye_y, eye, eye * r.uniform(0.6, 1.0), filled=True)
        tilt = r.uniform(0.0, 0.1) * (1 if sub == 1 else -1)  # frowning brows slope towards the nose
        c.line(side * (eye_x - 0.12), eye_y - 0.15 + tilt, side * (eye_x + 0.12), eye_y - 0.15 - tilt)
    c.line(0, eye_y + 0.08, r.uniform(-0.05, 0.05), eye_y + 0.3)
    mouth_y, half = r.uniform(0.3, 0.45), r.uniform(0.15, 0.28)
    bend = r.uniform(0.08, 0.16) * (1 if sub == 0 else -1)  # smile: corners up (y grows downwards)
    c.polyline([(u * half, mouth_y + bend * (1 - u * u)) for u in np.linspace(-1, 1, 7)])


def _body(c: _Canvas, r: np.random.Generator, sub: int) -> None:
    head = r.uniform(0.1, 0.15)
    neck, hip = -0.55 + head, r.uniform(0.15, 0.3)
    c.ellipse(0, -0.55, head, head)
    c.line(0, neck, 0, hip)
    shoulder = neck + 0.1
    for side in (-1, 1):
        raised = sub == 1
        angle = r.uniform(0.3, 1.0) if raised else r.uniform(-1.3, -0.6)  # from horizontal, + = up
        elbow = (side * 0.3 * math.cos(angle), shoulder - 0.3 * math.sin(angle))
        bend = angle + r.uniform(-0.5, 0.5)
        hand = (elbow[0] + side * 0.25 * math.cos(bend), elbow[1] - 0.25 * math.sin(bend))
        c.polyline([(0, shoulder), elbow, hand])
        spread = r.uniform(0.15, 0.45)
        knee = (side * 0.3 * math.sin(spread), hip + 0.3 * math.cos(spread))
        c.polyline([(0, hip), knee, (knee[0] + side * r.uniform(0.0, 0.12), knee[1] + 0.3)])


def _place(c: _Canvas, r: np.random.Generator, sub: int) -> None:
    vx, vy = r.uniform(-0.25, 0.25), r.uniform(-0.3, 0.1)
    if sub == 0:  # a room: back wall and the four edges running to the corners
        w, h = r.uniform(0.25, 0.4), r.uniform(0.2, 0.35)
        corners = [(vx - w, vy - h), (vx + w, vy - h), (vx + w, vy + h), (vx - w, vy + h)]
        c.rectangle(vx - w, vy - h, vx + w, vy + h)
        for (x, y), (ex, ey) in zip(corners, [(-1, -1), (1, -1), (1, 1), (-1, 1)]):
            c.line(x, y, ex, ey)
        wx = r.uniform(-0.05, 0.05) + vx
        c.rectangle(wx - 0.1, vy - 0.1, wx + 0.1, vy + 0.05)
    else:  # a street: horizon, road edges to the vanishing point, buildings with windows
        c.line(-1, vy, 1, vy)
        for ex in (-0.6, 0.6):
            c.line(vx, vy, vx + ex * r.uniform(1.0, 1.6), 1)
        for side in (-1, 1):
            x0 = side * r.uniform(0.55, 0.75)
            top = vy - r.uniform(0.3, 0.7)
            c.rectangle(min(x0, side), top, max(x0, side), vy)
            c.rectangle(min(x0, side) + 0.08, top + 0.1, min(x0, side) + 0.18, top + 0.2, filled=True)


def _object(c: _Canvas, r: np.random.Generator, sub: int) -> None:
    if sub == 0:  # a tool: a handle with a head across its end
        length, head = r.uniform(0.6, 0.85), r.uniform(0.25, 0.4)
        c.line(0, -length / 2, 0, length)
        if r.random() < 0.5:  # hammer
            c.rectangle(-head, -length / 2 - 0.12, head, -length / 2 + 0.05, filled=True)
        else:  # wrench
            c.ellipse(0, -length / 2 - 0.1, 0.16, 0.16)
    else:  # a container: cup with a handle, or a bottle
        w, h = r.uniform(0.25, 0.4), r.uniform(0.35, 0.55)
        if r.random() < 0.5:
            c.rectangle(-w, -h, w, h)
            c.ellipse(w + 0.12, 0, 0.14, h * 0.45)
        else:
            c.polyline(
                [
                    (-w, h),
                    (-w, -0.1),
                    (-0.1, -h),
                    (-0.1, -h - 0.25),
                    (0.1, -h - 0.25),
                    (0.1, -h),
                    (w, -0.1),
                    (w, h),
                    (-w, h),
                ]
            )


_DRAW = (_face, _body, _place, _object)


def category_images(
    per_class: int, size: int = 32, seed: int = 0, noise: float = 0.05
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``per_class`` drawings of each category, shuffled, deterministic per seed.

    Returns:
        images ``(N, 1, size, size)`` in [0, 1], category labels ``(N,)`` indexing
        ``CATEGORIES``, and sub-category labels ``(N,)`` in {0, 1} indexing ``SUBCATEGORIES``.
    """
    if not isinstance(per_class, int) or per_class < 1:
        raise ValueError(f"per_class must be a positive int, got {per_class!r}")
    if not isinstance(size, int) or size < 16:
        raise ValueError(f"size must be an int >= 16, got {size!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    r = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(CATEGORIES)), per_class)
    subs = np.tile(np.arange(2), (len(labels) + 1) // 2)[: len(labels)]
    order = r.permutation(len(labels))
    labels, subs = labels[order], subs[order]
    images = np.empty((len(labels), 1, size, size), dtype=np.float32)
    for i, (label, sub) in enumerate(zip(labels, subs)):
        canvas = _Canvas(
            size,
            angle=r.uniform(-0.25, 0.25),
            scale=r.uniform(0.75, 1.0),
            shift=(r.uniform(-0.12, 0.12), r.uniform(-0.12, 0.12)),
            stroke=r.uniform(0.02, 0.045),
        )
        _DRAW[label](canvas, r, int(sub))
        contrast = r.uniform(0.7, 1.0)
        images[i, 0] = np.clip(contrast * canvas.image + noise * r.standard_normal((size, size)), 0.0, 1.0)
    return torch.from_numpy(images), torch.from_numpy(labels).long(), torch.from_numpy(subs).long()


def load_image_folder(root: str | Path, size: int = 32) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Grey-scale images from ``root/<category>/<image>``, resized to ``size`` x ``size``.

    Returns images ``(N, 1, size, size)`` in [0, 1], labels ``(N,)`` and the category names
    (sorted sub-folder names; the labels index them).
    """
    from PIL import Image

    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder: expected one sub-folder of images per category")
    names = sorted(p.name for p in root.iterdir() if p.is_dir())
    images, labels = [], []
    for label, name in enumerate(names):
        for path in sorted((root / name).iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                with Image.open(path) as image:
                    grey = image.convert("L").resize((size, size), Image.Resampling.BILINEAR)
                images.append(np.asarray(grey, dtype=np.float32) / 255.0)
                labels.append(label)
    if not images:
        raise ValueError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found in the sub-folders of {root}")
    return torch.from_numpy(np.stack(images))[:, None], torch.tensor(labels), names
