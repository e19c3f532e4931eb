//! Attachments: recognised by their bytes, at most five of 5 MiB, stored with the filing,
//! served only to staff who may see the complaint, and only as downloads.

use diesel::prelude::*;
use green_channel::db::schema::{attachments, complaints};
use reqwest::multipart::{Form, Part};

use crate::helpers::{select_text, spawn_app, valid_complaint, TestApp, STAFF_PASSWORD};

/// A file to upload: its name, bytes and declared type.
type Upload<'a> = (&'a str, Vec<u8>, &'a str);

const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
];
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

/// Posts the form as a browser does when files are chosen: multipart.
async fn file_with_files(app: &TestApp, files: Vec<Upload<'_>>) -> reqwest::Response {
    let tokens = app.open_form().await;
    let mut form = Form::new()
        .text("csrf_token", tokens.csrf_token.clone())
        .text("submission_id", tokens.submission_id.clone());
    for (name, value) in valid_complaint() {
        form = form.text(name, value);
    }
    for (file_name, bytes, declared) in files {
        form = form.part(
            "attachments",
            Part::bytes(bytes)
                .file_name(file_name.to_owned())
                .mime_str(declared)
                .unwrap(),
        );
    }
    app.client
        .post(app.url("/complaints"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn files_are_stored_with_the_complaint_and_downloaded_only_by_its_handlers() {
    let app = spawn_app().await;
    let response = file_with_files(
        &app,
        vec![
            ("小票.png", PNG.to_vec(), "image/png"),
            ("../../合同.pdf", PDF.to_vec(), "application/octet-stream"),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let stored: Vec<(String, String, String, i64)> = app
        .db
        .read(|conn| {
            Ok(attachments::table
                .order(attachments::file_name)
                .select((
                    attachments::id,
                    attachments::file_name,
                    attachments::content_type,
                    attachments::size_bytes,
                ))
                .load(conn)?)
        })
        .await
        .unwrap();
    let names: Vec<(&str, &str)> = stored
        .iter()
        .map(|(_, n, t, _)| (n.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![("合同.pdf", "application/pdf"), ("小票.png", "image/png")]
    );
    let pdf_id = stored[0].0.clone();

    // Never public: the tracking page does not list them and there is no public path.
    let code: String = app
        .db
        .read(|conn| {
            Ok(complaints::table
                .select(complaints::tracking_code)
                .first(conn)?)
        })
        .await
        .unwrap();
    let tracking = app.get_html(&format!("/track/{code}")).await;
    assert!(!tracking.contains("合同") && !tracking.contains("/admin/attachments/"));
    let anonymous = crate::helpers::client()
        .get(app.url(&format!("/admin/attachments/{pdf_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status().as_u16(),
        303,
        "signed out: to the sign-in page"
    );

    app.create_user("clerk-food", "clerk", "food-drug").await;
    app.create_user("clerk-agri", "clerk", "agriculture").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let download = clerk
        .get(app.url(&format!("/admin/attachments/{pdf_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status().as_u16(), 200);
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(download.headers()["x-content-type-options"], "nosniff");
    assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);
    let id: String = app
        .db
        .read(|conn| Ok(complaints::table.select(complaints::id).first(conn)?))
        .await
        .unwrap();
    let page = clerk
        .get(app.url(&format!("/admin/complaints/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        select_text(&page, "a[download]").len(),
        2,
        "listed on the complaint page"
    );

    let other = app.login("clerk-agri", STAFF_PASSWORD).await;
    let refused = other
        .get(app.url(&format!("/admin/attachments/{pdf_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status().as_u16(),
        404,
        "another department's file does not exist for them"
    );
}

#[tokio::test]
async fn files_that_are_not_jpeg_png_or_pdf_too_many_or_too_large_are_refused_with_nothing_stored()
{
    let app = spawn_app().await;
    let big = {
        let mut bytes = PNG.to_vec();
        bytes.resize(5 * 1024 * 1024 + 1, 0);
        bytes
    };
    let table: Vec<(&str, Vec<Upload>)> = vec![
        (
            "html named png",
            vec![(
                "x.png",
                b"<html><script>alert(1)</script>".to_vec(),
                "image/png",
            )],
        ),
        ("gif", vec![("x.gif", b"GIF89a....".to_vec(), "image/gif")]),
        (
            "exe declared as pdf",
            vec![("x.pdf", b"MZ\x90\x00".to_vec(), "application/pdf")],
        ),
        (
            "empty file with a name",
            vec![("empty.pdf", Vec::new(), "application/pdf")],
        ),
        (
            "six files",
            (0..6)
                .map(|_| ("p.png", PNG.to_vec(), "image/png"))
                .collect(),
        ),
        ("over 5 MiB", vec![("big.png", big, "image/png")]),
        (
            "one good one bad",
            vec![
                ("ok.pdf", PDF.to_vec(), "application/pdf"),
                ("bad.png", b"nope".to_vec(), "image/png"),
            ],
        ),
    ];
    for (case, files) in table {
        let response = file_with_files(&app, files).await;
        assert_eq!(response.status().as_u16(), 422, "{case}");
        let html = response.text().await.unwrap();
        assert_eq!(
            select_text(&html, "#attachments-error").len(),
            1,
            "{case}: the message beside the file field"
        );
        assert_eq!(app.stored_rows().await, [0; 5], "{case}: nothing stored");
        assert_eq!(app.count("attachments").await, 0, "{case}");
    }
    // Exactly five files of exactly 5 MiB each fit (26 MiB multipart limit).
    let max = {
        let mut bytes = PDF.to_vec();
        bytes.resize(5 * 1024 * 1024, b' ');
        bytes
    };
    let five: Vec<Upload> = (0..5)
        .map(|_| ("max.pdf", max.clone(), "application/pdf"))
        .collect();
    assert_eq!(file_with_files(&app, five).await.status().as_u16(), 303);
    assert_eq!(app.count("attachments").await, 5);
}

#[tokio::test]
async fn invisible_characters_never_reach_a_stored_name_or_the_download_header() {
    let app = spawn_app().await;
    let names = [
        "invoice\u{202E}gnp.png",
        "\u{202D}x\u{200B}y\u{FEFF}.png",
        "a\u{2066}b\u{2069}c\u{2028}.png",
        "\u{202E}\u{202E}.png",
    ];
    let uploads = names
        .iter()
        .map(|name| (*name, PNG.to_vec(), "image/png"))
        .collect();
    assert_eq!(file_with_files(&app, uploads).await.status().as_u16(), 303);
    let stored: Vec<(String, String)> = app
        .db
        .read(|conn| {
            Ok(attachments::table
                .order(attachments::file_name)
                .select((attachments::id, attachments::file_name))
                .load(conn)?)
        })
        .await
        .unwrap();
    let mut stored_names: Vec<&str> = stored.iter().map(|(_, n)| n.as_str()).collect();
    stored_names.sort();
    assert_eq!(
        stored_names,
        vec!["abc.png", "attachment.png", "invoicegnp.png", "xy.png"]
    );
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    for (id, name) in &stored {
        let download = clerk
            .get(app.url(&format!("/admin/attachments/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(download.status().as_u16(), 200, "{name}");
        let disposition =
            String::from_utf8_lossy(download.headers()["content-disposition"].as_bytes())
                .to_uppercase();
        for encoded in [
            "%E2%80%AE",
            "%E2%80%AD",
            "%E2%80%8B",
            "%EF%BB%BF",
            "%E2%81%A6",
            "%E2%80%A8",
        ] {
            assert!(!disposition.contains(encoded), "{name}: {disposition}");
        }
        assert!(!disposition.contains('\u{FFFD}'), "{disposition}");
    }
}

#[tokio::test]
async fn a_multipart_body_over_26_mib_is_413() {
    let app = spawn_app().await;
    let huge = vec![0u8; 27 * 1024 * 1024];
    let response = file_with_files(&app, vec![("huge.pdf", huge, "application/pdf")]).await;
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(app.stored_rows().await, [0; 5]);
}
