package markdown

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// render renders src with prefix and fails the test if the result is not safe.
func render(t testing.TB, src, prefix string) string {
	t.Helper()
	out, err := Render([]byte(src), Options{IDPrefix: prefix})
	if err != nil {
		t.Fatalf("Render(%q): %v", src, err)
	}
	if err := checkSafe(string(out), prefix); err != nil {
		t.Fatalf("Render(%q) is unsafe: %v\n%s", src, err, out)
	}
	return string(out)
}

// The checker parses the output as a browser would and holds it to the allow-list,
// independently of the sanitizer's own policy.

// allowed lists each element the renderer may emit and, for each attribute, the
// pattern its whole value must match.
var allowed = map[string]map[string]*regexp.Regexp{
	"p": nil, "br": nil, "hr": nil, "blockquote": nil, "pre": nil,
	"h1": nil, "h2": nil, "h3": nil, "h4": nil, "h5": nil, "h6": nil,
	"em": nil, "strong": nil, "del": nil, "ul": nil, "li": {"id": nil}, "sup": {"id": nil},
	"table": nil, "thead": nil, "tbody": nil, "tr": nil,
	"ol":   {"start": regexp.MustCompile(`^[0-9]+$`)},
	"th":   {"align": regexp.MustCompile(`^(left|center|right)$`)},
	"td":   {"align": regexp.MustCompile(`^(left|center|right)$`)},
	"code": {"class": regexp.MustCompile(`^language-[a-z0-9+-]+$`)},
	"span": {"class": regexp.MustCompile(`^mention$`)},
	"div":  {"class": regexp.MustCompile(`^footnotes$`), "role": regexp.MustCompile(`^doc-endnotes$`)},
	"a": {
		"href":  nil, // checked on its own
		"rel":   regexp.MustCompile(`^nofollow noopener noreferrer$`),
		"class": regexp.MustCompile(`^footnote-(ref|backref)$`),
		"role":  regexp.MustCompile(`^doc-(noteref|backlink)$`),
	},
}

// forbidden is checked on its own, so that a mistake in allowed cannot let these in.
var forbidden = []string{
	"img", "script", "iframe", "object", "embed", "svg", "math", "form", "input",
	"style", "link", "meta", "base", "frame", "frameset", "textarea", "button", "noscript",
}

// checkSafe reports why out, the output of Render with prefix, is not safe to show.
//   - It must be valid UTF-8 and parse as HTML (which also bounds its depth to 512).
//   - Only the elements and attributes in allowed, with values that match.
//   - No attribute whose name starts with "on", no style, no src.
//   - Every href is absolute http(s) with a host, or mailto; such a link has
//     rel="nofollow noopener noreferrer". The only other href is a footnote's link to an
//     id on the same page, which must exist in out and carry prefix.
func checkSafe(out, prefix string) error {
	if !utf8.ValidString(out) {
		return errors.New("output is not valid UTF-8")
	}
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(out), body)
	if err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	idPattern := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `fn(ref[0-9]*)?:[0-9]+$`)
	ids := map[string]bool{}
	var fragments []string
	var check func(n *html.Node) error
	check = func(n *html.Node) error {
		if n.Type == html.ElementNode {
			if slices.Contains(forbidden, n.Data) {
				return fmt.Errorf("forbidden element <%s>", n.Data)
			}
			attrs, ok := allowed[n.Data]
			if !ok {
				return fmt.Errorf("element <%s> not allowed", n.Data)
			}
			var href, relValue string
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case a.Namespace != "":
					return fmt.Errorf("namespaced attribute %s:%s", a.Namespace, a.Key)
				case strings.HasPrefix(key, "on"):
					return fmt.Errorf("event handler %s on <%s>", a.Key, n.Data)
				case key == "style", key == "src", key == "srcset":
					return fmt.Errorf("attribute %s on <%s>", a.Key, n.Data)
				}
				pattern, ok := attrs[key]
				if !ok {
					return fmt.Errorf("attribute %s on <%s> not allowed", a.Key, n.Data)
				}
				if key == "id" {
					pattern = idPattern
					ids[a.Val] = true
				}
				if pattern != nil && !pattern.MatchString(a.Val) {
					return fmt.Errorf("%s=%q on <%s> not allowed", a.Key, a.Val, n.Data)
				}
				switch key {
				case "href":
					href = a.Val
				case "rel":
					relValue = a.Val
				}
			}
			if n.Data == "a" {
				if frag, ok := strings.CutPrefix(href, "#"); ok {
					if !idPattern.MatchString(frag) {
						return fmt.Errorf("fragment link %q", href)
					}
					fragments = append(fragments, frag)
				} else if err := checkHref(href, relValue); err != nil {
					return err
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if err := check(c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range nodes {
		if err := check(n); err != nil {
			return err
		}
	}
	for _, f := range fragments {
		if !ids[f] {
			return fmt.Errorf("link to missing id %q", f)
		}
	}
	return nil
}

func checkHref(href, relValue string) error {
	u, err := url.Parse(href)
	if err != nil {
		return fmt.Errorf("href %q: %w", href, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" || u.User != nil {
			return fmt.Errorf("href %q: no host, or a user name", href)
		}
	case "mailto":
	default:
		return fmt.Errorf("href %q: scheme %q", href, u.Scheme)
	}
	if relValue != "nofollow noopener noreferrer" {
		return fmt.Errorf("href %q: rel=%q", href, relValue)
	}
	return nil
}

func TestRenderFeatures(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"table with alignment", "| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |", []string{
			"<table>", "<thead>", `<th align="left">a</th>`, `<th align="center">b</th>`,
			`<tbody>`, `<td align="right">3</td>`,
		}},
		{"strikethrough", "~~gone~~ and ~also~", []string{"<del>gone</del>", "<del>also</del>"}},
		{"autolinks", "see https://example.org/a?b=c, www.example.com, <https://example.net> and help@example.org", []string{
			`<a href="https://example.org/a?b=c" rel="nofollow noopener noreferrer">https://example.org/a?b=c</a>`,
			`<a href="http://www.example.com" rel="nofollow noopener noreferrer">www.example.com</a>`,
			`<a href="https://example.net" rel="nofollow noopener noreferrer">https://example.net</a>`,
			`<a href="mailto:help@example.org" rel="nofollow noopener noreferrer">help@example.org</a>`,
		}},
		{"inline and reference links", "[one](https://example.org/1) [two][r] [MAIL](mailto:a@example.org)\n\n[r]: HTTPS://example.org/2", []string{
			`<a href="https://example.org/1" rel="nofollow noopener noreferrer">one</a>`,
			`<a href="https://example.org/2" rel="nofollow noopener noreferrer">two</a>`,
			`<a href="mailto:a@example.org" rel="nofollow noopener noreferrer">MAIL</a>`,
		}},
		{"footnotes", "Claim[^src].\n\n[^src]: A source.", []string{
			`<sup id="p7-fnref:1"><a href="#p7-fn:1" class="footnote-ref" role="doc-noteref">1</a></sup>`,
			`<div class="footnotes" role="doc-endnotes">`, `<li id="p7-fn:1">`,
			`<a href="#p7-fnref:1" class="footnote-backref" role="doc-backlink">`,
		}},
		{"mentions", "Thanks @alice and @bob.smith!", []string{
			`<span class="mention">@alice</span>`, `<span class="mention">@bob.smith</span>!`,
		}},
		{"fenced code with language", "```Go\nfmt.Println(\"<hi>\")\n```", []string{
			`<pre><code class="language-go">fmt.Println(&#34;&lt;hi&gt;&#34;)` + "\n</code></pre>",
		}},
		{"fenced code without a plain language", "```c#\nx\n```", []string{"<pre><code>x\n</code></pre>"}},
		{"indented code", "    <b>x</b>", []string{"<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>"}},
		{"blocks", "# H1\n###### H6\n\n> quote\n\n---\n\n3. three\n4. four\n\n- a\n- b\n\nline  \nbreak *em* **strong** `code`", []string{
			"<h1>H1</h1>", "<h6>H6</h6>", "<blockquote>\n<p>quote</p>\n</blockquote>", "<hr>",
			`<ol start="3">`, "<ul>\n<li>a</li>", "line<br>", "<em>em</em>", "<strong>strong</strong>", "<code>code</code>",
		}},
		{"image as link", "![a chart](https://example.org/c.png) ![](https://example.org/d.png)", []string{
			`<a href="https://example.org/c.png" rel="nofollow noopener noreferrer">a chart</a>`,
			`<a href="https://example.org/d.png" rel="nofollow noopener noreferrer">https://example.org/d.png</a>`,
		}},
		{"raw HTML shown as typed", "a <b>bold</b> move\n\n<div>\nblock\n</div>", []string{
			"a &lt;b&gt;bold&lt;/b&gt; move", "<p>&lt;div&gt;<br>\nblock<br>\n&lt;/div&gt;</p>",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, tt.src, "p7-")
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in\n%s", w, out)
				}
			}
		})
	}
}

// TestFootnoteIDsDoNotCollide renders one post twice, as two posts on one page would be.
func TestFootnoteIDsDoNotCollide(t *testing.T) {
	src := "One[^a] two[^b] one again[^a].\n\n[^a]: A.\n[^b]: B."
	idOf := regexp.MustCompile(`id="([^"]*)"`)
	ids := func(prefix string) []string {
		var ids []string
		for _, m := range idOf.FindAllStringSubmatch(render(t, src, prefix), -1) {
			ids = append(ids, m[1])
		}
		return ids
	}
	first, second := ids("p1-"), ids("p2-")
	if len(first) != 5 { // three references, two notes
		t.Fatalf("ids = %q, want 5", first)
	}
	for _, id := range first {
		if slices.Contains(second, id) {
			t.Errorf("id %q in both posts", id)
		}
	}
}

func TestRenderRefusesBadPrefix(t *testing.T) {
	for _, p := range []string{`"`, "a b", "p1-\"><script>", "é", strings.Repeat("a", 65)} {
		if _, err := Render([]byte("x[^1]\n\n[^1]: y"), Options{IDPrefix: p}); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

// hostile is the corpus of attacks and oddities. Each entry must render safely (see
// checkSafe); want and not pin down how some of them are defused.
var hostile = []struct {
	name, src string
	want, not []string
}{
	{name: "script block", src: "<script>alert(1)</script>", want: []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}},
	{name: "script inline", src: "hi <script>alert(1)</script> there", want: []string{"hi &lt;script&gt;"}},
	{name: "img onerror", src: `<img src=x onerror=alert(1)>`, want: []string{"&lt;img src=x onerror=alert(1)&gt;"}},
	{name: "svg onload", src: `<svg onload=alert(1)><circle/></svg>`},
	{name: "svg inline", src: `text <svg><script>alert(1)</script></svg>`},
	{name: "iframe", src: `<iframe src="javascript:alert(1)"></iframe>`},
	{name: "style block", src: "<style>body{display:none}</style>\n\ntext"},
	{name: "style inline", src: `a <style>*{color:red}</style> b`},
	{name: "onclick on link", src: `<a href="https://example.org" onclick="alert(1)">x</a>`},
	{name: "onmouseover block", src: "<div onmouseover=\"alert(1)\">\nhover\n</div>"},
	{name: "ONCLICK upper case", src: `<b ONCLICK=alert(1)>x</b>`},
	{name: "onclick after slash", src: `<b/onclick=alert(1)>x</b>`},
	{name: "onclick across lines", src: "<b\nonclick\n=\nalert(1)>x</b>"},
	{name: "onfocus autofocus", src: `<input autofocus onfocus=alert(1)>`},
	{name: "details ontoggle", src: `<details open ontoggle=alert(1)>`},
	{name: "form and input", src: `<form action="https://evil.example"><input name=p><button>go</button></form>`},
	{name: "math", src: `<math><mi xlink:href="javascript:alert(1)">x</mi></math>`},
	{name: "object and embed", src: `<object data="x.swf"></object><embed src="x.swf">`},
	{name: "base link meta", src: "<base href=\"https://evil.example/\">\n<link rel=stylesheet href=x>\n<meta http-equiv=refresh content=\"0;url=https://evil.example\">"},
	{name: "noscript mXSS", src: `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`},
	{name: "textarea", src: `<textarea><script>alert(1)</script></textarea>`},
	{name: "raw html javascript href", src: `<a href="&#x6A;avascript:alert(1)">x</a>`},
	{name: "javascript link", src: "[x](javascript:alert(1))", want: []string{"<p>x</p>"}},
	{name: "mixed case scheme", src: "[x](JaVaScRiPt:alert(1))", want: []string{"<p>x</p>"}},
	{name: "tab entity in scheme", src: "[x](java&#x09;script:alert(1))", want: []string{"<p>x</p>"}},
	{name: "decimal tab entity", src: "[x](java&#9;script:alert(1))", want: []string{"<p>x</p>"}},
	{name: "entity first letter", src: "[x](&#106;avascript:alert(1))", want: []string{"<p>x</p>"}},
	{name: "all entities", src: "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))", want: []string{"<p>x</p>"}},
	{name: "named entity colon", src: "[x](javascript&colon;alert(1))", want: []string{"<p>x</p>"}},
	{name: "percent encoded", src: "[x](%6Aavascript:alert(1))", want: []string{"<p>x</p>"}},
	{name: "leading space", src: "[x]( javascript:alert(1))", want: []string{"<p>x</p>"}},
	{name: "leading entity space", src: "[x](&#32;javascript:alert(1))", want: []string{"<p>x</p>"}},
	{name: "angle destination", src: "[x](<javascript:alert(1)>)", want: []string{"<p>x</p>"}},
	{name: "backslash", src: `[x](\javascript:alert(1))`, not: []string{"<a"}},
	{name: "data link", src: "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", want: []string{"<p>x</p>"}},
	{name: "vbscript link", src: "[x](vbscript:msgbox(1))", want: []string{"<p>x</p>"}},
	{name: "file link", src: "[x](file:///etc/passwd)", want: []string{"<p>x</p>"}},
	{name: "relative link", src: "[x](/account/delete)", want: []string{"<p>x</p>"}},
	{name: "protocol-relative link", src: "[x](//evil.example/)", want: []string{"<p>x</p>"}},
	{name: "fragment link", src: "[x](#p1-fn:1)", want: []string{"<p>x</p>"}},
	{name: "user name in URL", src: "[bank](https://bank.example@evil.example/)", want: []string{"<p>bank</p>"}},
	{name: "https without host", src: "[x](https:evil.example)", want: []string{"<p>x</p>"}},
	{name: "reference link", src: "[x][r]\n\n[r]: javascript:alert(1)", want: []string{"<p>x</p>"}},
	{name: "shortcut reference", src: "[r]\n\n[r]: data:text/html,<script>alert(1)</script>", want: []string{"<p>r</p>"}},
	{name: "autolink javascript", src: "<javascript:alert(1)>", want: []string{"<p>javascript:alert(1)</p>"}},
	{name: "autolink upper case", src: "<JAVASCRIPT:alert(1)>", not: []string{"<a"}},
	{name: "autolink data", src: "<data:text/html,alert(1)>", not: []string{"<a"}},
	{name: "autolink with quote", src: `<https://example.org/" onmouseover="alert(1)>`},
	{name: "linkify with quote", src: `https://example.org/"onmouseover="alert(1)`},
	{name: "linkify ftp", src: "ftp://example.org/file", not: []string{"<a"}},
	{name: "linkify with tag", src: "www.example.org/<script>alert(1)</script>"},
	{name: "destination breaking out", src: `[x](https://example.org/"><script>alert(1)</script>)`},
	{name: "title with quotes", src: `[x](https://example.org "a\" onmouseover=\"alert(1)")`, not: []string{"title", "onmouseover"}},
	{name: "title with single quotes", src: `[x](https://example.org 'a" onclick="b')`, not: []string{"title", "onclick"}},
	{name: "mailto with markup", src: "[x](mailto:a@example.org?subject=<script>)"},
	{name: "image javascript", src: "![x](javascript:alert(1))", want: []string{"<p>x</p>"}},
	{name: "image svg data", src: "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", want: []string{"<p>x</p>"}},
	{name: "image alt with quotes", src: `![x" onerror="alert(1)](https://example.org/a.png)`},
	{name: "image title", src: `![x](https://example.org/a.png "t\" onload=\"alert(1)")`, not: []string{"title", "onload"}},
	{name: "image in link", src: "[![logo](https://example.org/i.png)](https://example.org/)", want: []string{
		`<a href="https://example.org/" rel="nofollow noopener noreferrer">logo</a>`,
	}},
	{name: "link in image", src: "![a [b](https://example.org/b) c](https://example.org/i.png)"},
	{name: "autolink in link", src: "[see <https://example.org/a>](https://example.org/b)"},
	{name: "nested link madness", src: "***[*[_x_](javascript:1)*](https://example.org)***[[[x](y)](z)](https://example.org)"},
	{name: "emphasis pile", src: strings.Repeat("*_~", 3000) + "x" + strings.Repeat("~_*", 3000)},
	{name: "html comment", src: "<!-- <script>alert(1)</script> -->", want: []string{"&lt;!--"}},
	{name: "inline comment", src: "a <!-- <img src=x onerror=alert(1)> --> b"},
	{name: "cdata", src: "<![CDATA[<script>alert(1)</script>]]>"},
	{name: "processing instruction", src: "<?php echo 1; ?>"},
	{name: "unclosed tag", src: `<a href="javascript:alert(1)"`},
	{name: "unclosed script", src: "<script>\nalert(1)"},
	{name: "fenced html", src: "```html\n<script>alert(1)</script>\n```", want: []string{
		`<pre><code class="language-html">&lt;script&gt;alert(1)&lt;/script&gt;`,
	}},
	{name: "fence info with quotes", src: "```\" onclick=\"alert(1)\n<b>\n```", not: []string{"onclick=\""}},
	{name: "escaped tags", src: `\<script>alert(1)\</script>`},
	{name: "table with html", src: "| <script> | b |\n|-|-|\n| <img src=x onerror=alert(1)> | c |"},
	{name: "attribute syntax", src: "# Title {#x onclick=alert(1)}\n\n[x](https://example.org){onclick=alert(1)}", not: []string{` id="x"`}},
	{name: "long line", src: strings.Repeat("<b>a ", 13000)},
	{name: "long word", src: "https://example.org/" + strings.Repeat("a", 70000)},
	{name: "invalid utf-8", src: "\xff\xfe<script>\xc3(alert(1))[x](https://example.org/\xff)"},
	{name: "NUL bytes", src: "a\x00<scr\x00ipt>alert(1)</script>\x00[x](java\x00script:alert(1))", not: []string{"\x00"}},
	{name: "CR line endings", src: "a\r\r<script>\r\nalert(1)\r</script>", not: []string{"\r"}},
	{name: "bidi override", src: "\u202Etxt.exe\u202C [x](https://example.org/\u202Egnp.exe)"},
	{name: "footnote label markup", src: "x[^\"><script>]\n\n[^\"><script>]: note <b>"},
	{name: "footnote label quote", src: "x[^a'b\"c]\n\n[^a'b\"c]: note"},
	{name: "footnote in link", src: "[see[^1]](https://example.org)\n\n[^1]: note"},
	{name: "footnote in image", src: "![see[^1]](https://example.org/a.png)\n\n[^1]: note"},
	{name: "footnote too deep", src: strings.Repeat("> ", 40) + "x[^1] y[^1]\n\n[^1]: note"},
	{name: "mention in link text", src: "[@alice](https://example.org)", not: []string{"mention"}},
	{name: "mention in image", src: "![@alice](https://example.org/a.png)", not: []string{"mention"}},
	{name: "deep quotes", src: strings.Repeat(">", 10000) + " deep"},
	{name: "medium deep quotes", src: strings.Repeat("> ", 400) + "deep"},
	{name: "deep lists", src: strings.Repeat("- ", 10000) + "deep"},
	{name: "deep emphasis", src: strings.Repeat("*", 10000) + "x" + strings.Repeat("*", 10000)},
	{name: "many brackets", src: strings.Repeat("[", 10000)},
	{name: "many link openers", src: strings.Repeat("[x](", 10000)},
}

func TestHostileCorpus(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, tt.src, "p1-")
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in\n%s", w, out)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("found %q in\n%s", n, out)
				}
			}
		})
	}
}

func TestMentions(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"@alice", []string{"alice"}},
		{"hi @bob, @alice and @bob again", []string{"bob", "alice"}},
		{"end of sentence @carol.", []string{"carol"}},
		{"@dot.ted.name and @under_score and @dash-ed", []string{"dot.ted.name", "under_score", "dash-ed"}},
		{"(@paren) *@em* **@strong** x > @gt", []string{"paren", "em", "strong", "gt"}},
		{"_@under_ takes the underscore: handles may end in one", []string{"under_"}},
		{"> @quoted\n\n- @listed\n\n| @cell |\n|-|\n| @row |", []string{"quoted", "listed", "cell", "row"}},
		{"mail@example.org x@yy éé@zz 1@aa", nil},
		{"@a is too short, @" + strings.Repeat("b", 31) + " is long enough", []string{strings.Repeat("b", 31)}},
		{"@" + strings.Repeat("c", 32) + " is too long", nil},
		{"@Alice @aliceB @alice_ @-x @.x @_x", []string{"alice_"}},
		{"`@code` and\n\n    @indented\n\n```\n@fenced\n```", nil},
		{"[@linked](https://example.org) ![@alt](https://example.org/a.png) <https://example.org/@path>", nil},
		{`\@escaped &#64;entity`, nil},
		{`<span title="@inhtml">`, nil},
		{"footnote[^1]\n\n[^1]: by @noter", []string{"noter"}},
	}
	for _, tt := range tests {
		if got := Mentions([]byte(tt.src)); !slices.Equal(got, tt.want) {
			t.Errorf("Mentions(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

// TestMentionsMatchRender checks that Mentions names exactly the mentions shown.
func TestMentionsMatchRender(t *testing.T) {
	src := "@one [@two](https://example.org) `@three` @four @one " + strings.Repeat(">", 40) + " @deep"
	out := render(t, src, "")
	var shown []string
	for _, m := range regexp.MustCompile(`<span class="mention">@([^<]+)</span>`).FindAllStringSubmatch(out, -1) {
		if !slices.Contains(shown, m[1]) {
			shown = append(shown, m[1])
		}
	}
	if got := Mentions([]byte(src)); !slices.Equal(got, shown) {
		t.Errorf("Mentions = %q, rendered %q", got, shown)
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		src  string
		n    int
		want string
	}{
		{"# Title\n\nSome *emphasis* and **strong** `code` [link](https://example.org).", 100, "Title Some emphasis and strong code link."},
		{"a &amp; b \\* c &lt;d&gt;", 100, "a & b * c <d>"},
		{"<b>raw</b> stays as typed", 100, "<b>raw</b> stays as typed"},
		{"hi @alice, see[^1]\n\n[^1]: a note", 100, "hi @alice, see"},
		{"| a | b |\n|-|-|\n| 1 | 2 |", 100, "a b 1 2"},
		{"see https://example.org, <mail@example.org> and ![the chart](https://example.org/c.png)", 100, "see https://example.org, mail@example.org and the chart"},
		{"one two three four", 9, "one two…"},
		{"ééééé", 3, "éé…"},
		{"short", 5, "short"},
		{"anything", 0, ""},
		{"\xff\x00bad", 10, "\uFFFDbad"},
	}
	for _, tt := range tests {
		if got := Excerpt([]byte(tt.src), tt.n); got != tt.want {
			t.Errorf("Excerpt(%q, %d) = %q, want %q", tt.src, tt.n, got, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	got := Quote("alice", []byte("First line\r\nsecond line\n\n> earlier quote\n"))
	want := "> @alice:\n> First line\n> second line\n>\n> > earlier quote\n\n"
	if got != want {
		t.Fatalf("Quote = %q, want %q", got, want)
	}
	// The reply typed after the quote must not become part of it.
	out := render(t, got+"My reply", "")
	if !strings.HasSuffix(out, "</blockquote>\n<p>My reply</p>\n") {
		t.Errorf("reply joined the quote:\n%s", out)
	}
	if m := Mentions([]byte(got)); !slices.Equal(m, []string{"alice"}) {
		t.Errorf("Mentions(quote) = %q, want [alice]", m)
	}
	if got := Quote("bad\nname", nil); got != "> @bad name:\n>\n\n" {
		t.Errorf("Quote with line break in author = %q", got)
	}
}

// TestRenderConcurrently renders from several goroutines at once, each with its own
// prefix; run it with -race. A prefix leaking between documents would show here.
func TestRenderConcurrently(t *testing.T) {
	src := "Post by @alice[^1] with [a link](https://example.org).\n\n[^1]: A note."
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			prefix := fmt.Sprintf("g%d-", g)
			for range 200 {
				out, err := Render([]byte(src), Options{IDPrefix: prefix})
				if err != nil {
					t.Error(err)
					return
				}
				if err := checkSafe(string(out), prefix); err != nil {
					t.Errorf("goroutine %d: %v\n%s", g, err, out)
					return
				}
				if n := strings.Count(string(out), `id="`+prefix); n != 2 {
					t.Errorf("goroutine %d: %d ids with its prefix\n%s", g, n, out)
					return
				}
			}
		})
	}
	wg.Wait()
}

// pathological are 64 KiB inputs that make some Markdown parsers slow or crash them.
// Many come from the reports against cmark, commonmark.js, md4c, markdown-it and
// pulldown-cmark; the rest were found slow in goldmark here (see tooComplex).
func pathological() map[string]string {
	const size = 64 << 10
	rep := func(s string) string { return strings.Repeat(s, size/len(s)) }
	cases := map[string]string{}
	for _, s := range []string{
		">", "> ", ">\t", "> - ", "- > ", "1) ", "1. > ", "- ", "* ", "  - ", "[^a]: ",
		"[", "]", "[a", "[x](", "[](", "![](", "![a](", "[a](<b", "[x](<", "[]( \"", "[ (](", "]([\n",
		"*", "*a", "**a ", "a***", "*_", "_", "~", "~~a", "[*", "*[",
		"`", "`a", "\\``", "``", "<", "<>", "<a ", "a <![CDATA[", "a <?", "a <!A", "<!--",
		"\\", "&#x", "&amp", "#", "a\n=\n", "```\n", "<div>\n", "|a", "| a |\n|-|\n",
		"@aa ", "@aa@", "www.", "https://a.b ", "a@", "[a]: b\n", "[x]\n", "[^x]\n",
	} {
		cases[fmt.Sprintf("%q", s)] = rep(s)
	}
	cases["deep then lazy lines"] = strings.Repeat(">", size/2) + strings.Repeat("x\n", size/4)
	cases["one long line"] = rep("hotline analysts review reports ")
	cases["wide table"] = "|" + rep("a|")[:size/2] + "\n|" + rep("-|")[:size/2] + "\n"
	cases["nested by indent"] = func() string {
		var b strings.Builder
		for i := 0; b.Len() < size; i++ {
			b.WriteString(strings.Repeat(" ", 2*(i%300)) + "- x\n")
		}
		return b.String()
	}()
	return cases
}

// TestPathologicalInput renders each pathological input safely. Its time limit catches
// only blow-ups: the race detector and a busy machine each slow a run several times
// over. BenchmarkRender has the real numbers: tens of milliseconds at most.
func TestPathologicalInput(t *testing.T) {
	for name, src := range pathological() {
		start := time.Now()
		render(t, src, "p1-")
		Mentions([]byte(src))
		Excerpt([]byte(src), 200)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: %v", name, d)
		}
	}
}

// TestRealPostsAreNotTooComplex guards the other side of tooComplex: a long, ordinary
// post is parsed as Markdown, not shown as plain text.
func TestRealPostsAreNotTooComplex(t *testing.T) {
	var b strings.Builder
	for b.Len() < 60<<10 {
		b.WriteString(samplePost)
		b.WriteString("\n\n")
	}
	long := strings.Repeat("A sentence with a [link](https://example.org/page) and `code`. ", 250)
	for _, src := range []string{b.String(), long, strings.Repeat("> ", 30) + "quoted"} {
		if tooComplex([]byte(src)) {
			t.Errorf("too complex: %.80q…", src)
		}
	}
}

const samplePost = "## Reporting a case\n\n" +
	"Thanks @alice, this matches what we see[^1]. The **short** version:\n\n" +
	"1. Preserve the evidence; do *not* forward it.\n" +
	"2. Report to the hotline: https://example.org/report\n" +
	"3. Tell the family, see [the guide](https://example.org/guide \"Guide\").\n\n" +
	"> @bob:\n> We had ~~two~~ three reports last week.\n\n" +
	"| Country | Hotline | Hours |\n|:--|:--|--:|\n| BR | [SaferNet](https://example.org/br) | 24 |\n\n" +
	"```text\nheaders: X-Original-To <redacted>\n```\n\n" +
	"[^1]: Annual report, p. 12.\n"

func BenchmarkRender(b *testing.B) {
	all := pathological()
	inputs := map[string]string{"post": samplePost}
	for _, name := range []string{"one long line", "nested by indent"} {
		inputs[name] = all[name]
	}
	for _, s := range []string{">", "[x](", "\\``", "*_", "["} {
		name := fmt.Sprintf("%q", s)
		inputs[name] = all[name]
	}
	for name, src := range inputs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := Render([]byte(src), Options{IDPrefix: "p1-"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var handle = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,30}$`)

func FuzzRender(f *testing.F) {
	for _, tt := range hostile {
		if len(tt.src) < 1<<10 { // long seeds only slow the fuzzer down
			f.Add(tt.src)
		}
	}
	f.Add(samplePost)
	f.Fuzz(func(t *testing.T, src string) {
		out, err := Render([]byte(src), Options{IDPrefix: "f-"})
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSafe(string(out), "f-"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		seen := map[string]bool{}
		for _, m := range Mentions([]byte(src)) {
			if !handle.MatchString(m) || seen[m] {
				t.Fatalf("bad or repeated mention %q", m)
			}
			seen[m] = true
		}
		if e := Excerpt([]byte(src), 50); !utf8.ValidString(e) || utf8.RuneCountInString(e) > 50 {
			t.Fatalf("bad excerpt %q", e)
		}
		quoted, err := Render([]byte(Quote("alice", []byte(src))), Options{IDPrefix: "f-"})
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSafe(string(quoted), "f-"); err != nil {
			t.Fatalf("quote: %v\n%s", err, quoted)
		}
	})
}
