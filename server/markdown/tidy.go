package markdown

import (
	"strings"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// maxDepth bounds how deeply a post's document tree may nest. Real posts stay far below
// it (a quote of a quote of a quote is depth 4 or so), but 64 KiB of '>' is a tree 65,536
// levels deep: browsers stop nesting at a few hundred levels, and golang.org/x/net/html
// refuses more than 512. Anything deeper is shown as its plain text.
const maxDepth = 32

// tidier rewrites the parsed tree before it is rendered:
//   - whatever would put a link inside a link (an autolink, an image, which renders as a
//     link) and mentions inside links become plain text, so <a> never nests and link text
//     holds no mention;
//   - nodes deeper than maxDepth become plain text;
//   - a footnote's back link goes when its reference is no longer shown, so that no
//     link points at a missing id.
type tidier struct{}

func (tidier) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	var flat []ast.Node
	depth, links := 0, 0 // ancestors of the current node, and how many are links
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			depth--
			if isLink(n) {
				links--
			}
			return ast.WalkContinue, nil
		}
		d, inLink := depth, links > 0
		depth++
		if isLink(n) {
			links++
		}
		if (d > maxDepth && !isStructural(n)) || (inLink && (isLink(n) || n.Kind() == kindMention)) {
			flat = append(flat, n)
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	for _, n := range flat {
		s := ast.NewString([]byte(strings.Join(strings.Fields(plainText(n, reader.Source())), " ")))
		s.SetRaw(true) // already unescaped: the renderer must only escape it
		var with ast.Node = s
		if n.Type() == ast.TypeBlock {
			with = ast.NewParagraph()
			with.AppendChild(with, s)
		}
		n.Parent().ReplaceChild(n.Parent(), n, with)
	}
	pruneBacklinks(doc)
}

// pruneBacklinks removes the back links to footnote references that are not rendered:
// those made plain text above and those in image descriptions, which render as text.
func pruneBacklinks(doc *ast.Document) {
	type ref struct{ index, refIndex int }
	shown := map[ref]bool{}
	var backlinks []*extast.FootnoteBacklink
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Image:
			return ast.WalkSkipChildren, nil
		case *extast.FootnoteLink:
			shown[ref{n.Index, n.RefIndex}] = true
		case *extast.FootnoteBacklink:
			backlinks = append(backlinks, n)
		}
		return ast.WalkContinue, nil
	})
	for _, b := range backlinks {
		if !shown[ref{b.Index, b.RefIndex}] {
			b.Parent().RemoveChild(b.Parent(), b)
		}
	}
}

// isLink reports whether n renders as <a> (or would, were its address kept).
func isLink(n ast.Node) bool {
	switch n.Kind() {
	case ast.KindLink, ast.KindAutoLink, ast.KindImage:
		return true
	}
	return false
}

// isStructural reports whether n must stay where it is for its parent to make sense:
// an <li> outside a list or a cell outside a row would be worse than depth.
func isStructural(n ast.Node) bool {
	switch n.Kind() {
	case ast.KindListItem, extast.KindTableHeader, extast.KindTableRow, extast.KindTableCell, extast.KindFootnote:
		return true
	}
	return false
}
