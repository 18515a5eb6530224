"""ctest analysis_report_browser: the HTML report of a fresh run and of a fresh sweep, opened
in headless Chromium as a person would open it.

For each report (`python3 -m teamsrl_analysis.report`, the CLI itself):
* the file is self-contained: no http(s):// or protocol-relative reference in any src, href
  or CSS url(), no <script src>, <link>, <iframe>, <object> or <embed>; every <img> is an
  embedded PNG that decodes and is not a uniform picture;
* Chromium's screenshot of the page is not blank (many distinct colours, no single colour
  covering nearly all of it);
* in a copy with a small checking script put first into <head>: every <img> has loaded
  (`complete && naturalWidth > 0`), no error event fired (script errors, failed resource
  loads), nothing called console.error, and the page fetched no resource at all
  (`performance.getEntriesByType("resource")` is empty: data: URIs are not fetches);
* Chromium logged no console message for the report itself (it has no script).

Needs TEAMSRL_BIN (the binary makes the run files) and chromium (TEAMSRL_CHROMIUM, else
`chromium` on PATH); skips with a message without them. TEAMSRL_KEEP_TMP=1 keeps the
temporary directory (reports and screenshots) for a look.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402

PYTHON = sys.executable
WINDOW = (1280, 2400)

CHECK_SCRIPT = """<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    var t = e.target;
    errors.push(t && t !== window ? "failed to load <" + t.tagName.toLowerCase() + "> " +
                (t.src || t.href || "").slice(0, 100) : "script error: " + e.message);
  }, true);
  var consoleError = console.error;
  console.error = function () { errors.push("console.error: " + Array.from(arguments).join(" "));
                                return consoleError.apply(console, arguments); };
  window.addEventListener("load", function () {
    var imgs = Array.from(document.images);
    var result = {
      images: imgs.length,
      loaded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
      sizes: imgs.map(function (i) { return [i.naturalWidth, i.naturalHeight]; }),
      errors: errors,
      fetched: performance.getEntriesByType("resource").map(function (r) { return r.name; }),
      text: document.body.innerText.length
    };
    document.body.setAttribute("data-report-check", JSON.stringify(result));
  });
})();
</script>"""


def chromium():
    exe = os.environ.get("TEAMSRL_CHROMIUM") or shutil.which("chromium") or \
        shutil.which("chromium-browser")
    return exe if exe and os.access(exe, os.X_OK) else None


def run_chromium(exe, profile, args, timeout=120):
    # A profile of its own per call (nothing in the user's home), no network at all.
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--disable-extensions", "--disable-background-networking",
           "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0"] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p


def console_lines(stderr):
    """Chromium's log lines for page console messages (`INFO:CONSOLE...] "msg", source:`)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


class ReportBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = fixtures.skip_reason()
        if reason is None and chromium() is None:
            reason = "chromium is not installed (cluster/bootstrap.sh installs it)"
        if reason:
            raise unittest.SkipTest(reason)
        cls.exe = chromium()
        cls.tmp = fixtures.tmpdir("report_browser")
        t0 = time.monotonic()
        cls.runs = fixtures.make_runs(cls.tmp)
        cls.sweep = fixtures.make_sweep(cls.tmp)
        print(f"fixtures: runs and a 16-task sweep in {time.monotonic() - t0:.1f} s")

    @classmethod
    def tearDownClass(cls):
        fixtures.cleanup(cls.tmp)

    def render(self, target, name, *extra, binary=False):
        """`python3 -m teamsrl_analysis.report`, or with `binary` the same through `teamsrl
        report`, which must find the package beside itself (no PYTHONPATH given)."""
        out = os.path.join(self.tmp, name + ".html")
        env = dict(os.environ, PYTHONPATH=fixtures.ANALYSIS_DIR, MPLBACKEND="Agg")
        cmd = [PYTHON, "-m", "teamsrl_analysis.report"]
        if binary:
            env.pop("PYTHONPATH")
            env["TEAMSRL_PYTHON"] = PYTHON
            cmd = [fixtures.BIN, "report"]
        t0 = time.monotonic()
        p = subprocess.run(cmd + [target, "--out", out] + list(extra), capture_output=True,
                           text=True, env=env, timeout=300)
        secs = time.monotonic() - t0
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(out, p.stdout)
        size = os.path.getsize(out)
        print(f"{name}: {size / 1024:.0f} KiB, rendered in {secs:.1f} s")
        return out

    def check_static(self, text, min_images):
        # No reference to anything outside the file.
        for attr, value in re.findall(r'\b(src|href|action|poster)\s*=\s*["\']([^"\']*)', text,
                                      re.I):
            self.assertFalse(re.match(r"\s*(https?:)?//", value, re.I),
                             f"{attr}={value[:80]} refers to the network")
            if attr.lower() == "src":
                self.assertTrue(value.startswith("data:image/png;base64,"),
                                f"src={value[:80]} is not an embedded PNG")
            if attr.lower() == "href":
                self.assertTrue(value.startswith("#"), f"href={value[:80]} leaves the page")
        self.assertNotRegex(text, r"url\(\s*['\"]?\s*(https?:)?//", "CSS url() to the network")
        self.assertNotRegex(text, r"@import", "CSS @import")
        for tag in ("<script", "<link", "<iframe", "<object", "<embed"):
            self.assertNotIn(tag, text.lower(), f"{tag}> in a self-contained report")
        images = re.findall(r'<img[^>]*src="data:image/png;base64,([^"]+)"', text)
        self.assertGreaterEqual(len(images), min_images, "embedded figures")
        for i, b64 in enumerate(images):
            colours, top, shape = fixtures.png_stats(base64.b64decode(b64))
            self.assertGreater(colours, 16, f"figure {i} has {colours} colours: blank?")
            self.assertLess(top, 0.995, f"figure {i} is one colour")
            self.assertGreater(min(shape[:2]), 100, f"figure {i} is {shape}")
        return len(images)

    def check_in_browser(self, html_path, name):
        with open(html_path, encoding="utf-8") as f:
            text = f.read()
        profile = os.path.join(self.tmp, "chromium-" + name)
        # The screenshot of the report as it is.
        shot = os.path.join(self.tmp, name + ".png")
        p = run_chromium(self.exe, profile + "-shot",
                         [f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                          "file://" + os.path.abspath(html_path)])
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        self.assertTrue(os.path.exists(shot), p.stderr[-3000:])
        self.assertEqual(console_lines(p.stderr), [], "console messages of the report")
        colours, top, shape = fixtures.png_stats(shot)
        print(f"{name}: screenshot {shape[1]}x{shape[0]}, {colours} colours, "
              f"{100 * top:.0f} % background; {shot}")
        self.assertGreater(colours, 200, "the page looks blank")
        self.assertLess(top, 0.97, "the page is nearly one colour")
        # A copy with the checking script first in <head>, its DOM after load.
        checked = os.path.join(self.tmp, name + ".checked.html")
        with open(checked, "w", encoding="utf-8") as f:
            f.write(text.replace("<head>", "<head>" + CHECK_SCRIPT, 1))
        p = run_chromium(self.exe, profile + "-dom",
                         ["--dump-dom", "--virtual-time-budget=5000",
                          "file://" + os.path.abspath(checked)])
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        m = re.search(r'data-report-check="([^"]*)"', p.stdout)
        self.assertIsNotNone(m, "the checking script did not run:\n" + p.stdout[:2000])
        import html as html_mod
        result = json.loads(html_mod.unescape(m.group(1)))
        print(f"{name}: {result['loaded']}/{result['images']} figures loaded, "
              f"{len(result['errors'])} errors, {len(result['fetched'])} fetches, "
              f"{result['text']} characters of text")
        self.assertEqual(result["errors"], [])
        self.assertEqual(result["fetched"], [], "resources fetched")
        self.assertEqual(result["loaded"], result["images"], result["sizes"])
        self.assertGreater(result["text"], 500)
        self.assertEqual(console_lines(p.stderr), [])
        return result

    def test_run_report(self):
        out = self.render(self.runs["train_dir"], "run_report", "--title", "Train <run> & co")
        with open(out, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("<title>Train &lt;run&gt; &amp; co</title>", text)
        for needed in ("What was run", "Status", "Budget used", "Statistics", "config_yaml",
                       "teamsrl", "world size", "completed", "95 % CI"):
            self.assertIn(needed, text)
        n = self.check_static(text, min_images=3)
        result = self.check_in_browser(out, "run_report")
        self.assertEqual(result["images"], n)

    def test_dataset_run_report(self):
        out = self.render(self.runs["generate"], "generate_report")
        with open(out, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("Dataset metrics", text)
        self.check_static(text, min_images=2)
        self.check_in_browser(out, "generate_report")

    def test_sweep_report(self):
        out = self.render(self.sweep, "sweep_report", binary=True)
        with open(out, encoding="utf-8") as f:
            text = f.read()
        for needed in ("What was run", "Tasks", "Statistics", "Budget used",
                       "probability of improvement", "gaussian_argmax", "uniform"):
            self.assertIn(needed, text)
        n = self.check_static(text, min_images=3)
        result = self.check_in_browser(out, "sweep_report")
        self.assertEqual(result["images"], n)


if __name__ == "__main__":
    fixtures.main()
