//! Crafted XLSX files, written part by part, for the tests, the fuzz seeds
//! and the benchmarks: an ordinary sheet of text cells, and the hostile
//! files the readers must refuse (a sparse bomb, zip bombs).

use std::io::Write;

use zip::write::SimpleFileOptions;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// A zip archive of `parts` (name, content), deflated.
pub fn zip_parts(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(false);
    for (name, content) in parts {
        w.start_file(*name, opts).expect("zip entry");
        w.write_all(content).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// Escapes text for an XML text node.
fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The XML of a sheet whose rows are inline-string cells.
pub fn sheet_xml(rows: &[Vec<String>]) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (i, row) in rows.iter().enumerate() {
        xml.push_str(&format!(r#"<row r="{}">"#, i + 1));
        for cell in row {
            if !cell.is_empty() {
                xml.push_str(&format!(r#"<c t="inlineStr"><is><t>{}</t></is></c>"#, xml_text(cell)));
            } else {
                xml.push_str("<c/>");
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// An XLSX file of one sheet with these rows (text cells).
pub fn xlsx_of_rows(rows: &[Vec<String>]) -> Vec<u8> {
    xlsx_with_sheet(sheet_xml(rows).as_bytes(), None)
}

/// An XLSX file with this sheet XML and, optionally, this shared-string XML.
pub fn xlsx_with_sheet(sheet: &[u8], shared_strings: Option<&[u8]>) -> Vec<u8> {
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    if let Some(s) = shared_strings {
        parts.push(("xl/sharedStrings.xml", s));
    }
    zip_parts(&parts)
}

/// A header row and one cell at `XFD1048576`: a reader that trusts the
/// extent of the sheet allocates a grid of 17 billion cells. About 1.7 KB.
pub fn sparse_bomb(header: &[String]) -> Vec<u8> {
    let mut xml = sheet_xml(&[header.to_vec()]);
    let tail = "</sheetData></worksheet>";
    xml.truncate(xml.len() - tail.len());
    xml.push_str(r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>"#);
    xml.push_str(tail);
    let xml = xml.replacen("<sheetData>", r#"<dimension ref="A1:XFD1048576"/><sheetData>"#, 1);
    xlsx_with_sheet(xml.as_bytes(), None)
}

/// A header row, then a shared-string table of `n` one-letter strings: a
/// few hundred kilobytes that inflate to `17 × n` bytes and `n` strings.
pub fn shared_string_bomb(header: &[String], n: usize) -> Vec<u8> {
    let mut sst = String::with_capacity(n * 17 + 100);
    sst.push_str(r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#);
    for _ in 0..n {
        sst.push_str("<si><t>a</t></si>");
    }
    sst.push_str("</sst>");
    xlsx_with_sheet(sheet_xml(&[header.to_vec()]).as_bytes(), Some(sst.as_bytes()))
}

/// A header row, then `bytes` of white space inside the sheet: one XML
/// token that a reader without a token budget buffers whole.
pub fn whitespace_bomb(header: &[String], bytes: usize) -> Vec<u8> {
    let mut xml = sheet_xml(&[header.to_vec()]).into_bytes();
    let at = xml.len() - "</sheetData></worksheet>".len();
    xml.splice(at..at, std::iter::repeat_n(b' ', bytes));
    xlsx_with_sheet(&xml, None)
}
