// Package markdown turns forum posts written in Markdown into safe HTML.
//
// A post goes through three steps:
//
//  1. clean: invalid UTF-8 becomes U+FFFD, NUL bytes go, line endings become "\n".
//  2. goldmark: CommonMark with tables, strikethrough, linkify and footnotes. Raw HTML is
//     shown as escaped text, links keep only absolute http, https and mailto addresses,
//     images become links, and @handle becomes a mention (see render.go and mention.go).
//  3. bluemonday: a strict allow-list of exactly what step 2 emits (see sanitize.go), so a
//     mistake in step 2 or in goldmark cannot reach a reader's browser.
//
// The forum accepts no images of any kind: an image is never loaded, so no one is shown a
// picture they did not choose to open, and no post can track its readers with one.
//
// Sizes are not checked here; the caller limits the length of a post.
package markdown

import (
	"bytes"
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Options are the per-post settings of Render.
type Options struct {
	// IDPrefix starts every id attribute of the post, such as "p123-", so that the
	// footnotes of two posts on one page do not share ids. It may hold only ASCII
	// letters, digits, '-' and '_'.
	IDPrefix string
}

var validIDPrefix = regexp.MustCompile(`^[A-Za-z0-9_-]{0,64}$`)

// md is built once: goldmark parsers and renderers hold no per-document state, so one
// instance is safe for concurrent use. The per-post id prefix travels in the document's
// metadata instead (see footnotePrefix).
var md = goldmark.New(
	goldmark.WithExtensions(
		// The align attribute, not style, so that the sanitizer allows no CSS at all.
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough,
		// Linkify would otherwise also link ftp:// addresses, which we do not keep.
		extension.NewLinkify(extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"})),
		extension.NewFootnote(extension.WithFootnoteIDPrefixFunction(footnotePrefix)),
	),
	goldmark.WithParserOptions(
		parser.WithInlineParsers(util.Prioritized(mentionParser{}, 999)),
		parser.WithASTTransformers(util.Prioritized(tidier{}, 2000)),
	),
	// Priority 100 beats goldmark's own HTML renderer (1000) for the kinds we take over.
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(nodeRenderer{}, 100))),
)

// prefixKey is the document metadata key under which Render leaves Options.IDPrefix.
const prefixKey = "polis.idprefix"

// footnotePrefix gives goldmark the id prefix of the document that node belongs to.
func footnotePrefix(node ast.Node) []byte {
	if doc := node.OwnerDocument(); doc != nil {
		if p, ok := doc.Meta()[prefixKey].(string); ok {
			return []byte(p)
		}
	}
	return nil
}

// Render returns the post src as sanitized HTML, ready for a template.
func Render(src []byte, opt Options) (template.HTML, error) {
	if !validIDPrefix.MatchString(opt.IDPrefix) {
		return "", fmt.Errorf("markdown: invalid id prefix %q", opt.IDPrefix)
	}
	src = clean(src)
	doc := parse(src)
	doc.AddMeta(prefixKey, opt.IDPrefix)
	var buf bytes.Buffer
	if err := md.Renderer().Render(&buf, src, doc); err != nil {
		return "", fmt.Errorf("markdown: render: %w", err)
	}
	return template.HTML(policy.SanitizeBytes(buf.Bytes())), nil
}

// Mentions returns the handles mentioned in src, each once, in order of first
// appearance. It reads the same parse as Render, so it counts exactly the mentions that
// Render shows: none in code, link text or image descriptions.
func Mentions(src []byte) []string {
	src = clean(src)
	var handles []string
	seen := map[string]bool{}
	_ = ast.Walk(parse(src), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if m, ok := n.(*mention); ok && entering && !seen[m.handle] {
			seen[m.handle] = true
			handles = append(handles, m.handle)
		}
		return ast.WalkContinue, nil
	})
	return handles
}

// Excerpt returns at most n runes of the text of src without any markup, with runs of
// white space made single spaces, for notifications and search results. A cut text ends
// in "…". Footnotes are left out. The result is plain text: escape it for HTML.
func Excerpt(src []byte, n int) string {
	if n <= 0 {
		return ""
	}
	src = clean(src)
	s := strings.Join(strings.Fields(plainText(parse(src), src)), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	return strings.TrimRight(string(r), " ") + "…"
}

// Quote returns the Markdown that quotes post src by author in a reply. The first line
// names the author as a mention, without words, so it reads the same in every language.
func Quote(author string, src []byte) string {
	// A line break in author would end the attribution line early.
	author = strings.Join(strings.Fields(author), " ")
	var b strings.Builder
	b.WriteString("> @" + author + ":\n")
	body := strings.Trim(string(clean(src)), "\n")
	for line := range strings.SplitSeq(body, "\n") {
		if line == "" {
			b.WriteString(">\n")
			continue
		}
		b.WriteString("> " + line + "\n")
	}
	// The blank line ends the quote; without it the first line of the reply would be
	// read as a lazy continuation of the quoted paragraph.
	b.WriteString("\n")
	return b.String()
}

// clean prepares src for the parser: invalid UTF-8 becomes U+FFFD, NUL bytes are dropped
// and CRLF and lone CR become LF. It never changes the caller's slice.
func clean(src []byte) []byte {
	s := strings.ToValidUTF8(string(src), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return []byte(s)
}

// parse returns the document tree of src, or its plain text if goldmark would be slow.
func parse(src []byte) *ast.Document {
	if tooComplex(src) {
		return plainDoc(src)
	}
	// goldmark's parser always returns the *ast.Document it made.
	return md.Parser().Parse(text.NewReader(src)).(*ast.Document)
}
