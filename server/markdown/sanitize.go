package markdown

import (
	"regexp"

	"github.com/microcosm-cc/bluemonday"
)

// footnoteID matches the ids goldmark gives footnotes and their references, after the
// post's prefix: fn:1, fnref:1, and fnref2:1 for a second reference to the same note.
const footnoteID = `[A-Za-z0-9_-]*fn(?:ref[0-9]*)?:[0-9]+`

// policy is the second line of defence: it lets through exactly what the renderer emits
// for the enabled features and nothing else. If goldmark or this package ever emitted
// something unexpected, it would be dropped here rather than reach a browser.
//
// We use bluemonday rather than a home-made allow-list: it is what GoToSocial and Hugo's
// users rely on, it needs only golang.org/x/net (already ours) and two small CSS packages,
// and its go.mod asks for Go 1.19. No attribute it allows can carry CSS or script.
var policy = newPolicy()

func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(
		"p", "br", "hr", "blockquote", "pre",
		"h1", "h2", "h3", "h4", "h5", "h6",
		"em", "strong", "del", "code", "sup", "span",
		"ul", "ol", "li", "div",
		"table", "thead", "tbody", "tr", "th", "td",
	)
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,9}$`)).OnElements("ol")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(?:left|center|right)$`)).OnElements("th", "td")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[a-z0-9+-]+$`)).OnElements("code")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^mention$`)).OnElements("span")

	// Links: absolute http(s) and mailto, or a footnote on the same page. Relative URLs
	// must be allowed for the footnote fragments; the href pattern keeps out all others.
	p.AllowAttrs("href").Matching(regexp.MustCompile(`^(?i:https?://|mailto:)|^#` + footnoteID + `$`)).OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.RequireParseableURLs(true)
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + rel + `$`)).OnElements("a")

	// Footnotes, as goldmark's footnote extension writes them.
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^`+footnoteID+`$`)).OnElements("sup", "li")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^footnote-(?:ref|backref)$`)).OnElements("a")
	p.AllowAttrs("role").Matching(regexp.MustCompile(`^doc-(?:noteref|backlink)$`)).OnElements("a")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^footnotes$`)).OnElements("div")
	p.AllowAttrs("role").Matching(regexp.MustCompile(`^doc-endnotes$`)).OnElements("div")
	return p
}
