"""MkDocs hook (mkdocs.yml ``hooks:``): show docstring examples as code.

Docstrings hold doctest examples (``>>>`` lines and their output) as plain
paragraphs; read as Markdown, output such as ``(None, [])`` would be taken
for link syntax.  This wraps each run of example lines that is not already
in a fenced block into a ```pycon fence, for the pages and for the docstrings
mkdocstrings renders (it uses the same Markdown extensions).
"""

from __future__ import annotations

from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from mkdocs.plugins import event_priority


class _DoctestFences(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        fenced = in_example = False
        indent = ""
        for line in lines:
            s = line.lstrip()
            if in_example and not s:
                out.append(indent + "```")
                in_example = False
            elif not in_example and s.startswith("```"):
                fenced = not fenced
            elif not fenced and not in_example and s.startswith(">>>"):
                indent = line[:len(line) - len(s)]
                out.append(indent + "```pycon")
                in_example = True
            out.append(line)
        if in_example:
            out.append(indent + "```")
        return out


class DoctestFences(Extension):
    def extendMarkdown(self, md):  # noqa: N802 - Markdown's API
        md.preprocessors.register(_DoctestFences(md), "luanma_doctest_fences", 30)


@event_priority(100)        # before mkdocstrings copies the extension list
def on_config(config):
    config.markdown_extensions.append(DoctestFences())
    return config
