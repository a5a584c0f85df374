package markdown

import (
	"bytes"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// workBudget bounds the estimated parse work of one post (see tooComplex). Real posts
// stay orders of magnitude below it; at the budget, goldmark needs some tens of
// milliseconds.
const workBudget = 32 << 20

// tooComplex reports whether goldmark would take quadratic time on src. goldmark
// v1.8.7 is linear on most input but not on four shapes, each found by measurement:
//
//   - many containers opened on one line (">>>>…", "- > - > …", "1) 1) …", "[^a]: [^a]: …"):
//     each one rescans the line from its start (text.reader.LineOffset);
//   - many "](" in one paragraph: each scans ahead for a link destination and title;
//   - many backtick runs in one paragraph: each scans ahead for its closing run;
//   - many brackets in a paragraph of many lines: each label is read through
//     text.blockReader.Value, which looks for its line from the paragraph's last one.
//
// 64 KiB shaped like this takes goldmark seconds, so such a post is shown as plain text
// instead. The estimate charges every occurrence the whole line or paragraph, so it
// overestimates and errs towards plain text; a long ordinary post stays far below it
// (TestRealPostsAreNotTooComplex).
func tooComplex(src []byte) bool {
	work := 0
	// In the current paragraph: openers that scan ahead, and its bytes; brackets, and
	// its lines.
	scans, size, brackets, lines := 0, 0, 0, 0
	for line := range bytes.Lines(src) {
		markers, width := containerPrefix(line)
		work += markers * width
		if len(bytes.TrimSpace(line)) == 0 {
			work += scans*size + brackets*lines
			scans, size, brackets, lines = 0, 0, 0, 0
			continue
		}
		scans += bytes.Count(line, []byte("](")) + backtickRuns(line)
		size += len(line)
		brackets += bytes.Count(line, []byte("[")) + bytes.Count(line, []byte("]"))
		lines++
		if work+scans*size+brackets*lines > workBudget {
			return true
		}
	}
	return false
}

// containerPrefix returns how many container markers open line (block quote '>', list
// bullets and numbers, footnote definitions) and how many bytes they take. It counts
// generously: "- - -" is a thematic break, not three lists, but counts as three.
func containerPrefix(line []byte) (markers, width int) {
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		rest := line[i:]
		switch {
		case len(rest) > 0 && rest[0] == '>':
			i++
		case len(rest) > 1 && bytes.IndexByte([]byte("-+*"), rest[0]) >= 0 && (rest[1] == ' ' || rest[1] == '\t'):
			i += 2
		case bytes.HasPrefix(rest, []byte("[^")):
			end := bytes.Index(rest, []byte("]:"))
			if end < 0 {
				return markers, i
			}
			i += end + 2
		default:
			d := 0
			for d < len(rest) && d < 9 && '0' <= rest[d] && rest[d] <= '9' {
				d++
			}
			if d == 0 || d+1 >= len(rest) || (rest[d] != '.' && rest[d] != ')') || (rest[d+1] != ' ' && rest[d+1] != '\t') {
				return markers, i
			}
			i += d + 2
		}
		markers++
	}
}

// backtickRuns counts the runs of '`' in line.
func backtickRuns(line []byte) int {
	n := 0
	for i := range line {
		if line[i] == '`' && (i == 0 || line[i-1] != '`') {
			n++
		}
	}
	return n
}

// plainDoc is the document of a post too complex to parse: its text as typed, one
// paragraph per block of lines, with the line breaks kept.
func plainDoc(src []byte) *ast.Document {
	doc := ast.NewDocument()
	var p *ast.Paragraph
	var last *ast.Text
	start := 0
	for line := range bytes.Lines(src) {
		seg := text.NewSegment(start, start+len(bytes.TrimRight(line, "\n")))
		start += len(line)
		if len(bytes.TrimSpace(line)) == 0 {
			p = nil
			continue
		}
		if p == nil {
			p = ast.NewParagraph()
			doc.AppendChild(doc, p)
		} else {
			last.SetHardLineBreak(true)
		}
		last = ast.NewRawTextSegment(seg)
		p.AppendChild(p, last)
	}
	return doc
}
