"""The notebooks of analysis/notebooks/ are stored as sources: no outputs, no execution
counts, and a first cell of paths that environment variables override (what
notebooks_test.py relies on to run them on fresh files). Pure JSON: no Jupyter needed."""
import glob
import json
import os
import re
import unittest

NOTEBOOK_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "notebooks")


class NotebooksCleanTest(unittest.TestCase):
    def notebooks(self):
        paths = sorted(glob.glob(os.path.join(NOTEBOOK_DIR, "*.ipynb")))
        self.assertGreaterEqual(len(paths), 5)
        for path in paths:
            with open(path, encoding="utf-8") as f:
                yield os.path.basename(path), json.load(f)

    def test_stored_without_outputs(self):
        for name, nb in self.notebooks():
            self.assertEqual(nb["nbformat"], 4, name)
            self.assertEqual(nb["metadata"]["kernelspec"]["name"], "python3", name)
            for i, cell in enumerate(nb["cells"]):
                if cell["cell_type"] == "code":
                    self.assertEqual(cell["outputs"], [], f"{name} cell {i} has outputs")
                    self.assertIsNone(cell["execution_count"], f"{name} cell {i}")

    def test_first_cell_is_paths_from_the_environment(self):
        for name, nb in self.notebooks():
            first = nb["cells"][0]
            self.assertEqual(first["cell_type"], "code", name)
            source = "".join(first["source"])
            self.assertRegex(source, r'os\.environ\.get\("TEAMSRL_[A-Z_]+"', name)
            # Only assignments of paths and settings: nothing that reads a file yet.
            self.assertNotIn("load_", source, name)
            for var in re.findall(r'"(TEAMSRL_[A-Z_]+)"', source):
                self.assertIn(var, open(os.path.join(os.path.dirname(NOTEBOOK_DIR),
                                                     "README.md")).read(),
                              f"{name}: {var} is not documented in analysis/README.md")


if __name__ == "__main__":
    unittest.main()
