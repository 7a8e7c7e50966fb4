"""PDFs with WeasyPrint: a template rendered from plain values, fetching nothing from outside.

Every PDF here is a Vietnamese paper (diary, recall report, OCOP dossier, labels): what the template
words at render time (notes, labels of codes, numbers) is in Vietnamese, whatever the reader's
language on the pages.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from weasyprint import HTML
from weasyprint.urls import URLFetcher


class LocalFetcher(URLFetcher):
    """Only inline data and our own static files; never the network, never the disk at large."""

    def __init__(self, static_folder: str):
        super().__init__(allowed_protocols={"data", "file"})
        self.static_prefix = "file://" + static_folder.rstrip("/") + "/"

    def fetch(self, url, headers=None):
        if url.startswith("file:") and (not url.startswith(self.static_prefix) or ".." in url):
            raise ValueError(f"refused to fetch {url}")
        return super().fetch(url, headers)


PDF_LANGUAGE = "vi"


def render_pdf(template: str, **context) -> bytes:
    with force_locale(PDF_LANGUAGE):
        html = render_template(template, **context)
    static = current_app.static_folder
    return HTML(string=html, base_url=static + "/", url_fetcher=LocalFetcher(static)).write_pdf()
