"""The offline site and slides: nothing fetched from outside, figures and math present."""

import re
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import build_site  # noqa: E402
import slide_metadata  # noqa: E402

# ---- the scanner finds what a browser would fetch ---------------------------------------

PAGE = """<!DOCTYPE html><html><head>
<script src="https://cdn.example.org/lib.js"></script>
<link rel="stylesheet" href="//cdn.example.org/style.css">
<link rel="stylesheet" href="local.css">
<script src="http://127.0.0.1:8000/ok.js"></script>
<style>@import url("https://fonts.example.org/font.css"); body { color: red; }
/* see https://example.org/why for the colour */</style>
<script>
// docs: https://example.org/docs
var s = "https://unpkg.com/widget.js";
</script>
<script type="module">import x from 'https://esm.example.org/mod.js';</script>
</head><body>
<a href="https://pytorch.org/docs">docs</a>
<img src="data:image/png;base64,AAAA">
<img srcset="https://img.example.org/a.png 1x, small.png 2x">
<a href="#section">here</a>
</body></html>"""


@pytest.fixture
def page_dir(tmp_path):
    (tmp_path / "page.html").write_text(PAGE)
    (tmp_path / "local.css").write_text("a { background: url('https://img.example.org/b.png') }")
    return tmp_path


def test_scanner_finds_every_fetched_address_and_each_link(page_dir):
    report = build_site.scan_site(page_dir)
    assert sorted(report["fetched"]) == [
        "//cdn.example.org/style.css",
        "https://cdn.example.org/lib.js",
        "https://esm.example.org/mod.js",
        "https://fonts.example.org/font.css",
        "https://img.example.org/a.png",
        "https://img.example.org/b.png",
        "https://unpkg.com/widget.js",
    ]
    assert sorted(report["link"]) == ["https://example.org/docs", "https://pytorch.org/docs"]
    assert report["missing"] == {"small.png": ["page.html"]}
    assert list(report["mention"]) == ["https://example.org/why"]
    assert report["fetched"]["https://img.example.org/b.png"] == ["local.css"]


def test_localhost_and_data_addresses_are_not_external():
    assert not build_site.is_external("http://127.0.0.1:8000/x.js")
    assert not build_site.is_external("http://localhost/x.js")
    assert not build_site.is_external("data:image/png;base64,AA")
    assert not build_site.is_external("../vendor/mathjax/MathJax.js")
    assert build_site.is_external("https://127.0.0.1.example.org/x.js")
    assert build_site.is_external("//cdn.example.org/x.js")


def test_url_report_lists_both_kinds(page_dir):
    path = build_site.write_url_report(page_dir, build_site.scan_site(page_dir))
    text = path.read_text()
    assert "must be none): 7" in text
    assert "https://pytorch.org/docs    (page.html)" in text


# ---- pages without a kernel ----------------------------------------------------------------

def test_static_page_drops_live_widgets_and_embeds_local_images(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "d.png").write_bytes(b"\x89PNG fake")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# 09 · T\n![a diagram](../images/d.png)\n"
                                      '<img src="../images/d.png" width="50">'),
        nbformat.v4.new_code_cell("w", outputs=[nbformat.v4.new_output(
            "display_data",
            data={"text/plain": "needs a kernel", build_site.WIDGET_VIEW: {"model_id": "x"}},
        )]),
    ]
    page = build_site.for_static_page(notebook, tmp_path / "notebooks")
    assert "widgets" not in page.metadata and "widgets" in notebook.metadata  # a copy
    assert page.cells[1].outputs[0].data == {"text/plain": "needs a kernel"}
    assert page.metadata["title"] == "09 · T"
    assert "![a diagram](attachment:d.png)" in page.cells[0].source
    assert page.cells[0].attachments["d.png"]["image/png"] == "iVBORyBmYWtl"
    assert '<img src="data:image/png;base64,iVBORyBmYWtl" width="50">' in page.cells[0].source


def test_nbval_markers_are_stripped_from_the_copy_only():
    source = (
        "# NBVAL_IGNORE_OUTPUT\nx = 1  # NBVAL_ is only a marker alone on its line\n"
        "  # NBVAL_SKIP\ny"
    )
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell(source)]
    page = build_site.for_static_page(notebook)
    assert page.cells[1].source == "x = 1  # NBVAL_ is only a marker alone on its line\ny"
    assert notebook.cells[1].source == source  # the notebook itself is untouched
    assert build_site.strip_nbval_markers("# NBVAL_RAISES_EXCEPTION") == ""


def test_pages_follow_the_slide_rule_and_its_tags_whatever_is_stored():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# T"),
        nbformat.v4.new_markdown_cell("A derivation", metadata={"tags": ["reading"]}),
    ]
    notebook.cells[1].metadata["slideshow"] = {"slide_type": "subslide"}  # stale
    page = build_site.for_static_page(notebook)
    assert slide_metadata.stored_slide_types(page) == ["slide", "skip"]
    assert notebook.cells[1].metadata["slideshow"] == {"slide_type": "subslide"}
    times = build_site.deck_times(notebook)
    assert (times.screens, times.skipped, times.notes) == (1, 1, 0)
    assert times.presenting_minutes == slide_metadata.MINUTES_PER_SCREEN


def test_reading_cells_stay_on_the_page_and_notes_go_to_the_speaker_view(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# 97 · T"),
        nbformat.v4.new_markdown_cell("A derivation for later", metadata={"tags": ["reading"]}),
        nbformat.v4.new_markdown_cell("Say this aloud", metadata={"tags": ["notes"]}),
    ]
    path = tmp_path / "97_t.ipynb"
    nbformat.write(notebook, path)
    build_site.export(path, "slides", tmp_path / "slides.html")
    build_site.export(path, "html", tmp_path / "page.html")
    slides = (tmp_path / "slides.html").read_text(encoding="utf-8")
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert "A derivation for later" not in slides and "A derivation for later" in page
    notes = slides.split('<aside class="notes">')
    assert len(notes) == 2 and "Say this aloud" in notes[1].split("</aside>")[0]


def test_titles_show_inline_code_without_backticks():
    title = "03 · PyTorch's `CrossEntropyLoss`: the <whole> API"
    assert build_site.title_html(title) == (
        "03 · PyTorch's <code>CrossEntropyLoss</code>: the &lt;whole&gt; API"
    )
    assert build_site.plain_title(title) == "03 · PyTorch's CrossEntropyLoss: the <whole> API"


def test_vendored_packages_are_pinned():
    for package in build_site.VENDOR:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package.version), package
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package.integrity), package
    for url in build_site.URLS.values():
        assert url.startswith("../vendor/")
    assert build_site.REVEAL_URL_PREFIX.startswith("../vendor/")


def test_scoped_packages_download_from_their_registry_address():
    fonts = {p.name: p for p in build_site.VENDOR}[build_site.SANS.package]
    assert fonts.tarball_url == (
        f"{build_site.NPM_REGISTRY}/@fontsource/dejavu-sans/-/dejavu-sans-{fonts.version}.tgz"
    )


FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}")


def test_font_css_loads_only_vendored_font_files():
    css = build_site.font_css()
    kept = {
        f"{p.name}/{k}" for p in build_site.VENDOR for k in p.keep if not k.endswith("/")
    }
    folders = tuple(f"{p.name}/{k}" for p in build_site.VENDOR for k in p.keep if k.endswith("/"))
    faces = FONT_FACE.findall(css)
    assert len(faces) == sum(len(font.faces) for font in build_site.WEB_FONTS)
    declared = set()
    for face in faces:
        assert "local(" not in face, "an installed font could replace the vendored one"
        (url,) = build_site.css_urls(face)
        assert not build_site.is_external(url), url
        assert url in kept or url.startswith(folders), url
        assert re.search(rf'format\("{url.rsplit(".", 1)[-1]}"\)', face)
        family = re.search(r'font-family:\s*"([^"]+)"', face).group(1)
        weight = int(re.search(r"font-weight:\s*(\d+)", face).group(1))
        style = re.search(r"font-style:\s*(\w+)", face).group(1)
        declared.add((family, weight, style, url))
    assert declared == {
        (font.family, face.weight, face.style, f"{font.package}/{face.file}")
        for font in build_site.WEB_FONTS
        for face in font.faces
    }
    # Every variable and rule that picks a font names a vendored family first.
    for value in re.findall(r"(?:font-family|-font):\s*([^;]+);", css):
        assert value.startswith(('"Course ', "var(--course-")), value
    packages = {p.name: p for p in build_site.VENDOR}
    for font in build_site.WEB_FONTS:
        keep = packages[font.package].keep
        for path in (font.licence, *font.files):
            assert build_site._wanted(path, keep), (font.family, path)


def test_templates_name_no_font_of_their_own():
    """Only course-fonts.css chooses fonts: the templates name none (no system font)."""
    for template in build_site.TEMPLATES.rglob("*.j2"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"font-family|@font-face|\bfont:", text), template
        assert "resources.course_fonts_url" in text and "course_font_faces" in text


def test_bad_integrity_is_refused():
    package = build_site.VENDOR[0]
    with pytest.raises(RuntimeError, match="expected the pinned"):
        build_site._check_integrity(b"not the tarball", package)


# ---- the built site -----------------------------------------------------------------------

class _Resources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []
        self.style_sheets = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs).get("src", ""))
        if tag == "link" and dict(attrs).get("rel") == "stylesheet":
            self.style_sheets.append(dict(attrs).get("href", ""))


def images_in(path):
    parser = _Resources()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.sources


def style_sheets_of(path):
    parser = _Resources()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.style_sheets


def expected_images(notebook):
    outputs = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    pictures = sum(
        len(build_site.MARKDOWN_IMAGE.findall(s)) + len(build_site.HTML_IMAGE.findall(s))
        for s in markdown
    )
    return outputs + pictures


@pytest.mark.site_build
def test_built_site_fetches_nothing_from_outside(built_site):
    out, report, _ = built_site
    assert report["fetched"] == {}, "pages would load these from the network"
    assert report["missing"] == {}, "pages reference files the site does not have"
    assert report == build_site.scan_site(out)
    assert (out / "external-urls.txt").is_file()


@pytest.mark.site_build
def test_built_pages_embed_every_figure_and_load_local_mathjax(built_site):
    out, _, notebooks = built_site
    lesson = notebooks[0]
    notebook = nbformat.read(lesson, as_version=4)
    paths = build_site.page_paths(out, lesson)
    for kind in ("html", "slides"):
        text = paths[kind].read_text(encoding="utf-8")
        assert build_site.URLS["mathjax_url"] in text
        sources = images_in(paths[kind])
        assert len(sources) == expected_images(notebook) > 0
        assert all(src.startswith("data:image/") for src in sources)
        assert "widget-view+json" not in text and "unpkg" not in text


@pytest.mark.site_build
def test_slides_follow_the_slide_metadata(built_site):
    out, _, notebooks = built_site
    lesson = notebooks[0]
    text = build_site.page_paths(out, lesson)["slides"].read_text(encoding="utf-8")
    counts = Counter(slide_metadata.expected_slide_types(nbformat.read(lesson, as_version=4)))
    wrappers = text.count("<section>") - counts["slide"] - counts["subslide"]
    assert 0 <= wrappers <= counts["slide"]  # a slide with sub-slides wraps them
    assert text.count('class="fragment"') == counts["fragment"]
    assert "../vendor/reveal.js/dist/reveal.js" in text
    assert text.count('<aside class="notes">') == counts["notes"]
    assert f"width: {build_site.SLIDE_WIDTH}," in text and "white-space: pre-wrap" in text


def test_built_pages_show_no_nbval_marker(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# 98 · T"),
        nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(timing)"),
    ]
    path = tmp_path / "98_t.ipynb"
    nbformat.write(notebook, path)
    for kind in ("html", "slides"):
        build_site.export(path, kind, tmp_path / f"{kind}.html")
        text = (tmp_path / f"{kind}.html").read_text(encoding="utf-8")
        assert "NBVAL" not in text and "timing" in text


@pytest.mark.site_build
def test_index_links_every_built_page_in_order(built_site):
    out, _, notebooks = built_site
    index = (out / "index.html").read_text(encoding="utf-8")
    lessons, _ = build_site.all_notebooks()
    notebooks_in_order = [nbformat.read(p, as_version=4) for p in lessons]
    titles = [build_site.notebook_title(nb) for nb in notebooks_in_order]
    positions = [index.index(build_site.title_html(title)) for title in titles]
    assert positions == sorted(positions)
    assert "`" not in index
    for notebook in notebooks_in_order:
        times = build_site.deck_times(notebook)
        assert f"slides: {times.screens} screens, about {times.presenting_minutes:.0f} min" in index
    lesson = notebooks[0]
    for kind in ("html", "slides", "solutions"):
        target = build_site.page_paths(out, lesson)[kind]
        if kind != "solutions" or len(notebooks) > 1:
            assert f'href="{target.relative_to(out).as_posix()}"' in index


def _font_faces_in(text: str) -> list[str]:
    return FONT_FACE.findall(text)


@pytest.mark.site_build
def test_built_pages_use_only_the_vendored_fonts(built_site):
    out, _, notebooks = built_site
    fonts_css = out / "vendor" / build_site.FONTS_CSS
    assert fonts_css.read_text(encoding="utf-8") == build_site.font_css()
    pages = [out / "index.html", *build_site.page_paths(out, notebooks[0]).values()]
    for page in pages:
        href = "vendor/" if page.parent == out else "../vendor/"
        assert f"{href}{build_site.FONTS_CSS}" in style_sheets_of(page), page
    assert "font-family" not in (out / "index.html").read_text(encoding="utf-8")
    # No @font-face anywhere in the site (pages and the style sheets they load) takes an
    # installed font or an address outside the site.
    for path in [*out.glob("*/*.html"), *out.glob("*.html"), *(out / "vendor").rglob("*.css")]:
        for face in _font_faces_in(path.read_text(encoding="utf-8", errors="replace")):
            assert "local(" not in face, path
            assert not any(build_site.is_external(u) for u in build_site.css_urls(face)), path


@pytest.mark.site_build
def test_vendored_font_files_are_those_of_the_pinned_packages(built_site):
    out, _, _ = built_site
    packages = {p.name: p for p in build_site.VENDOR}
    magic = {"woff2": b"wOF2", "woff": b"wOFF"}
    for font in build_site.WEB_FONTS:
        package = packages[font.package]
        folder = out / "vendor" / package.name
        assert (folder / build_site.PINNED).read_text() == package.stamp
        manifest = (folder / build_site.MANIFEST).read_text()
        assert manifest == build_site.sha256_manifest(folder), "a file changed after unpacking"
        files = {line.split("  ", 1)[1] for line in manifest.splitlines()}
        assert all(build_site._wanted(path, package.keep) for path in files)
        assert {font.licence, *font.files} <= files
        for face in font.faces:
            assert (folder / face.file).read_bytes()[:4] == magic[face.format], face
        assert "Font Software" in (folder / font.licence).read_text(encoding="utf-8")


# ---- live controls on the slides -------------------------------------------------------------

def _notebook_with_a_live_control(text: str, sliders: int):
    """A lesson whose one code cell shows a live control: a box of ``sliders`` sliders."""
    notebook = nbformat.v4.new_notebook()
    state = {"box": {"model_name": "VBoxModel", "state": {
        "children": [f"IPY_MODEL_s{i}" for i in range(sliders)] + ["IPY_MODEL_image"]}},
        "image": {"model_name": "ImageModel", "state": {}}}
    state.update({f"s{i}": {"model_name": "FloatSliderModel", "state": {}}
                  for i in range(sliders)})
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": state, "version_major": 2, "version_minor": 0}}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# 96 · T"),
        nbformat.v4.new_code_cell("PlotExplorer(...)", outputs=[nbformat.v4.new_output(
            "execute_result", execution_count=1,
            data={"text/plain": text, build_site.WIDGET_VIEW: {"model_id": "box"}})]),
    ]
    return notebook


@pytest.mark.parametrize(("sliders", "caption"), [
    (1, "Live in JupyterLab: move the slider"), (3, "Live in JupyterLab: move the sliders")])
def test_a_live_control_is_a_one_line_caption_on_the_slides(sliders, caption):
    text = "The online normaliser: move the sliders (needs a running kernel; static plot above)."
    notebook = _notebook_with_a_live_control(text, sliders)
    slide = build_site.for_static_page(notebook, slides=True).cells[1].outputs[0].data
    assert slide == {"text/html": f'<p class="course-live">{caption}</p>', "text/plain": caption}
    page = build_site.for_static_page(notebook).cells[1].outputs[0].data
    assert page == {"text/plain": text}  # the page keeps the control's own line
    assert "widgets" in notebook.metadata  # the notebook itself is untouched


def test_a_caption_without_saved_widget_state_follows_the_controls_text():
    assert build_site.live_caption(
        "Threshold explorer: move the slider (needs a running kernel; static plot above).",
    ) == "Live in JupyterLab: move the slider"
    assert build_site.live_caption("something else") == "Live in JupyterLab: move the sliders"
    assert build_site.count_sliders({}, "missing") is None


def test_built_slides_show_the_caption_and_never_the_kernel_message(tmp_path):
    text = "A control: move the sliders (needs a running kernel; static plot above)."
    path = tmp_path / "96_t.ipynb"
    nbformat.write(_notebook_with_a_live_control(text, 1), path)
    build_site.export(path, "slides", tmp_path / "slides.html")
    build_site.export(path, "html", tmp_path / "page.html")
    slides = (tmp_path / "slides.html").read_text(encoding="utf-8")
    assert '<p class="course-live">Live in JupyterLab: move the slider</p>' in slides
    assert "needs a running kernel" not in slides and ".reveal .course-live" in slides
    assert "needs a running kernel" in (tmp_path / "page.html").read_text(encoding="utf-8")


def test_every_live_control_of_the_course_gets_its_caption():
    """Each stored control's line is the one the slides recognise, with its sliders found: the
    guard that ``helpers.widgets``' lines and ``LIVE_CONTROL_TEXT`` stay one format (a changed
    line reaches the stored outputs through ``make execute``)."""
    import json

    found = 0
    for lesson in build_site.all_notebooks()[0]:
        notebook = json.loads(lesson.read_text(encoding="utf-8"))
        state = notebook["metadata"].get("widgets", {}).get(
            "application/vnd.jupyter.widget-state+json", {}).get("state", {})
        for cell in notebook["cells"]:
            for output in cell.get("outputs", []):
                view = output.get("data", {}).get(build_site.WIDGET_VIEW)
                if view is None:
                    continue
                text = "".join(output["data"]["text/plain"])
                assert build_site.LIVE_CONTROL_TEXT.match(text), (lesson.name, text)
                assert build_site.count_sliders(state, view["model_id"]), lesson.name
                found += 1
    assert found >= len(build_site.all_notebooks()[0])  # every lesson has one


# ---- the speaker view in a browser --------------------------------------------------------------

SPEAKER_NOTES = """() => {
  const box = document.querySelector('#speaker-controls');
  const notes = document.querySelector('.speaker-controls-notes .value');
  const bottom = box.getBoundingClientRect().bottom;
  const bullets = [...notes.querySelectorAll('ul')][0].querySelectorAll(':scope > li');
  return {
    heading: notes.querySelector('p') ? notes.querySelector('p').innerText : '',
    bullets: bullets.length,
    shown: [...bullets].filter(li => li.getBoundingClientRect().bottom <= bottom).length,
    scrolled: box.scrollTop,
    font: getComputedStyle(notes).fontFamily,
    raw_math: /\\$[^$]+\\$/.test(notes.innerText),
  };
}"""


@pytest.mark.browser
@pytest.mark.site_build
def test_speaker_view_shows_the_first_talking_points_without_scrolling(built_site, chromium):
    import slide_fit

    out, _, notebooks = built_site
    lesson = notebooks[0]
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with slide_fit.serve(out) as base:
        context = chromium.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(f"{base}/slides/{lesson.stem}.slides.html#/1")  # section 1: talking points
        page.locator(".reveal.ready").wait_for(timeout=30_000)
        page.wait_for_function("() => window.MathJax && MathJax.Hub && "
                               "MathJax.Hub.queue.pending === 0", timeout=30_000)
        with context.expect_page() as opened:
            page.keyboard.press("s")
        speaker = opened.value
        speaker.set_viewport_size({"width": 1280, "height": 720})
        speaker.wait_for_selector(".speaker-controls-notes:not(.hidden) li", timeout=30_000)
        speaker.wait_for_function("() => document.fonts.status === 'loaded' && "
                                  "document.getElementById('course-speaker-view')")
        notes = speaker.evaluate(SPEAKER_NOTES)
        speaker.screenshot(path=artifacts / f"site_speaker_view_{lesson.stem}.png")
        context.close()
    assert notes["heading"] == "Talking points"
    assert notes["scrolled"] == 0
    assert notes["shown"] >= min(3, notes["bullets"]), notes  # the first three, unscrolled
    assert notes["font"].startswith(f'"{build_site.SANS.family}"'), notes
    assert not notes["raw_math"], "the notes' formulas are typeset"


# Every slide (h, v) whose notes hold formulas (the notes can sit inside a fragment): the id
# of its first notes cell, and how many formulas its notes hold.
NOTES_WITH_MATH = """() => {
  const found = [];
  document.querySelectorAll('.reveal .slides > section').forEach((stack, h) => {
    stack.querySelectorAll(':scope > section').forEach((slide, v) => {
      const math = slide.querySelectorAll('aside.notes script[type^="math/tex"]');
      if (math.length) {
        found.push([h, v, slide.querySelector('aside.notes [id]').id, math.length]);
      }
    });
  });
  return found;
}"""

MOVE_NOTES_INTO_A_FRAGMENT = """([h, v]) => {
  const stack = document.querySelectorAll('.reveal .slides > section')[h];
  const slide = stack.querySelectorAll(':scope > section')[v];
  const fragment = document.createElement('div');
  fragment.className = 'fragment';
  slide.querySelectorAll(':scope > aside.notes').forEach(notes => fragment.appendChild(notes));
  slide.appendChild(fragment);
  Reveal.sync();
}"""

# The formulas in the speaker view's notes: source scripts, and those set with a width.
SPEAKER_MATH = """() => {
  const notes = document.querySelector('.speaker-controls-notes .value');
  return {
    sources: notes.querySelectorAll('script[type^="math/tex"]').length,
    typeset: [...notes.querySelectorAll('.MathJax_CHTML')]
      .filter(math => math.getBoundingClientRect().width > 0).length,
  };
}"""


@pytest.mark.browser
@pytest.mark.site_build
def test_speaker_view_keeps_the_notes_formulas_after_navigating(built_site, chromium):
    """A slide change re-sets the slide's formulas; the notes copied then must stay typeset."""
    import slide_fit

    out, _, notebooks = built_site
    lesson = notebooks[0]
    shown = {}
    with slide_fit.serve(out) as base:
        context = chromium.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(f"{base}/slides/{lesson.stem}.slides.html#/0")
        page.locator(".reveal.ready").wait_for(timeout=30_000)
        page.wait_for_function("() => window.MathJax && MathJax.Hub && "
                               "MathJax.Hub.queue.pending === 0", timeout=30_000)
        targets = [t for t in page.evaluate(NOTES_WITH_MATH) if t[:2] != [0, 0]]
        assert targets, f"{lesson.name} has no formula in its notes to check"
        # Notes that follow a fragment cell sit inside the fragment: the last target's
        # notes are moved into one, so both places are checked.
        page.evaluate(MOVE_NOTES_INTO_A_FRAGMENT, targets[-1][:2])
        with context.expect_page() as opened:
            page.keyboard.press("s")
        speaker = opened.value
        speaker.wait_for_selector("#connection-status", state="hidden", timeout=30_000)
        for h, v, cell_id, formulas in targets:
            page.evaluate(f"() => Reveal.slide({h}, {v})")  # as the arrow keys do
            speaker.wait_for_selector(f'.speaker-controls-notes .value [id="{cell_id}"]',
                                      state="attached", timeout=30_000)
            page.wait_for_function("() => MathJax.Hub.queue.pending === 0", timeout=30_000)
            speaker.wait_for_timeout(300)  # a late re-send of the notes would arrive by now
            shown[f"{h}/{v}"] = (speaker.evaluate(SPEAKER_MATH), formulas)
        context.close()
    wrong = {slide: math for slide, (math, formulas) in shown.items()
             if math != {"sources": formulas, "typeset": formulas}}
    assert not wrong, f"notes formulas not typeset in the speaker view: {wrong}"
