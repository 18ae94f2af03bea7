"""Build the course as a static web site and as reveal.js slides that work offline.

    python tools/build_site.py                  # both: build/site/ (what `make site` runs)
    python tools/build_site.py --slides-only    # only the slides (what `make slides` runs)
    python tools/build_site.py --out DIR notebooks/01_softmax.ipynb   # some notebooks only

The result, under ``build/site/`` (open ``index.html``, or serve the folder with
``python -m http.server -d build/site -b 127.0.0.1``):

* ``index.html``            every notebook in syllabus order, with its slides and solutions
* ``lessons/NN_name.html``  each lesson as a page, figures and diagrams embedded
* ``solutions/NN_name.html``
* ``slides/NN_name.slides.html``  each lesson as reveal.js slides, 1280 x 720, cut by the
  rule of ``tools/slide_metadata.py`` (cells tagged ``reading`` are left out of the slides,
  cells tagged ``notes`` go to the speaker view)
* ``vendor/``               MathJax, reveal.js, RequireJS, jQuery and the fonts, pinned
  below, and ``course-fonts.css``, which sets every page's text in those fonts
* ``external-urls.txt``     every external address the pages mention, split into the ones
  fetched when a page is viewed (must be none) and links a reader may follow

Nothing is fetched from a CDN when a page is viewed: nbconvert's templates point at CDNs by
default, so every such address is replaced by a copy in ``vendor/``. Those copies are
downloaded once, at build time, from the npm registry (``npm pack``, or a plain HTTPS
download where npm is missing), checked against the pinned SHA-512 and cached in
``build/vendor/``. After building, every page is scanned; an external address that a
browser would fetch makes the build fail.

Text is set in fonts that ship with the site (DejaVu Sans for prose and tables, DejaVu Sans
Mono for code, Source Sans Pro for headings; ``WEB_FONTS``), never in the machine's fonts:
the same text then takes the same pixels everywhere, so a slide that fits on one machine
fits on all of them (``tools/slide_fit.py`` checks that no system font is used). MathJax
sets formulas in its own fonts, also vendored.

What the pages show is a copy of each notebook (the notebooks themselves are never
changed): nbval's marker comments (``# NBVAL_IGNORE_OUTPUT`` ...) are taken out of the code,
and the slide types are recomputed by the rule, so a deck always follows the cells' tags.
The build prints, for every lesson, its screens and its estimated presenting and reading
times (``slide_metadata.presenting_minutes`` / ``reading_minutes``), and the index page
shows them.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import html
import json
import mimetypes
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter, SlidesExporter
from traitlets.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
import slide_metadata  # noqa: E402  (same folder)
from course import lessons_and_solutions as all_notebooks  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "build" / "site"
VENDOR_CACHE = ROOT / "build" / "vendor"
TEMPLATES = Path(__file__).resolve().parent / "site_templates"
NPM_REGISTRY = "https://registry.npmjs.org"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The logical size of a slide: a 16:9 projector (1280 x 720; 1920 x 1080 scales it up).
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
# A comment line that is only an nbval marker (``# NBVAL_IGNORE_OUTPUT``, ``# NBVAL_SKIP``...).
NBVAL_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[ \t]*(\r?\n|$)", re.MULTILINE)


@dataclass(frozen=True)
class VendorPackage:
    """One npm package copied into ``vendor/``: only the files the pages load."""

    name: str
    version: str
    integrity: str  # npm's "sha512-<base64>" of the tarball
    keep: tuple[str, ...]  # paths inside the package; a trailing "/" keeps a folder

    @property
    def stamp(self) -> str:
        """What its unpacked folder records: the tarball it came from and what was kept."""
        return "\n".join((self.integrity, *self.keep)) + "\n"

    @property
    def tarball_url(self) -> str:
        base = self.name.rsplit("/", 1)[-1]  # "@fontsource/dejavu-sans" -> "dejavu-sans"
        return f"{NPM_REGISTRY}/{self.name}/-/{base}-{self.version}.tgz"


@dataclass(frozen=True)
class Face:
    """One face of a font family: a file in the vendored package (woff2 or woff)."""

    weight: int
    style: str  # "normal" or "italic"
    file: str  # the path inside the package

    @property
    def format(self) -> str:
        return self.file.rsplit(".", 1)[-1]  # "woff2", "woff": CSS's format() names


@dataclass(frozen=True)
class WebFont:
    """A font family of the pages, from a vendored package."""

    family: str  # the name the pages' CSS uses: no installed font has it
    package: str  # the npm package (in ``VENDOR``) that holds the files
    licence: str  # the font's licence, a file of the package
    fallback: str  # what follows it in CSS: only for what it lacks, or if it failed
    faces: tuple[Face, ...]  # only those the pages use

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(face.file for face in self.faces)

    @property
    def stack(self) -> str:
        return f'"{self.family}", {self.fallback}'

    @property
    def shorthands(self) -> tuple[str, ...]:
        """One CSS ``font`` value per face, as ``document.fonts.load`` and ``check`` take."""
        return tuple(f'{f.style} {f.weight} 16px "{self.family}"' for f in self.faces)


def _fontsource(stem: str, *faces: tuple[int, str]) -> tuple[Face, ...]:
    return tuple(Face(w, s, f"files/{stem}-latin-{w}-{s}.woff2") for w, s in faces)


# DejaVu 2.37 (Bitstream Vera licence, packaged by Fontsource): its "latin" files hold the
# whole font, Greek, arrows and mathematical symbols included, so every character of the
# course is in it and no glyph falls back to a font of the machine. Only the faces the
# pages use: bold for table headers, strong text and code keywords, italic for emphasis and
# code comments, bold italic for emphasis in strong text.
SANS = WebFont(
    "Course Sans", "@fontsource/dejavu-sans", "LICENSE", "sans-serif",
    _fontsource("dejavu-sans", (400, "normal"), (400, "italic"), (700, "normal"),
                (700, "italic")),
)
MONO = WebFont(
    "Course Mono", "@fontsource/dejavu-mono", "LICENSE", "monospace",
    _fontsource("dejavu-mono", (400, "normal"), (400, "italic"), (700, "normal")),
)
# Headings: Source Sans Pro Semibold, the heading font of reveal.js's theme (its files come
# with reveal.js), on the slides and on the pages alike. It is narrower than DejaVu Sans
# Bold: the slides' titles were fitted in it. A character it lacks (Greek) is taken from
# DejaVu Sans, never from the machine.
_SOURCE_SANS = "dist/theme/fonts/source-sans-pro"
HEADINGS = WebFont(
    "Course Headings", "reveal.js", f"{_SOURCE_SANS}/LICENSE", '"Course Sans", sans-serif',
    (
        Face(600, "normal", f"{_SOURCE_SANS}/source-sans-pro-semibold.woff"),
        Face(600, "italic", f"{_SOURCE_SANS}/source-sans-pro-semibolditalic.woff"),
    ),
)
WEB_FONTS = (SANS, MONO, HEADINGS)
# The style sheet (in vendor/) that declares them and sets every page's text in them.
FONTS_CSS = "course-fonts.css"


# Pinned: MathJax 2 because nbconvert's templates configure MathJax 2 (MathJax.Hub);
# reveal.js 4 because nbconvert's slide template is written for its 4.x API.
VENDOR = (
    VendorPackage(
        "mathjax",
        "2.7.9",
        "sha512-NOGEDTIM9+MrsqnjPEjVGNx4q0GQxqm61yQwSK+/5S59i26wId5IC5gNu9/bu8+CCVl5p9G2IHcAl/wJa+5+BQ==",
        (
            "LICENSE",
            "MathJax.js",
            "config/TeX-AMS_CHTML-full.js",
            "config/Safe.js",
            "extensions/",
            "jax/element/",
            "jax/input/TeX/",
            "jax/output/CommonHTML/",
            "fonts/HTML-CSS/TeX/woff/",
            "localization/en/",
        ),
    ),
    VendorPackage(
        "reveal.js",
        "4.6.0",
        "sha512-QC80rYsZldAe95bW9VImucIPTjfsKhI0jRQrIOXU4P92ZyXb/dfw9L3EE96bN6i7UmeUl1qBieH4UNTr25erYw==",
        (
            "LICENSE",
            "dist/reveal.js",
            "dist/reveal.css",
            "dist/reset.css",
            "dist/theme/white.css",
            "dist/theme/fonts/source-sans-pro/",
            "plugin/notes/notes.js",
        ),
    ),
    VendorPackage(
        "requirejs",
        "2.3.8",
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        ("package.json", "require.js"),
    ),
    VendorPackage(
        "jquery",
        "3.8.0",
        "sha512-AOYt0viqPysMUTq45O8gF9DuOnBT3Il/8WtM/TT8z/2QeGsZ70ImwSJtNFxznn2R71v8yIgaEunOGo82OY/f0g==",
        ("LICENSE.txt", "dist/jquery.min.js"),
    ),
    VendorPackage(
        SANS.package,
        "5.3.0",
        "sha512-F/tV+7S31Mo8jtGUhj857XfUzcDCl9JJC8bzMtZ0wcTuOm89dG4FPjAOHOesMfmoChYVQ3eg5fHafdhxFrQIxQ==",
        (SANS.licence, *SANS.files),
    ),
    VendorPackage(
        MONO.package,
        "5.3.0",
        "sha512-TiW6o/iRt7rnm3c3ezO3V7mNDI6h2IYca1j8Krke5qebUUW9dXF+BFzXFgbCMyXBVfmUbYPmhOInEqdy9ZgblA==",
        (MONO.licence, *MONO.files),
    ),
)

# Where the pages find the vendored files, relative to lessons/, solutions/ and slides/.
URLS = {
    "mathjax_url": "../vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "require_js_url": "../vendor/requirejs/require.js",
    "jquery_url": "../vendor/jquery/dist/jquery.min.js",
}
REVEAL_URL_PREFIX = "../vendor/reveal.js"
FONTS_CSS_URL = f"../vendor/{FONTS_CSS}"


# ---- vendor: download once, verify, cache -----------------------------------------------

def _check_integrity(data: bytes, package: VendorPackage) -> None:
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != package.integrity:
        raise RuntimeError(
            f"{package.name}@{package.version}: downloaded tarball has {digest}, "
            f"expected the pinned {package.integrity}"
        )


def _download(package: VendorPackage, folder: Path) -> bytes:
    """The package's tarball from the npm registry, with npm if present."""
    npm = shutil.which("npm")
    if npm:
        subprocess.run(
            [npm, "pack", f"{package.name}@{package.version}", "--silent",
             "--pack-destination", str(folder)],
            check=True, capture_output=True, timeout=300,
        )
        # npm names it <name>-<version>.tgz, "@scope/name" as "scope-name".
        (tarball,) = folder.glob("*.tgz")
        return tarball.read_bytes()
    with urllib.request.urlopen(package.tarball_url, timeout=300) as response:  # noqa: S310
        return response.read()


def _wanted(member: str, keep: tuple[str, ...]) -> bool:
    return any(member == k or (k.endswith("/") and member.startswith(k)) for k in keep)


PINNED = ".pinned"  # in each package's folder: its stamp (the integrity, the files kept)
MANIFEST = ".files.sha256"  # and the SHA-256 of every file it kept, as sha256sum writes it


def sha256_manifest(folder: Path) -> str:
    """``sha256sum``'s listing of every file below ``folder`` (its dot files left out)."""
    return "".join(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(folder).as_posix()}\n"
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    )


def fetch_vendor(cache: Path = VENDOR_CACHE) -> Path:
    """Make sure every pinned package is unpacked in ``cache``; return ``cache``."""
    for package in VENDOR:
        target = cache / package.name
        stamp = target / PINNED
        if stamp.is_file() and stamp.read_text() == package.stamp and (
            target / MANIFEST
        ).is_file():
            continue
        print(f"fetching {package.name}@{package.version} from the npm registry", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            data = _download(package, Path(tmp))
            _check_integrity(data, package)
            shutil.rmtree(target, ignore_errors=True)
            tarball = Path(tmp) / "package.tgz"
            tarball.write_bytes(data)
            with tarfile.open(tarball) as archive:
                for member in archive.getmembers():
                    inner = member.name.split("/", 1)[-1]
                    unsafe = inner.startswith("/") or ".." in inner.split("/")
                    if unsafe or not member.isfile() or not _wanted(inner, package.keep):
                        continue
                    destination = target / inner
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    destination.write_bytes(archive.extractfile(member).read())
        missing = [k for k in package.keep if not (target / k.rstrip("/")).exists()]
        if missing:
            raise RuntimeError(f"{package.name}@{package.version} lacks {missing}")
        (target / MANIFEST).write_text(sha256_manifest(target))
        stamp.write_text(package.stamp)
    return cache


def font_css() -> str:
    """``course-fonts.css``: the vendored faces, and every page's text set in them.

    Addresses are relative to ``vendor/``. No ``local()`` source: an installed font of the
    same name could have other metrics. The JupyterLab variables cover the pages and the
    notebook part of the slides, reveal.js's variables (set on ``.reveal``, so they win over
    its theme's ``:root``) the rest of the slides; the rules after them replace the few
    fonts that nbconvert's and reveal.js's style sheets name directly.
    """
    faces = [
        f"@font-face {{\n"
        f'  font-family: "{font.family}";\n'
        f"  font-style: {face.style};\n"
        f"  font-weight: {face.weight};\n"
        f"  font-display: block;\n"
        f'  src: url("{font.package}/{face.file}") format("{face.format}");\n'
        f"}}\n"
        for font in WEB_FONTS
        for face in font.faces
    ]
    versions = {p.name: p.version for p in VENDOR}
    fonts = ", ".join(f"{f.family} ({f.package}@{versions[f.package]})" for f in WEB_FONTS)
    return f"""/* The site's fonts: {fonts}. Written by tools/build_site.py. */
{"".join(faces)}
:root {{
  --course-sans-font: {SANS.stack};
  --course-mono-font: {MONO.stack};
  --course-headings-font: {HEADINGS.stack};
  --jp-ui-font-family: var(--course-sans-font);
  --jp-content-font-family: var(--course-sans-font);
  --jp-code-font-family-default: var(--course-mono-font);
  --jp-code-font-family: var(--course-mono-font);
  --jp-cell-prompt-font-family: var(--course-mono-font);
}}
body {{ font-family: var(--course-sans-font); }}
h1, h2, h3, h4, h5, h6 {{ font-family: var(--course-headings-font); }}
pre, code, kbd, samp {{ font-family: var(--course-mono-font); }}
.reveal {{
  --r-main-font: var(--course-sans-font);
  --r-heading-font: var(--course-headings-font);
  --r-code-font: var(--course-mono-font);
}}
.reveal .slide-number {{ font-family: var(--course-sans-font); }}
.reveal pre, .reveal code, div.output_area pre {{ font-family: var(--course-mono-font); }}
"""


def copy_vendor(out: Path) -> Path:
    """The pinned packages (fetched if need be) and ``course-fonts.css`` into ``out/vendor``."""
    vendor = out / "vendor"
    shutil.copytree(fetch_vendor(), vendor, dirs_exist_ok=True)
    (vendor / FONTS_CSS).write_text(font_css(), encoding="utf-8")
    return vendor


# ---- notebooks to pages ------------------------------------------------------------------



def notebook_title(notebook) -> str:
    """The text of the notebook's first heading (``# 01 · Softmax: ...``)."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "untitled"


MARKDOWN_IMAGE = re.compile(r"(!\[[^\]]*\])\(([^)\s:]+)\)")
HTML_IMAGE = re.compile(r"""(<img[^>]*\bsrc=")([^":]+)\"""")


# A live control's one line of text (``helpers.widgets``): "<title>: move the slider(s)
# (needs a running kernel; static plot(s) above)."
LIVE_CONTROL_TEXT = re.compile(
    r"^(?P<title>.+): move the (?P<sliders>sliders?) "
    r"\(needs a running kernel; static plots? above\)\.$"
)


def live_caption(text: str, sliders: int | None = None) -> str:
    """What a slide shows for a live control: "Live in JupyterLab: move the slider(s)".

    ``text`` is the control's stored line (``LIVE_CONTROL_TEXT``); ``sliders``, when known
    (from the saved widget state), how many sliders it has. On a slide its figure is on the
    same screen or the one before, and "needs a running kernel; static plot above" reads as
    an error message: the caption says where the control is live instead.
    """
    match = LIVE_CONTROL_TEXT.match(text.strip())
    if sliders is not None and sliders > 0:
        word = "slider" if sliders == 1 else "sliders"
    else:
        word = match.group("sliders") if match else "sliders"
    return f"Live in JupyterLab: move the {word}"


def count_sliders(widget_state: dict, model_id: str) -> int | None:
    """How many slider models the widget ``model_id`` holds, its boxes' children included;
    ``None`` when the saved state does not have it."""
    model = widget_state.get(model_id)
    if not isinstance(model, dict):
        return None
    own = int(str(model.get("model_name", "")).endswith("SliderModel"))
    children = model.get("state", {}).get("children", [])
    return own + sum(count_sliders(widget_state, child.removeprefix("IPY_MODEL_")) or 0
                     for child in children if isinstance(child, str))


def for_static_page(notebook, folder: Path | None = None, *, slides: bool = False):
    """A copy of ``notebook`` ready for a page without a kernel.

    Pictures from ``folder`` (the notebook's folder) are embedded. Live widgets cannot run
    without a kernel, and showing them would need a widget renderer from a CDN: each
    widget output keeps only its text (which says that it needs a kernel, next to the
    static plots), and the saved widget state is dropped. On ``slides`` that text becomes
    a one-line caption (:func:`live_caption`, styled ``course-live``).
    """
    page = copy.deepcopy(notebook)
    saved = page.metadata.pop("widgets", None) or {}
    widget_state = saved.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    page.metadata["title"] = plain_title(notebook_title(notebook))
    slide_metadata.apply_slide_types(page)  # the rule and the tags, whatever is stored
    for cell in page.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            view = data.pop(WIDGET_VIEW, None)
            if view is not None and slides:
                sliders = count_sliders(widget_state, str(view.get("model_id", "")))
                caption = live_caption(str(data.get("text/plain", "")), sliders)
                data.clear()
                data["text/html"] = f'<p class="course-live">{html.escape(caption)}</p>'
                data["text/plain"] = caption
        if cell.cell_type == "code":
            cell.source = strip_nbval_markers(cell.source)
        if cell.cell_type == "markdown" and folder is not None:
            embed_local_images(cell, folder)
    return page


def strip_nbval_markers(source: str) -> str:
    """``source`` without its nbval marker lines: they instruct the tests, not the reader."""
    return NBVAL_MARKER.sub("", source)


INLINE_CODE = re.compile(r"`([^`]+)`")


def plain_title(title: str) -> str:
    """A Markdown title as plain text (``PyTorch's `CrossEntropyLoss` `` loses its backticks)."""
    return INLINE_CODE.sub(r"\1", title)


def title_html(title: str) -> str:
    """A Markdown title as HTML: escaped, inline code as ``<code>``."""
    return INLINE_CODE.sub(r"<code>\1</code>", html.escape(title, quote=False))


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def embed_local_images(cell, folder: Path) -> None:
    """Put the local pictures a markdown cell shows into the cell itself.

    ``![text](../images/x.png)`` becomes a cell attachment and ``<img src="...">`` a
    ``data:`` URI, so a page needs no ``images/`` folder next to it. (nbconvert's own
    ``embed_images`` refuses files outside the notebook's folder, as ``../images`` is.)
    """

    def markdown_image(match: re.Match) -> str:
        path = (folder / match.group(2)).resolve()
        if not path.is_file():
            return match.group(0)
        cell.setdefault("attachments", {})[path.name] = {
            mimetypes.guess_type(path.name)[0] or "image/png": base64.b64encode(
                path.read_bytes()
            ).decode()
        }
        return f"{match.group(1)}(attachment:{path.name})"

    def html_image(match: re.Match) -> str:
        path = (folder / match.group(2)).resolve()
        return f"{match.group(1)}{_data_uri(path)}\"" if path.is_file() else match.group(0)

    source = MARKDOWN_IMAGE.sub(markdown_image, cell.source)
    cell.source = HTML_IMAGE.sub(html_image, source)


def _exporter_config() -> Config:
    config = Config()
    for exporter in ("HTMLExporter", "SlidesExporter"):
        for trait, url in URLS.items():
            config[exporter][trait] = url
        config[exporter]["embed_images"] = True  # diagrams in markdown become data: URIs
        config[exporter]["extra_template_basedirs"] = [str(TEMPLATES)]
    config.SlidesExporter.reveal_url_prefix = REVEAL_URL_PREFIX
    config.SlidesExporter.reveal_scroll = True  # a long cell scrolls instead of overflowing
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.reveal_theme = "white"  # its fonts are in the package; others use CDNs
    config.SlidesExporter.reveal_width = str(SLIDE_WIDTH)
    config.SlidesExporter.reveal_height = str(SLIDE_HEIGHT)
    return config


def export(notebook_path: Path, kind: str, out_file: Path) -> None:
    """Write one notebook as a page (``kind="html"``) or as slides (``kind="slides"``)."""
    notebook = for_static_page(nbformat.read(notebook_path, as_version=4), notebook_path.parent,
                               slides=kind == "slides")
    config = _exporter_config()
    if kind == "html":
        exporter = HTMLExporter(config=config, template_name="course_lab")
    elif kind == "slides":
        exporter = SlidesExporter(config=config, template_name="course_reveal")
    else:
        raise ValueError(f"kind must be 'html' or 'slides', got {kind!r}")
    resources = {
        "metadata": {"name": notebook_path.stem, "path": str(notebook_path.parent)},
        "course_fonts_url": FONTS_CSS_URL,
        "course_font_faces": [face for font in WEB_FONTS for face in font.shorthands],
    }
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(body, encoding="utf-8")


def page_paths(out: Path, lesson: Path) -> dict[str, Path]:
    return {
        "html": out / "lessons" / f"{lesson.stem}.html",
        "slides": out / "slides" / f"{lesson.stem}.slides.html",
        "solutions": out / "solutions" / f"{lesson.stem}.html",
    }


@dataclass(frozen=True)
class DeckTimes:
    """How a lesson presents: screens and fragments of its deck, and the two time estimates."""

    screens: int
    fragments: int
    skipped: int  # cells tagged ``reading`` (on the page, not on the slides)
    notes: int  # cells in the speaker view
    presenting_minutes: float
    reading_minutes: float

    def summary(self) -> str:
        return (
            f"{self.screens} screens, {self.fragments} fragments, "
            f"about {self.presenting_minutes:.0f} min to present; "
            f"about {self.reading_minutes:.0f} min to work through the whole notebook"
        )


def deck_times(notebook) -> DeckTimes:
    """The deck of ``notebook`` as the rule cuts it (tags included), and its time estimates."""
    types = slide_metadata.expected_slide_types(notebook)
    reading = [
        t == slide_metadata.SKIP and slide_metadata.tag_type(c) == slide_metadata.SKIP
        for c, t in zip(notebook.cells, types, strict=True)
    ]
    return DeckTimes(
        screens=types.count(slide_metadata.SLIDE) + types.count(slide_metadata.SUBSLIDE),
        fragments=types.count(slide_metadata.FRAGMENT),
        skipped=sum(reading),
        notes=types.count(slide_metadata.NOTES),
        presenting_minutes=slide_metadata.presenting_minutes(types),
        reading_minutes=slide_metadata.reading_minutes(notebook),
    )


def write_index(out: Path, lessons: list[Path]) -> Path:
    """``index.html``: every lesson in order, linking what exists of its page/slides/solutions."""
    rows = []
    for lesson in lessons:
        notebook = nbformat.read(lesson, as_version=4)
        title = notebook_title(notebook)
        times = deck_times(notebook)
        links = []
        for kind, label in (("html", "read"), ("slides", "slides"), ("solutions", "solutions")):
            target = page_paths(out, lesson)[kind]
            if target.is_file():
                href = target.relative_to(out).as_posix()
                links.append(f'<a href="{html.escape(href)}">{label}</a>')
        rows.append(
            f"<li><span class=\"title\">{title_html(title)}</span> "
            f"<span class=\"links\">{' · '.join(links)}</span> "
            f"<span class=\"times\">slides: {times.screens} screens, about "
            f"{times.presenting_minutes:.0f} min to present · whole notebook: about "
            f"{times.reading_minutes:.0f} min</span></li>"
        )
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    course = readme[0].lstrip("# ").strip() if readme else "Course"
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(course)}</title>
<link rel="stylesheet" href="vendor/{FONTS_CSS}">
<style>
body {{ max-width: 50rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }}
ol {{ padding-left: 0; list-style: none; }}
li {{ margin: 0.6rem 0; padding: 0.6rem 0.8rem; border: 1px solid #ddd; border-radius: 6px; }}
.title {{ font-weight: 600; display: block; }}
.links a {{ margin-right: 0.3rem; }}
.times {{ display: block; color: #555; font-size: 0.9rem; }}
code {{ font-size: 0.95em; }}
</style>
</head>
<body>
<h1>{html.escape(course)}</h1>
<p>Every notebook of the course, in order: read it as a page, present it as slides
(arrow keys; down for the steps of a section; S for the speaker view), or check your
answers in its solutions. The slides are the lecture path; cells marked as reading for
later are on the pages only. Times are estimates: {slide_metadata.MINUTES_PER_SCREEN:g} min
per screen and {slide_metadata.MINUTES_PER_FRAGMENT:g} min per click when presenting; prose
at {slide_metadata.READING_WORDS_PER_MINUTE} words per minute and
{slide_metadata.MINUTES_PER_CODE_CELL:g} min per code cell when working alone.
Everything here works offline. To run the code, open the notebooks in JupyterLab.</p>
<ol id="syllabus">
{chr(10).join(rows)}
</ol>
</body>
</html>
"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


# ---- the offline check ---------------------------------------------------------------------

EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)
LOCAL_HOSTS = re.compile(r"^(https?:)?//(127\.0\.0\.1|localhost|\[::1\])([:/]|$)", re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)
COMMENT = re.compile(r"(?<!:)//")
ANY_URL = re.compile(r"""https?://[^\s'"<>)\\]+""", re.IGNORECASE)


def is_external(url: str) -> bool:
    return bool(EXTERNAL.match(url.strip())) and not LOCAL_HOSTS.match(url.strip())


class _Scanner(HTMLParser):
    """Collects (kind, address) pairs: kind "fetched" or "link"."""

    FETCHING_ATTRIBUTES = {"src", "href", "data", "poster", "srcset", "background"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if not value or name not in self.FETCHING_ATTRIBUTES:
                continue
            for url in value.split(",") if name == "srcset" else [value]:
                url = url.strip().split(" ")[0]
                if is_external(url):
                    self.found.append(("link" if tag == "a" else "fetched", url))
                elif not NOT_A_FILE.match(url) and not LOCAL_HOSTS.match(url):
                    self.found.append(("local", url))
        if tag in ("style", "script"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self.found += [("fetched", u) for u in css_urls(data) if is_external(u)]
        elif self._in == "script":
            self.found += script_urls(data)


NOT_A_FILE = re.compile(r"^(#|data:|blob:|about:|javascript:|mailto:)", re.IGNORECASE)


def css_urls(css: str) -> list[str]:
    return [a or b for a, b in CSS_URL.findall(css)]


def script_urls(script: str) -> list[tuple[str, str]]:
    """Addresses in inline JavaScript: in a ``//`` comment a mention, otherwise fetched."""
    found = []
    for line in script.splitlines():
        comment_start = COMMENT.search(line)
        code = line[: comment_start.start()] if comment_start else line
        comment = line[len(code):]
        found += [("fetched", u) for u in ANY_URL.findall(code) if is_external(u)]
        found += [("link", u) for u in ANY_URL.findall(comment) if is_external(u)]
    return found


def scan_file(path: Path) -> list[tuple[str, str]]:
    """External addresses in one built HTML or CSS file, as (kind, address) pairs."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".css":
        return [
            ("fetched" if is_external(u) else "local", u)
            for u in css_urls(text)
            if not NOT_A_FILE.match(u) and not LOCAL_HOSTS.match(u)
        ]
    scanner = _Scanner()
    scanner.feed(text)
    scanner.close()
    return scanner.found


def scan_site(out: Path) -> dict[str, dict[str, list[str]]]:
    """What the site's HTML and CSS files reference: {kind: {address: [files]}}.

    Kinds: ``fetched`` (external, loaded when the page is viewed: must be empty),
    ``link`` (external, in a link or a script comment: fetched only if a reader clicks),
    ``mention`` (any other external address in an HTML file: CSS comments, text, XML
    namespaces; never fetched), ``missing`` (a relative address with no file in the
    site: must be empty).
    """
    report: dict[str, dict[str, list[str]]] = {
        "fetched": {}, "link": {}, "mention": {}, "missing": {}
    }
    for path in sorted(out.rglob("*")):
        if path.suffix not in (".html", ".css") or not path.is_file():
            continue
        relative = path.relative_to(out).as_posix()
        found = scan_file(path)
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8", errors="replace")
            known = {url for _, url in found}
            found += [
                ("mention", u) for u in ANY_URL.findall(text) if u not in known and is_external(u)
            ]
        for kind, url in found:
            if kind == "local":
                target = (path.parent / url.split("#")[0].split("?")[0]).resolve()
                if target.exists():
                    continue
                kind = "missing"
            files = report[kind].setdefault(url, [])
            if relative not in files:
                files.append(relative)
    return report


def write_url_report(out: Path, report: dict[str, dict[str, list[str]]]) -> Path:
    lines = ["# External addresses in the built pages", ""]
    for kind, heading in (
        ("fetched", "Fetched when a page is viewed (must be none)"),
        ("link", "Links a reader may follow, and addresses in script comments (never fetched)"),
        ("mention", "Other mentions: comments in styles, text, XML namespaces (never fetched)"),
        ("missing", "Local files referenced but not in the site (must be none)"),
    ):
        lines.append(f"## {heading}: {len(report[kind])}")
        for url, files in sorted(report[kind].items()):
            lines.append(f"{url}    ({', '.join(files)})")
        lines.append("")
    path = out / "external-urls.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# ---- the command -------------------------------------------------------------------------

def build(
    out: Path = DEFAULT_OUT,
    notebooks: list[Path] | None = None,
    *,
    html_pages: bool = True,
    slides: bool = True,
) -> dict[str, dict[str, list[str]]]:
    """Build the site into ``out``; return the scan report (see ``scan_site``)."""
    lessons, solutions = all_notebooks()
    if notebooks:
        chosen = {p.resolve() for p in notebooks}
        lessons = [p for p in lessons if p.resolve() in chosen]
        solutions = [p for p in solutions if p.resolve() in chosen]
    out.mkdir(parents=True, exist_ok=True)
    copy_vendor(out)
    for lesson in lessons:
        if html_pages:
            export(lesson, "html", page_paths(out, lesson)["html"])
        if slides:
            export(lesson, "slides", page_paths(out, lesson)["slides"])
        times = deck_times(nbformat.read(lesson, as_version=4))
        print(f"built {lesson.relative_to(ROOT)}: {times.summary()}", flush=True)
    if html_pages:
        for solution in solutions:
            export(solution, "html", page_paths(out, solution)["solutions"])
            print(f"built {solution.relative_to(ROOT)}", flush=True)
    write_index(out, all_notebooks()[0])
    report = scan_site(out)
    write_url_report(out, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: all of them")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: build/site")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--slides-only", action="store_true", help="only the slides")
    what.add_argument("--html-only", action="store_true", help="only the pages")
    args = parser.parse_args(argv)
    report = build(
        args.out.resolve(),
        args.notebooks,
        html_pages=not args.slides_only,
        slides=not args.html_only,
    )
    print(f"site in {args.out}: open {args.out / 'index.html'}")
    print(f"external addresses only mentioned or linked: "
          f"{len(report['link']) + len(report['mention'])} "
          f"(listed in {args.out / 'external-urls.txt'})")
    if report["fetched"] or report["missing"]:
        print("ERROR: fetched from outside the site, or missing from it:")
        print(json.dumps({k: report[k] for k in ("fetched", "missing")}, indent=2))
        return 1
    print("offline check passed: every page loads only files of the site")
    return 0


if __name__ == "__main__":
    sys.exit(main())
