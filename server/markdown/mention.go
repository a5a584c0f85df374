package markdown

import (
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// maxHandle is the longest handle: one leading character and up to 30 more.
const maxHandle = 31

var kindMention = ast.NewNodeKind("Mention")

// mention is "@handle" in running text.
type mention struct {
	ast.BaseInline
	handle string
}

func (n *mention) Kind() ast.NodeKind { return kindMention }

func (n *mention) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Handle": n.handle}, nil)
}

// mentionParser finds mentions while goldmark parses inlines, so code spans, raw HTML
// and autolinks, which other parsers consume first, never hold one. Link text is
// parsed like any text; tidier turns mentions inside links back into text afterwards.
type mentionParser struct{}

func (mentionParser) Trigger() []byte { return []byte{'@'} }

func (mentionParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	// "name@example.org" is no mention. '_' does not count as a word character here,
	// because "_@alice_" is emphasis around a mention.
	if prev := block.PrecendingCharacter(); unicode.IsLetter(prev) || unicode.IsDigit(prev) {
		return nil
	}
	line, _ := block.PeekLine()
	n := handleLen(line[1:])
	if n == 0 {
		return nil
	}
	block.Advance(1 + n)
	return &mention{handle: string(line[1 : 1+n])}
}

// handleLen returns the length of the handle at the start of b, or 0 if b does not
// start with one. A handle is [a-z0-9][a-z0-9._-]{1,30}; it must not run on into
// more letters or digits ("@aliceB", or a 32nd character), and trailing dots end the
// sentence rather than the handle.
func handleLen(b []byte) int {
	i := 0
	for i < len(b) && i < maxHandle && isHandleByte(b[i], i == 0) {
		i++
	}
	if i < len(b) {
		r, _ := utf8.DecodeRune(b[i:])
		if isHandleByte(b[i], false) || unicode.IsLetter(r) || unicode.IsDigit(r) {
			return 0
		}
	}
	for i > 0 && b[i-1] == '.' {
		i--
	}
	if i < 2 {
		return 0
	}
	return i
}

func isHandleByte(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	case c == '.', c == '_', c == '-':
		return !first
	}
	return false
}
