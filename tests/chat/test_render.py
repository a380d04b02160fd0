"""Rendering: the markdown subset and mentions work, and no hostile input survives sanitising."""

from __future__ import annotations

from html.parser import HTMLParser
from itertools import product
from urllib.parse import urlsplit

import pytest

from coaching.lib.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_PROTOCOLS,
    ALLOWED_TAGS,
    LINK_REL,
    render,
    sanitize,
)

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x=20 y=20>X</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">CLICK</math>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)">',
    '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<a href="https://ok.example" style="position:fixed;top:0">x</a>',
    '<a href="https://ok.example" target="_blank" rel="opener">x</a>',
    '<div onmouseover="alert(1)">hover</div>',
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel=stylesheet href="javascript:alert(1)">',
    "<style>@import 'javascript:alert(1)';</style>",
    '<base href="javascript:alert(1)//">',
    '<video><source onerror="alert(1)"></video>',
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    '<table background="javascript:alert(1)">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<![CDATA[<script>alert(1)</script>]]>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1)//<</script>",
    '<img """><script>alert(1)</script>">',
    "<img src=`x`onerror=alert(1)>",
    '<a href="\\x01javascript:alert(1)">x</a>',
    '<span class="mention" data-user="x" onclick="alert(1)">@x</span>',
    '<span style="background:url(javascript:alert(1))">x</span>',
    '<p title="</p><script>alert(1)</script>">x</p>',
    "<code onmouseover=alert(1)>x</code>",
    '<ol start="1" onclick="alert(1)"><li>x</li></ol>',
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<isindex type=image src=1 onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](vbscript:msgbox)",
    "[click](  javascript:alert(1)  )",
    "[click](javascript&#58;alert(1))",
    "[click](java\nscript:alert(1))",
    '[click](https://ok.example "title" onclick=alert(1))',
    "![img](javascript:alert(1))",
    "![img](https://evil.example/x.png)",
    "<javascript:alert(1)>",
    '<https://ok.example/"onmouseover="alert(1)>',
    'www.example.org/"><script>alert(1)</script>',
    "https://ok.example/?q=<script>alert(1)</script>",
    "ｊａｖａｓｃｒｉｐｔ:alert(1)",  # fullwidth confusables
    "[x](ｊａｖａｓｃｒｉｐｔ:alert(1))",
    "<scrіpt>alert(1)</scrіpt>",  # Cyrillic i
    "\u202e<script>alert(1)</script>",  # right-to-left override
    '<a href="https://ok.example\u200b">zero width</a>',
    "<unclosed <b>bold",
    "</p></li></ul></blockquote><script>alert(1)</script>",
    "<<<>>><<a>",
    "<a href=https://ok.example>unquoted</a>",
    "<a href='mailto:a@b.org?subject=<script>'>m</a>",
    "\0<script>alert(1)</script>",
    "@<script>alert(1)</script>",
    "@kofi<img src=x onerror=alert(1)>",
]
WRAPPERS = [
    "{}",
    "*{}*",
    "> {}",
    "- {}",
    "`{}`",
    "**a** {} **b**",
    "```\n{}\n```",
    "[{}](https://ok.example)",
]
HOSTILE = [wrapper.format(payload) for payload, wrapper in product(PAYLOADS, WRAPPERS)]


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
        allowed = ALLOWED_ATTRIBUTES.get(tag, [])
        for name, value in attrs:
            if name not in allowed:
                self.problems.append(f"attribute {name} on {tag}")
            if name == "href":
                scheme = urlsplit((value or "").strip()).scheme.lower()
                if scheme not in ALLOWED_PROTOCOLS:
                    self.problems.append(f"href scheme {scheme!r}")
            if name == "class" and value != "mention":
                self.problems.append(f"class {value}")
        if tag == "a" and dict(attrs).get("rel") != LINK_REL:
            self.problems.append("link without rel")


def problems_in(html: str) -> list[str]:
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.problems


def test_there_are_at_least_200_hostile_inputs():
    assert len(set(HOSTILE)) >= 200


@pytest.mark.parametrize("body", HOSTILE)
def test_no_hostile_input_survives_and_sanitising_again_changes_nothing(body):
    html = render(body, people=["kofi"]).html
    assert problems_in(html) == [], html
    assert sanitize(html) == html
    assert "<script" not in html.lower()


@pytest.mark.parametrize("html", PAYLOADS)
def test_sanitize_alone_keeps_only_the_allowlist(html):
    clean = sanitize(html)
    assert problems_in(clean) == [], clean
    assert sanitize(clean) == clean


def test_the_markdown_subset_renders():
    html = render("*em* **strong** `code`\n\n> quoted\n\n1. one\n2. two\n\n- a\n- b").html
    for fragment in [
        "<em>em</em>",
        "<strong>strong</strong>",
        "<code>code</code>",
        "<blockquote>",
        "<ol>",
        "<li>one</li>",
        "<ul>",
        "<li>a</li>",
    ]:
        assert fragment in html


def test_links_get_safe_rel_and_bare_urls_are_linked():
    html = render("see [docs](https://docs.example/a) and www.example.org or mail a@b.org").html
    assert f'<a href="https://docs.example/a" rel="{LINK_REL}">docs</a>' in html
    assert f'<a href="http://www.example.org" rel="{LINK_REL}">www.example.org</a>' in html
    assert f'<a href="mailto:a@b.org" rel="{LINK_REL}">a@b.org</a>' in html


def test_headings_images_and_raw_html_stay_text():
    html = render("# title\n\n![x](https://e.example/x.png) <b>b</b>").html
    assert "<h1>" not in html
    assert "<img" not in html
    assert "&lt;b&gt;" in html


def test_mentions_only_name_people_of_the_room():
    rendered = render("thanks @kofi and @grace, not @stranger or email@kofi.org", people=["kofi", "grace"])
    assert rendered.mentions == ("kofi", "grace")
    assert '<span class="mention" data-user="kofi">@kofi</span>' in rendered.html
    assert "@stranger" in rendered.html
    assert 'data-user="stranger"' not in rendered.html


def test_mentions_in_code_and_links_are_not_mentions():
    rendered = render("`@kofi` and [@kofi](https://x.example)", people=["kofi"])
    assert rendered.mentions == ()


def test_a_mention_with_a_dotted_username_and_trailing_punctuation():
    rendered = render("ask @lucia.coach.", people=["lucia.coach"])
    assert rendered.mentions == ("lucia.coach",)
    assert rendered.html.endswith("@lucia.coach</span>.</p>")
