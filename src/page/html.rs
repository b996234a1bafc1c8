//! Escaping and small builders for the page's HTML.

use std::fmt::Write;

/// `s` as HTML text or a quoted attribute value: the five characters that could
/// end a text run or an attribute, escaped. Everything read from a file goes through this.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A table cell: text already escaped (or built from escaped parts), and whether it
/// holds a number (right-aligned, figures of equal width).
pub struct Cell {
    pub html: String,
    pub num: bool,
}

/// Escaped text, left-aligned.
pub fn text(s: &str) -> Cell {
    Cell { html: esc(s), num: false }
}

/// A number already formatted (no markup in it), right-aligned.
pub fn num(s: impl Into<String>) -> Cell {
    Cell { html: esc(&s.into()), num: true }
}

/// HTML built by the caller (its file-borne parts escaped), left-aligned.
pub fn raw(html: impl Into<String>) -> Cell {
    Cell { html: html.into(), num: false }
}

/// A table with a header row; `head` cells that are numbers' columns align right too.
pub struct Table {
    head: Vec<(String, bool)>,
    rows: Vec<(Vec<Cell>, &'static str)>,
}

impl Table {
    /// Columns by (label, numeric); labels are escaped.
    pub fn new(head: &[(&str, bool)]) -> Self {
        Table { head: head.iter().map(|(h, n)| (esc(h), *n)).collect(), rows: Vec::new() }
    }
    /// Columns given as escaped HTML.
    pub fn new_html(head: Vec<(String, bool)>) -> Self {
        Table { head, rows: Vec::new() }
    }
    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push((cells, ""));
    }
    /// A row shown as a part of the one above it (indented, muted).
    pub fn sub_row(&mut self, cells: Vec<Cell>) {
        self.rows.push((cells, "sub"));
    }
    pub fn html(&self) -> String {
        // Without column names, a table of label and value: no header row.
        let kv = self.head.iter().all(|h| h.0.is_empty());
        let mut s = String::from(if kv { "<div class=\"scroll\"><table class=\"kv\">" } else { "<div class=\"scroll\"><table>" });
        if !kv {
            s.push_str("<thead><tr>");
            for (h, n) in &self.head {
                let _ = write!(s, "<th{}>{h}</th>", if *n { " class=\"num\"" } else { "" });
            }
            s.push_str("</tr></thead>");
        }
        s.push_str("<tbody>\n");
        for (cells, class) in &self.rows {
            if class.is_empty() {
                s.push_str("<tr>");
            } else {
                let _ = write!(s, "<tr class=\"{class}\">");
            }
            for c in cells {
                let _ = write!(s, "<td{}>{}</td>", if c.num { " class=\"num\"" } else { "" }, c.html);
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody></table></div>\n");
        s
    }
}

/// `x` with `decimals` decimals and thousands separators: 645312.7 → "645,312.7".
pub fn fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let neg = if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') { "−" } else { "" };
    match frac {
        Some(f) => format!("{neg}{grouped}.{f}"),
        None => format!("{neg}{grouped}"),
    }
}

/// A share of 0..1 as a percentage with `decimals` decimals: 0.6081 → "60.8%".
pub fn pct(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    format!("{}%", fixed(100.0 * x, decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_groups_thousands() {
        assert_eq!(esc("</pre><script>alert('x\")</script>&"), "&lt;/pre&gt;&lt;script&gt;alert(&#39;x&quot;)&lt;/script&gt;&amp;");
        assert_eq!(fixed(645312.74, 1), "645,312.7");
        assert_eq!(fixed(999.96, 1), "1,000.0");
        assert_eq!(fixed(-1234.0, 0), "−1,234");
        assert_eq!(fixed(-0.01, 1), "0.0");
        assert_eq!(fixed(f64::NAN, 1), "—");
        assert_eq!(pct(0.6081, 1), "60.8%");
    }
}
