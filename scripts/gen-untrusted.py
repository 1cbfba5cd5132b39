#!/usr/bin/env python3
"""Writes the files of scripts/bench-untrusted into DIR: the largest uploads
the limits accept, built to cost the most memory, and hostile files the
readers must refuse. Usage: gen-untrusted.py DIR"""
import io
import os
import sys
import zipfile

out = sys.argv[1]
HEADER = ("行政相对人名称,行政相对人类别,统一社会信用代码,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,"
          "处罚类别,处罚内容,罚款金额（万元）,处罚决定日期,处罚有效期,处罚机关,处罚机关统一社会信用代码,"
          "数据来源单位,数据来源单位统一社会信用代码").split(",")
LIMIT = 64 * 1024 * 1024 - 64 * 1024  # just under the upload limit


def col(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def xlsx(path, sheet_chunks, sst_chunks=None):
    if os.path.exists(path):
        return  # generators are slow: keep files of an earlier run
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("xl/workbook.xml", '<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/>'
                   '<Relationship Id="rId2" Type="x/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            for c in sheet_chunks:
                f.write(c)
        if sst_chunks is not None:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
                for c in sst_chunks:
                    f.write(c)


def header_row():
    return ('<row r="1">' + "".join(f'<c r="{col(i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                                    for i, h in enumerate(HEADER)) + "</row>").encode()


# 1. A CSV just under 64 MiB whose every row breaks several rules: the report
#    is as long as it gets (diagnostics past 100,000 are counted only).
with open(f"{out}/bad-rows.csv", "w", encoding="utf-8") as f:
    f.write(",".join(HEADER) + "\n")
    n = 0
    while f.tell() < LIMIT - 400:
        f.write(f"河源市坏数据运输有限公司{n},法人及非法人组织,91110000100000000X,河交罚〔2026〕{n}号,超限运输,"
                f"超限\x07,依据,罚款,罚款,,2099-13-01,2099-01-09,河源市交通运输局,11230500001755309X,"
                f"河源市交通运输局,11230500001755309F\n")
        n += 1

# 2. An XLSX with 3,900,000 distinct shared strings (97.5 MB of text, under
#    the 4,000,000 and 96 MiB limits) and rows that use them.
N = 3_900_000
def sst():
    yield b'<sst>'
    for i in range(0, N, 10000):
        yield "".join(f"<si><t>河源运输{j:07d}公司</t></si>" for j in range(i, min(N, i + 10000))).encode()
    yield b"</sst>"
def sheet():
    yield b"<worksheet><sheetData>" + header_row()
    rows = N // 4
    for r in range(rows):
        yield (f'<row r="{r + 2}"><c r="A{r + 2}" t="s"><v>{4 * r}</v></c><c r="F{r + 2}" t="s"><v>{4 * r + 1}</v></c>'
               f'<c r="I{r + 2}" t="s"><v>{4 * r + 2}</v></c><c r="M{r + 2}" t="s"><v>{4 * r + 3}</v></c></row>').encode()
    yield b"</sheetData></worksheet>"
xlsx(f"{out}/many-strings.xlsx", sheet(), sst())

# 3. Hostile files.
xlsx(f"{out}/sparse-bomb.xlsx", [b'<worksheet><dimension ref="A1:XFD1048576"/><sheetData>' + header_row() +
                                  b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>'])
def many_si():
    yield b"<sst>"
    for _ in range(600):
        yield b"<si><t>a</t></si>" * 10000
    yield b"</sst>"
xlsx(f"{out}/string-bomb.xlsx", [b"<worksheet><sheetData>" + header_row() + b"</sheetData></worksheet>"], many_si())
def blank():
    yield b"<worksheet><sheetData>" + header_row()
    for _ in range(1024):
        yield b" " * (1024 * 1024)
    yield b"</sheetData></worksheet>"
xlsx(f"{out}/blank-bomb.xlsx", blank())
def deep():
    yield b"<worksheet><sheetData>" + header_row()
    for _ in range(3000):
        yield b"<x/>" * 1_000_000
    yield b"</sheetData></worksheet>"
xlsx(f"{out}/zip-bomb.xlsx", deep())

for name in sorted(os.listdir(out)):
    print(f"{name}\t{os.path.getsize(os.path.join(out, name))} bytes")
