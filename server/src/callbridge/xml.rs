//! XML reading (client side) and writing (simulator side) in the shapes the
//! Call Bridge API uses: `<coSpaces total="N"><coSpace id="..">..</coSpace></coSpaces>`,
//! `<coSpace id=".."><name>..</name></coSpace>` and
//! `<failureDetails><reason parameter=".." error=".."/></failureDetails>`.

use super::error::{CallBridgeError, FailureDetail};
use super::model::Page;
use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;
use quick_xml::{Reader, XmlVersion};
use serde::de::DeserializeOwned;

fn parse_error(what: &str, e: impl std::fmt::Display) -> CallBridgeError {
    CallBridgeError::Parse(format!("{what}: {e}"))
}

fn attribute(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, CallBridgeError> {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => a
            .normalized_value(XmlVersion::Implicit1_0)
            .map(|v| Some(v.into_owned()))
            .map_err(|e| parse_error("bad attribute", e)),
        Ok(None) => Ok(None),
        Err(e) => Err(parse_error("bad attribute", e)),
    }
}

/// Reads one object, e.g. the answer to `GET /api/v1/coSpaces/<id>`.
pub fn parse_object<T: DeserializeOwned>(body: &str) -> Result<T, CallBridgeError> {
    quick_xml::de::from_str(body).map_err(|e| parse_error("bad object", e))
}

/// Reads one page of a list: the root's `total` attribute and every child
/// element named `item` (others are ignored).
pub fn parse_list<T: DeserializeOwned>(body: &str, item: &str) -> Result<Page<T>, CallBridgeError> {
    let mut reader = Reader::from_str(body);
    let mut total: Option<u64> = None;
    let mut in_root = false;
    let mut items = Vec::new();
    loop {
        let before = position(&reader)?;
        match reader
            .read_event()
            .map_err(|e| parse_error("bad list", e))?
        {
            Event::Start(e) if !in_root => {
                in_root = true;
                total = read_total(&e)?;
            }
            Event::Empty(e) if !in_root => {
                total = read_total(&e)?;
                break;
            }
            Event::Start(e) => {
                let name = e.name().as_ref().to_string();
                reader
                    .read_to_end(QName(&name))
                    .map_err(|e| parse_error("bad list item", e))?;
                let element = ListElement {
                    start: before,
                    end: position(&reader)?,
                    tag: &e,
                };
                element.push_if(item, body, &mut items)?;
            }
            Event::Empty(e) => {
                let element = ListElement {
                    start: before,
                    end: position(&reader)?,
                    tag: &e,
                };
                element.push_if(item, body, &mut items)?;
            }
            Event::End(_) | Event::Eof => break,
            _ => {}
        }
    }
    if !in_root && total.is_none() {
        return Err(parse_error("bad list", "no root element"));
    }
    let total = total.unwrap_or(items.len() as u64);
    Ok(Page { total, items })
}

fn position(reader: &Reader<&[u8]>) -> Result<usize, CallBridgeError> {
    usize::try_from(reader.buffer_position()).map_err(|e| parse_error("position", e))
}

/// One child element of a list's root, from its first byte to past its end.
struct ListElement<'a, 'b> {
    start: usize,
    end: usize,
    tag: &'a BytesStart<'b>,
}

impl ListElement<'_, '_> {
    /// Parses the element into `items` when it is named `item`.
    fn push_if<T: DeserializeOwned>(
        &self,
        item: &str,
        body: &str,
        items: &mut Vec<T>,
    ) -> Result<(), CallBridgeError> {
        if self.tag.local_name().as_ref() != item {
            return Ok(());
        }
        let slice = body
            .get(self.start..self.end)
            .ok_or_else(|| parse_error("bad list item", "out of range"))?;
        items.push(parse_object(slice)?);
        Ok(())
    }
}

fn read_total(e: &BytesStart<'_>) -> Result<Option<u64>, CallBridgeError> {
    match attribute(e, "total")? {
        Some(t) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|e| parse_error("bad total", e)),
        None => Ok(None),
    }
}

/// Reads the first reason of a `<failureDetails>` body; `None` when the body
/// is not one.
pub fn parse_failure(body: &str) -> Option<FailureDetail> {
    let mut reader = Reader::from_str(body);
    let mut in_root = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if !in_root => {
                if e.local_name().as_ref() != "failureDetails" {
                    return None;
                }
                in_root = true;
            }
            Event::Start(e) | Event::Empty(e) if in_root => {
                let reason = e.local_name().as_ref().to_string();
                return Some(FailureDetail {
                    reason,
                    parameter: attribute(&e, "parameter").ok().flatten(),
                    error: attribute(&e, "error").ok().flatten(),
                });
            }
            Event::Empty(_) | Event::End(_) | Event::Eof => return None,
            _ => {}
        }
    }
}

const DECL: &str = "<?xml version=\"1.0\"?>";

/// Writes `<element id="id"><field>value</field>...</element>`; fields with
/// an empty value are left out (an unset field is absent, as on CMS).
pub fn write_object(element: &str, id: &str, fields: &[(&str, String)]) -> String {
    let mut out = String::new();
    write_element(&mut out, element, id, fields);
    out
}

fn write_element(out: &mut String, element: &str, id: &str, fields: &[(&str, String)]) {
    out.push('<');
    out.push_str(element);
    out.push_str(" id=\"");
    out.push_str(&escape(id));
    out.push('"');
    write_fields(out, element, fields);
}

/// `>` then the fields, then the closing tag of `element`.
fn write_fields(out: &mut String, element: &str, fields: &[(&str, String)]) {
    out.push('>');
    for (name, value) in fields {
        if value.is_empty() {
            continue;
        }
        out.push('<');
        out.push_str(name);
        out.push('>');
        out.push_str(&escape(value.as_str()));
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    out.push_str("</");
    out.push_str(element);
    out.push('>');
}

/// A whole object answer, with the XML declaration.
pub fn object_document(element: &str, id: &str, fields: &[(&str, String)]) -> String {
    format!("{DECL}{}", write_object(element, id, fields))
}

/// An answer without id, such as `<status>` of `/system/status`.
pub fn object_document_without_id(element: &str, fields: &[(&str, String)]) -> String {
    let mut out = format!("{DECL}<{element}");
    write_fields(&mut out, element, fields);
    out
}

/// `<collection total="N">items</collection>`, with the XML declaration.
pub fn list_document<'a>(
    collection: &str,
    total: usize,
    items: impl IntoIterator<Item = (&'a str, Vec<(&'a str, String)>)>,
    element: &str,
) -> String {
    let mut out = format!("{DECL}<{collection} total=\"{total}\">");
    for (id, fields) in items {
        write_element(&mut out, element, id, &fields);
    }
    out.push_str("</");
    out.push_str(collection);
    out.push('>');
    out
}

/// `<failureDetails><reason parameter=".." error=".."/></failureDetails>`.
pub fn failure_document(detail: &FailureDetail) -> String {
    let mut out = format!("{DECL}<failureDetails><{}", detail.reason);
    if let Some(p) = &detail.parameter {
        out.push_str(&format!(" parameter=\"{}\"", escape(p.as_str())));
    }
    if let Some(e) = &detail.error {
        out.push_str(&format!(" error=\"{}\"", escape(e.as_str())));
    }
    out.push_str(" /></failureDetails>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callbridge::model::{AccessMethodTemplate, CoSpace};

    #[test]
    fn reads_a_list_page_with_total() {
        let body = r#"<?xml version="1.0"?>
<coSpaces total="7">
  <coSpace id="a1"><name>One &amp; two</name><uri>one</uri><callId>100</callId></coSpace>
  <coSpace id="a2"><name>Two</name></coSpace>
  <other id="x"/>
  <coSpace id="a3"/>
</coSpaces>"#;
        let page: Page<CoSpace> = parse_list(body, "coSpace").unwrap();
        assert_eq!(page.total, 7);
        assert_eq!(page.items.len(), 3);
        assert_eq!(page.items[0].id, "a1");
        assert_eq!(page.items[0].name.as_deref(), Some("One & two"));
        assert_eq!(page.items[0].call_id.as_deref(), Some("100"));
        assert_eq!(page.items[1].uri, None);
        assert_eq!(page.items[2].id, "a3");
    }

    #[test]
    fn reads_an_empty_list() {
        let page: Page<CoSpace> = parse_list(r#"<coSpaces total="0"/>"#, "coSpace").unwrap();
        assert_eq!((page.total, page.items.len()), (0, 0));
        let page: Page<CoSpace> =
            parse_list(r#"<coSpaces total="0"></coSpaces>"#, "coSpace").unwrap();
        assert_eq!((page.total, page.items.len()), (0, 0));
        assert!(parse_list::<CoSpace>("", "coSpace").is_err());
    }

    #[test]
    fn reads_booleans_and_round_trips_written_objects() {
        let xml = object_document(
            "accessMethodTemplate",
            "t1",
            &[
                ("name", "ExternalAccessMeth".into()),
                ("uriGenerator", "$.guest".into()),
                ("generateUniqueCallId", "true".into()),
                ("scope", String::new()),
            ],
        );
        let t: AccessMethodTemplate = parse_object(&xml).unwrap();
        assert_eq!(t.id, "t1");
        assert_eq!(t.uri_generator.as_deref(), Some("$.guest"));
        assert_eq!(t.generate_unique_call_id, Some(true));
        assert_eq!(t.scope, None);
    }

    #[test]
    fn reads_failure_details() {
        let d = parse_failure(
            r#"<?xml version="1.0"?><failureDetails><parameterError parameter="uri" error="invalidValue" /></failureDetails>"#,
        )
        .unwrap();
        assert_eq!(d.reason, "parameterError");
        assert_eq!(d.parameter.as_deref(), Some("uri"));
        assert_eq!(d.error.as_deref(), Some("invalidValue"));
        let d = parse_failure("<failureDetails><duplicateCoSpaceUri/></failureDetails>").unwrap();
        assert_eq!(d.reason, "duplicateCoSpaceUri");
        assert_eq!(parse_failure("<coSpaces total=\"0\"/>"), None);
        assert_eq!(parse_failure("not xml at all"), None);
        let written = failure_document(&d);
        assert_eq!(parse_failure(&written), Some(d));
    }
}
