"""The README's Python session, run as written (a doctest), from a
directory laid out like the repository's root beside ../shared/data."""

import doctest
import os
import re

from conftest import REPO


def readme_session() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```pycon\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the README's Python section has one session"
    return blocks[0]


def test_the_readme_session_runs_as_written(tmp_path, data_dir, monkeypatch):
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "shared").mkdir()
    os.symlink(data_dir, tmp_path / "shared" / "data")
    monkeypatch.chdir(root)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(readme_session(), {}, "README.md", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} of {runner.tries} README examples failed (see above)"
    assert runner.tries > 10
