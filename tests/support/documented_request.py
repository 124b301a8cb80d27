"""The HTTP request a document shows between `<!-- <name>:begin -->` and `<!-- <name>:end -->`, read
so that a test sends exactly what the document tells an app to send."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DocumentedRequest:
    method: str
    path: str
    headers: dict[str, str]  # as written, placeholders included (Host left out: the test's server is the host)
    body: dict

    def with_values(self, **values: str) -> tuple[dict[str, str], dict]:
        """Headers and body with each `<placeholder>` replaced: values={"app token": …} fills `<app token>`."""
        def fill(text: str) -> str:
            return re.sub(r"<([^<>]+)>", lambda match: values[match.group(1)], text)
        return ({name: fill(value) for name, value in self.headers.items()},
                {key: fill(value) if isinstance(value, str) else value for key, value in self.body.items()})


def documented_request(document: str, name: str) -> DocumentedRequest:
    text = (ROOT / document).read_text()
    block = text[text.index(f"<!-- {name}:begin -->"):text.index(f"<!-- {name}:end -->")]
    http = block.split("```http\n", 1)[1].split("```", 1)[0]
    head, _, body = http.partition("\n\n")
    request_line, *header_lines = head.splitlines()
    method, path, _ = request_line.split(" ")
    headers = dict(line.split(": ", 1) for line in header_lines)
    headers.pop("Host")
    return DocumentedRequest(method, path, headers, json.loads(body))
