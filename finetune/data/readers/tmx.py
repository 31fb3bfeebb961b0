"""TMX translation memories (the XML that CAT tools such as Trados, memoQ and OmegaT export): one record per
translation unit, ``{"translation": {lang: text, ...}}`` with the languages in the order the unit gives them
(the header's ``srclang`` first when it names one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

from finetune.data.readers.base import RawData
from finetune.data.readers.decoding import open_bytes
from finetune.data.report import Problem

_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def tmx_records(raw: RawData) -> Iterator[tuple[int, dict[str, Any]]]:
    """Translation units as records, streamed; a unit with fewer than two languages is a problem."""
    source: str | None = None
    number = 0
    try:
        with open_bytes(raw) as stream:
            for _, element in ElementTree.iterparse(stream, events=("end",)):
                tag = element.tag.rsplit("}", 1)[-1]
                if tag == "header":
                    source = (element.get("srclang") or "").split("-")[0].lower() or None
                if tag != "tu":
                    continue
                number += 1
                pair: dict[str, str] = {}
                for tuv in element:
                    lang = (tuv.get(_LANG) or tuv.get("lang") or "").split("-")[0].split("_")[0].lower()
                    seg = next((child for child in tuv if child.tag.rsplit("}", 1)[-1] == "seg"), None)
                    if lang and seg is not None:
                        pair[lang] = "".join(seg.itertext()).strip()
                element.clear()
                if len(pair) < 2:
                    raw.problems.append(Problem(number, None, f"Translation unit {number} has {len(pair)} language(s).",
                                                "Give every <tu> a <tuv> with a <seg> in both languages."))
                    continue
                if source in pair:
                    pair = {source: pair[source], **{k: v for k, v in pair.items() if k != source}}
                yield number, {"translation": pair}
    except ElementTree.ParseError as exc:
        raw.problems.append(Problem(exc.position[0] if exc.position else None, None,
                                    f"The TMX file is not well-formed XML ({exc}).", "Export it again from the tool."))
