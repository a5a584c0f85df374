package markdown

import (
	"bufio"
	"bytes"
	stdhtml "html"
	"net/url"
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// rel goes on every link that leaves the page: the forum vouches for no link (nofollow),
// and the linked site learns nothing about the reader or the page (noopener, noreferrer).
const rel = "nofollow noopener noreferrer"

// nodeRenderer replaces goldmark's HTML for the node kinds where the forum wants less.
// It holds no state, so the shared goldmark instance stays safe for concurrent use.
type nodeRenderer struct{}

func (r nodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindLink, r.link)
	reg.Register(ast.KindAutoLink, r.autoLink)
	reg.Register(ast.KindImage, r.image)
	reg.Register(ast.KindRawHTML, r.rawHTML)
	reg.Register(ast.KindHTMLBlock, r.htmlBlock)
	reg.Register(ast.KindFencedCodeBlock, r.fencedCode)
	reg.Register(kindMention, r.mention)
}

// link renders a link whose address is refused as its text alone. Titles are dropped:
// text that shows only on hover is text a moderator may not see.
func (nodeRenderer) link(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	href, ok := safeURL(node.(*ast.Link).Destination, true)
	if !ok {
		return ast.WalkContinue, nil
	}
	if entering {
		openA(w, href)
	} else {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

func (nodeRenderer) autoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.AutoLink)
	u := n.URL(source)
	if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(u), []byte("mailto:")) {
		u = append([]byte("mailto:"), u...)
	}
	// CommonMark resolves no entities in autolinks, hence false.
	href, ok := safeURL(u, false)
	if ok {
		openA(w, href)
	}
	_, _ = w.Write(util.EscapeHTML(n.Label(source)))
	if ok {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

// image renders ![description](address) as a plain link to the address with the
// description as its text (the address itself if there is none), and as the description
// alone if the address is refused or not http(s). No image is ever loaded; a link still
// shows moderators what was posted.
func (nodeRenderer) image(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	label := strings.TrimSpace(plainText(n, source))
	href, ok := safeURL(n.Destination, true)
	if ok && !strings.HasPrefix(strings.ToLower(href), "http") {
		ok = false // a mailto: image is no link to anything
	}
	if ok {
		if label == "" {
			label = href
		}
		openA(w, href)
	}
	_, _ = w.WriteString(stdhtml.EscapeString(label))
	if ok {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkSkipChildren, nil
}

func openA(w util.BufWriter, href string) {
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.WriteString(stdhtml.EscapeString(href))
	_, _ = w.WriteString(`" rel="` + rel + `">`)
}

// safeURL returns the address dest as it will appear in href, and whether the forum
// keeps it: only absolute http and https addresses with a host and no user name, and
// mailto. The scheme is read from the same string that is written out, after goldmark
// has resolved entities and backslash escapes and percent-encoded the rest, so tricks
// like "java&#x09;script:" or " javascript:" leave no scheme at all and are refused.
// Relative addresses are refused too: a post has no base it could be relative to.
func safeURL(dest []byte, resolveReferences bool) (string, bool) {
	href := string(util.URLEscape(dest, resolveReferences))
	u, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		// "https://bank.example@evil.example/" would show one host and open another.
		return href, u.Host != "" && u.User == nil
	case "mailto":
		return href, u.Opaque != ""
	}
	return "", false
}

// rawHTML shows inline HTML as the text the author typed.
func (nodeRenderer) rawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		segs := node.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			_, _ = w.Write(util.EscapeHTML(value(segs.At(i), source)))
		}
	}
	return ast.WalkSkipChildren, nil
}

// htmlBlock shows an HTML block as a paragraph of the text the author typed, line by line.
func (nodeRenderer) htmlBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	var lines [][]byte
	for i := range n.Lines().Len() {
		lines = append(lines, value(n.Lines().At(i), source))
	}
	if n.HasClosure() {
		lines = append(lines, n.ClosureLine.Value(source))
	}
	_, _ = w.WriteString("<p>")
	for i, l := range lines {
		if i > 0 {
			_, _ = w.WriteString("<br>\n")
		}
		_, _ = w.Write(util.EscapeHTML(bytes.TrimRight(l, "\n")))
	}
	_, _ = w.WriteString("</p>\n")
	return ast.WalkSkipChildren, nil
}

var language = regexp.MustCompile(`^[a-z0-9+-]{1,32}$`)

// fencedCode is goldmark's, except that the language class is lower-cased and kept only
// if it is a plain word, so that "```Go" still gets class="language-go".
func (nodeRenderer) fencedCode(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</code></pre>\n")
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	_, _ = w.WriteString("<pre><code")
	if lang := strings.ToLower(string(n.Language(source))); language.MatchString(lang) {
		_, _ = w.WriteString(` class="language-` + lang + `"`)
	}
	_ = w.WriteByte('>')
	for i := range n.Lines().Len() {
		gmhtml.DefaultWriter.RawWrite(w, value(n.Lines().At(i), source))
	}
	return ast.WalkContinue, nil
}

func (nodeRenderer) mention(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		// A handle holds only [a-z0-9._-], so it needs no escaping.
		_, _ = w.WriteString(`<span class="mention">@` + node.(*mention).handle + `</span>`)
	}
	return ast.WalkSkipChildren, nil
}

// plainText returns the text a reader sees in n, without markup and unescaped, with
// blocks separated by white space. Footnotes are left out.
func plainText(n ast.Node, source []byte) string {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	// Write through goldmark's own HTML writer, then unescape: that resolves backslash
	// escapes and entities exactly as the rendered post does.
	out := gmhtml.DefaultWriter
	writeLines := func(lines *text.Segments) {
		for i := range lines.Len() {
			out.RawWrite(w, value(lines.At(i), source))
		}
	}
	_ = ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			if n.Type() == ast.TypeBlock {
				_ = w.WriteByte('\n')
			}
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text:
			if n.IsRaw() {
				out.RawWrite(w, n.Value(source))
			} else {
				out.Write(w, n.Value(source))
			}
			if n.SoftLineBreak() || n.HardLineBreak() {
				_ = w.WriteByte('\n')
			}
		case *ast.String:
			if n.IsRaw() || n.IsCode() {
				out.RawWrite(w, n.Value)
			} else {
				out.Write(w, n.Value)
			}
		case *ast.AutoLink:
			out.RawWrite(w, n.Label(source))
		case *mention:
			_, _ = w.WriteString("@" + n.handle)
		case *ast.RawHTML:
			writeLines(n.Segments)
		case *ast.HTMLBlock:
			writeLines(n.Lines())
			if n.HasClosure() {
				out.RawWrite(w, n.ClosureLine.Value(source))
			}
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			writeLines(n.Lines())
		default:
			if isFootnote(n) {
				return ast.WalkSkipChildren, nil
			}
		}
		return ast.WalkContinue, nil
	})
	_ = w.Flush()
	return stdhtml.UnescapeString(buf.String())
}

func isFootnote(n ast.Node) bool {
	switch n.Kind() {
	case extast.KindFootnoteLink, extast.KindFootnoteBacklink, extast.KindFootnoteList:
		return true
	}
	return false
}

// value returns the bytes of seg; Segment.Value needs an addressable segment.
func value(seg text.Segment, source []byte) []byte {
	return seg.Value(source)
}
