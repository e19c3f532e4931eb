//! Attachments are recognised by their bytes, never by their name or declared type
//! (DESIGN §4): JPEG, PNG or PDF, at most five files of 5 MiB each.

pub const MAX_FILES: usize = 5;
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Jpeg,
    Png,
    Pdf,
}

impl FileKind {
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Pdf => "pdf",
        }
    }
}

/// The kind of a file from its first bytes (magic numbers).
pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileKind::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(FileKind::Png)
    } else if bytes.starts_with(b"%PDF-") {
        Some(FileKind::Pdf)
    } else {
        None
    }
}

/// A name safe to store and to offer in a download: no folders, no control or quote
/// characters, none of the invisible characters the text fields refuse (a right-to-left
/// override turns `invoice\u{202E}gnp.png` into what reads as `invoicepng.exe`), bounded,
/// and ending in the extension of what the bytes are.
pub fn safe_file_name(raw: &str, kind: FileKind) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !super::fields::is_forbidden_control(*c)
                && !matches!(c, '"' | '\'' | ';' | '<' | '>' | '`')
        })
        .take(MAX_NAME_CHARS)
        .collect();
    let stem = cleaned
        .rsplit_once('.')
        .map_or(cleaned.as_str(), |(stem, _)| stem)
        .trim();
    let stem = if stem.is_empty() { "attachment" } else { stem };
    format!("{stem}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_bytes() {
        let table: [(&[u8], Option<FileKind>); 6] = [
            (&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0], Some(FileKind::Jpeg)),
            (
                &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0],
                Some(FileKind::Png),
            ),
            (b"%PDF-1.7\n", Some(FileKind::Pdf)),
            (b"<html><script>", None),
            (b"GIF89a", None),
            (b"", None),
        ];
        for (bytes, kind) in table {
            assert_eq!(sniff(bytes), kind);
        }
    }

    #[test]
    fn names_lose_folders_and_get_the_true_extension() {
        assert_eq!(
            safe_file_name("C:\\photos\\发票.png", FileKind::Png),
            "发票.png"
        );
        assert_eq!(
            safe_file_name("../../etc/passwd", FileKind::Pdf),
            "passwd.pdf"
        );
        assert_eq!(safe_file_name("evil.html", FileKind::Jpeg), "evil.jpg");
        assert_eq!(safe_file_name("a\"b\r\n.pdf", FileKind::Pdf), "ab.pdf");
        assert_eq!(safe_file_name("", FileKind::Pdf), "attachment.pdf");
    }

    #[test]
    fn names_lose_the_invisible_characters_text_fields_refuse() {
        assert_eq!(
            safe_file_name("invoice\u{202E}gnp.png", FileKind::Png),
            "invoicegnp.png"
        );
        for invisible in [
            '\u{202A}', '\u{200B}', '\u{200F}', '\u{2066}', '\u{2069}', '\u{FEFF}', '\u{2028}',
        ] {
            let name = safe_file_name(&format!("发{invisible}票.pdf"), FileKind::Pdf);
            assert_eq!(name, "发票.pdf", "{invisible:?}");
        }
        assert_eq!(
            safe_file_name("\u{202E}.png", FileKind::Png),
            "attachment.png"
        );
    }
}
