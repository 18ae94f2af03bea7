"""Regenerate every diagram in images/ from the code in helpers/diagrams.py."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from helpers.diagrams import save_all  # noqa: E402

if __name__ == "__main__":
    images = Path(__file__).resolve().parent.parent / "images"
    for path in save_all(images):
        print(f"wrote {path.relative_to(images.parent)}")
