"""The text a PDF reader would extract from a WeasyPrint PDF, for tests.

No PDF library is installed (pypdf is not a dependency), so this reads just what WeasyPrint
writes: objects (some inside compressed object streams), Flate-compressed content streams,
Type0 fonts with 2-byte codes and a ToUnicode CMap each, text shown by hex strings in
``Tj``/``TJ``, and form XObjects. It decodes text through the ToUnicode maps, exactly as a
reader copies it, so Cyrillic comes out only if the PDF makes it extractable.
"""

import re
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj\s*")
_REF = re.compile(rb"/([^\s/<>\[\]()]+)\s*(\d+) 0 R")
_TOKENS = re.compile(
    rb"/([^\s/<>\[\]()]+)\s+[-\d.]+\s+Tf"  # 1: font
    rb"|\[((?:<[0-9a-fA-F]*>|[-\d.\s])*)\]\s*TJ"  # 2: TJ array
    rb"|<([0-9a-fA-F]*)>\s*Tj"  # 3: Tj
    rb"|/([^\s/<>\[\]()]+)\s+Do"  # 4: XObject
    rb"|[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+([-\d.]+)\s+Tm"  # 5: y of Tm
    rb"|[-\d.]+\s+([-\d.]+)\s+T[dD]"  # 6: line move
)


def _objects(data: bytes) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """Object number → dictionary text, and object number → decoded stream."""
    dicts: dict[int, bytes] = {}
    streams: dict[int, bytes] = {}
    pos = 0
    while match := _OBJ.search(data, pos):
        number = int(match.group(1))
        start = match.end()
        end = data.find(b"endobj", start)
        stream_at = data.find(b"stream", start, end if end >= 0 else None)
        if stream_at >= 0:
            head = data[start:stream_at]
            length = int(re.search(rb"/Length (\d+)", head).group(1))
            body_start = stream_at + len(b"stream")
            body_start += 2 if data[body_start : body_start + 2] == b"\r\n" else 1
            raw = data[body_start : body_start + length]
            dicts[number] = head
            streams[number] = zlib.decompress(raw) if b"/FlateDecode" in head else raw
            pos = body_start + length
            end = data.find(b"endobj", pos)
        else:
            dicts[number] = data[start:end]
        pos = end + len(b"endobj")
    for number, head in list(dicts.items()):
        if b"/Type /ObjStm" in head:
            content = streams[number]
            first = int(re.search(rb"/First (\d+)", head).group(1))
            header = [int(x) for x in content[:first].split()]
            pairs = list(zip(header[::2], header[1::2], strict=True))
            for i, (inner, offset) in enumerate(pairs):
                stop = pairs[i + 1][1] if i + 1 < len(pairs) else len(content) - first
                dicts[inner] = content[first + offset : first + stop]
    return dicts, streams


def _cmap(text: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for low, high, dst in re.findall(
            rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            base = int(dst, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(base + offset)
    return mapping


def _sub_dict(text: bytes, key: bytes, dicts: dict[int, bytes]) -> bytes:
    """The value of ``/Key`` in a dictionary text: an inline ``<<...>>`` or a reference."""
    at = text.find(b"/" + key)
    if at < 0:
        return b""
    rest = text[at + len(key) + 1 :].lstrip()
    ref = re.match(rb"(\d+) 0 R", rest)
    if ref:
        return dicts.get(int(ref.group(1)), b"")
    if rest.startswith(b"<<"):
        depth, i = 0, 0
        while i < len(rest):
            if rest.startswith(b"<<", i):
                depth += 1
                i += 2
            elif rest.startswith(b">>", i):
                depth -= 1
                i += 2
                if depth == 0:
                    return rest[:i]
            else:
                i += 1
    return b""


class _Reader:
    def __init__(self, data: bytes):
        self.dicts, self.streams = _objects(data)
        self.cmaps: dict[int, dict[int, str]] = {}

    def font_map(self, number: int) -> dict[int, str]:
        if number not in self.cmaps:
            ref = re.search(rb"/ToUnicode (\d+) 0 R", self.dicts.get(number, b""))
            self.cmaps[number] = _cmap(self.streams[int(ref.group(1))]) if ref else {}
        return self.cmaps[number]

    def pages(self) -> list[int]:
        root = re.search(rb"/Root (\d+) 0 R", b"".join(self.dicts.values()))
        catalog = self.dicts[int(root.group(1))]
        pages = int(re.search(rb"/Pages (\d+) 0 R", catalog).group(1))
        return list(self._kids(pages))

    def _kids(self, number: int):
        node = self.dicts[number]
        if re.search(rb"/Type\s*/Page\b(?!s)", node):
            yield number
            return
        kids = re.search(rb"/Kids\s*\[([^\]]*)\]", node).group(1)
        for kid in re.findall(rb"(\d+) 0 R", kids):
            yield from self._kids(int(kid))

    def text(self, content: bytes, resources: bytes, out: list[str]) -> None:
        fonts = dict(_REF.findall(_sub_dict(resources, b"Font", self.dicts)))
        xobjects = dict(_REF.findall(_sub_dict(resources, b"XObject", self.dicts)))
        current: dict[int, str] = {}
        y = None
        for match in _TOKENS.finditer(content):
            font, array, single, xobject, tm_y, td_y = match.groups()
            if font is not None:
                current = self.font_map(int(fonts.get(font, b"0")))
            elif array is not None or single is not None:
                if array is not None:
                    for piece, number in re.findall(rb"<([0-9a-fA-F]*)>|([-\d.]+)", array):
                        if number and float(number) < -250:
                            out.append(" ")
                        out.append(self._decode(piece, current))
                else:
                    out.append(self._decode(single, current))
            elif xobject is not None and xobject in xobjects:
                number = int(xobjects[xobject])
                head = self.dicts.get(number, b"")
                if b"/Form" in head and number in self.streams:
                    out.append("\n")
                    self.text(
                        self.streams[number],
                        _sub_dict(head, b"Resources", self.dicts) or resources,
                        out,
                    )
                    out.append("\n")
            elif tm_y is not None:
                if tm_y != y:
                    out.append("\n")
                y = tm_y
            elif td_y is not None and float(td_y) != 0:
                out.append("\n")

    @staticmethod
    def _decode(hex_text: bytes, mapping: dict[int, str]) -> str:
        raw = bytes.fromhex(hex_text.decode())
        codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
        return "".join(mapping.get(code, "\ufffd") for code in codes)


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, in page order."""
    reader = _Reader(data)
    result = []
    for page in reader.pages():
        head = reader.dicts[page]
        resources = _sub_dict(head, b"Resources", reader.dicts)
        contents = re.search(rb"/Contents\s*(\[[^\]]*\]|\d+ 0 R)", head).group(1)
        out: list[str] = []
        for ref in re.findall(rb"(\d+) 0 R", contents):
            reader.text(reader.streams[int(ref)], resources, out)
        result.append("".join(out))
    return result


def pdf_text(data: bytes) -> str:
    """All pages' text with runs of whitespace collapsed to one space."""
    return " ".join(" ".join(pdf_pages(data)).split())


def pdf_dictionaries(data: bytes) -> bytes:
    """Every object's dictionary (compressed object streams included), joined: for checks on
    page boxes and font names."""
    dicts, _streams = _objects(data)
    return b"\n".join(dicts.values())
