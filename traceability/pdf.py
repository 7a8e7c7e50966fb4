"""PDFs with WeasyPrint: a template rendered from plain values, fetching nothing from outside."""

from __future__ import annotations

from flask import current_app, render_template
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


def render_pdf(template: str, **context) -> bytes:
    html = render_template(template, **context)
    static = current_app.static_folder
    return HTML(string=html, base_url=static + "/", url_fetcher=LocalFetcher(static)).write_pdf()
