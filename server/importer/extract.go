// Package importer adds documents from files to the best-practice
// knowledge base (`polis import`): Markdown, plain text, HTML and PDF.
// Each file becomes an entry of kind "document" in the database, the
// knowledge base's source of truth, which the search index then follows
// through the change feed. Importing is idempotent by content: a file
// imported before (same SHA-256) is skipped.
package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Extracted is a file's title and text.
type Extracted struct {
	Title string
	Text  string
	// Markdown is true when Text is Markdown to keep as it is (a .md file);
	// otherwise it is plain text.
	Markdown bool
}

// ErrUnsupported is a file of a kind import does not read.
var ErrUnsupported = errors.New("not a supported kind of file (Markdown, plain text, HTML or PDF)")

// maxFileBytes bounds a file import reads.
const maxFileBytes = 64 << 20

// Kind is how a file is read, by its name and, for PDF, its first bytes.
func Kind(path string, head []byte) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".md", ".markdown":
		return "markdown"
	case ".txt", ".text":
		return "text"
	case ".html", ".htm":
		return "html"
	case ".pdf":
		return "pdf"
	}
	if bytes.HasPrefix(head, []byte("%PDF-")) {
		return "pdf"
	}
	return ""
}

// readFile reads a whole file, bounded.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileBytes {
		return nil, fmt.Errorf("larger than %d MB", maxFileBytes>>20)
	}
	return b, nil
}

// text checks that b is text: UTF-8 without NUL bytes (a byte order mark
// is dropped).
func text(b []byte) (string, error) {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return "", errors.New("not UTF-8 text")
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
}

// Markdown reads a Markdown file: its first heading is the title.
func Markdown(b []byte) (Extracted, error) {
	s, err := text(b)
	if err != nil {
		return Extracted{}, err
	}
	// Front matter is not text.
	for _, fence := range []string{"---\n", "+++\n"} {
		if strings.HasPrefix(s, fence) {
			if _, rest, ok := strings.Cut(s[len(fence):], "\n"+fence); ok {
				s = rest
			}
		}
	}
	e := Extracted{Text: strings.TrimSpace(s), Markdown: true}
	var kept []string
	for _, line := range strings.Split(e.Text, "\n") {
		if e.Title == "" && strings.HasPrefix(line, "#") {
			e.Title = strings.TrimSpace(strings.TrimLeft(line, "#"))
			continue
		}
		kept = append(kept, line)
	}
	if e.Title == "" {
		e.Title = firstLine(e.Text)
	} else {
		e.Text = strings.TrimSpace(strings.Join(kept, "\n"))
	}
	return e, nil
}

// Text reads a plain text file: its first line is the title.
func Text(b []byte) (Extracted, error) {
	s, err := text(b)
	if err != nil {
		return Extracted{}, err
	}
	s = strings.TrimSpace(s)
	return Extracted{Title: firstLine(s), Text: s}, nil
}

// HTML reads an HTML file: the title element (or the first h1) is the
// title; the text is the body's, without scripts, styles and navigation.
func HTML(b []byte) (Extracted, error) {
	if _, err := text(b); err != nil {
		return Extracted{}, err
	}
	z := html.NewTokenizer(bytes.NewReader(b))
	var title, h1, body strings.Builder
	inTitle, inH1, skip := false, false, 0
	skipped := map[atom.Atom]bool{atom.Script: true, atom.Style: true, atom.Nav: true, atom.Noscript: true, atom.Template: true, atom.Head: true}
	blocks := map[atom.Atom]bool{atom.P: true, atom.Li: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.Div: true,
		atom.Tr: true, atom.Br: true, atom.Section: true, atom.Article: true, atom.Blockquote: true}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tn, _ := z.TagName()
		a := atom.Lookup(tn)
		switch tt {
		case html.StartTagToken:
			switch {
			case a == atom.Title:
				inTitle = true
			case a == atom.H1:
				inH1 = true
			}
			if skipped[a] && a != atom.Head {
				skip++
			}
			if blocks[a] {
				body.WriteString("\n")
			}
		case html.EndTagToken:
			switch {
			case a == atom.Title:
				inTitle = false
			case a == atom.H1:
				inH1 = false
			}
			if skipped[a] && a != atom.Head && skip > 0 {
				skip--
			}
			if blocks[a] {
				body.WriteString("\n")
			}
		case html.TextToken:
			t := string(z.Text())
			if inTitle {
				title.WriteString(t)
				continue
			}
			if skip == 0 {
				if inH1 {
					h1.WriteString(t)
				}
				body.WriteString(t)
			}
		}
	}
	e := Extracted{Title: oneLine(title.String()), Text: paragraphs(body.String())}
	if e.Title == "" {
		e.Title = oneLine(h1.String())
	}
	if e.Title == "" {
		e.Title = firstLine(e.Text)
	}
	return e, nil
}

// PDFText reads a PDF: the title from its metadata (or its first line), the
// text of its pages. Go's PDF readers are known to panic on malformed
// files: a panic becomes an error here. They are also known to loop, which
// only a time limit can stop: import runs this in a separate process
// (`polis __pdftext`) that it kills after a while.
func PDFText(b []byte) (e Extracted, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("unreadable PDF (%v)", v)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return e, fmt.Errorf("unreadable PDF: %w", err)
	}
	if info := r.Trailer().Key("Info"); !info.IsNull() {
		e.Title = oneLine(info.Key("Title").Text())
	}
	var sb strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		t, err := p.GetPlainText(nil)
		if err != nil {
			return e, fmt.Errorf("unreadable PDF page %d: %w", i, err)
		}
		sb.WriteString(t)
		sb.WriteString("\n\n")
	}
	e.Text = paragraphs(sb.String())
	if strings.TrimSpace(e.Text) == "" {
		return e, errors.New("the PDF has no text (scanned pages need OCR first)")
	}
	if e.Title == "" {
		e.Title = firstLine(e.Text)
	}
	return e, nil
}

// firstLine is the first non-empty line, shortened.
func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if l := oneLine(line); l != "" {
			return shorten(l, 200)
		}
	}
	return ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// paragraphs keeps blank-line breaks and puts each paragraph on one line.
func paragraphs(s string) string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n\n") {
		if l := oneLine(p); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n\n")
}

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	return strings.TrimRightFunc(string(r), unicode.IsSpace) + "…"
}
