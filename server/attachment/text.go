package attachment

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkText accepts UTF-8 text (with or without a byte-order mark) that
// has no control characters but tab, line breaks and form feed. It is CSV
// when it reads as a table of at least two columns and two rows with a
// comma or semicolon, and plain text otherwise.
func checkText(b []byte) (Kind, error) {
	body := bytes.TrimPrefix(b, utf8BOM)
	if !utf8.Valid(body) {
		return "", refuse(ErrUnsupported, "binary data or text that is not UTF-8")
	}
	for i, r := range string(body) {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' && r != '\f' {
			return "", refuse(ErrUnsupported, "control character U+%04X at byte %d: binary data, not text", r, i)
		}
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n\f")
	if len(trimmed) == 0 {
		return "", refuse(ErrEmpty, "only whitespace")
	}
	if markup(trimmed) {
		lower := bytes.ToLower(trimmed)
		if bytes.Contains(lower, []byte("<svg")) || bytes.Contains(lower, []byte("http://www.w3.org/2000/svg")) {
			return "", refuse(ErrImage, "markup with SVG")
		}
		return "", refuse(ErrUnsupported, "HTML or XML markup, which can carry scripts and pictures")
	}
	if what := encodedImage(body); what != "" {
		return "", refuse(ErrImage, "%s", what)
	}
	kind := TXT
	cells, ok := table(body)
	if ok {
		kind = CSV
	} else {
		cells = looseCells(body)
	}
	if cell := formula(cells); cell != "" {
		return "", refuse(ErrActiveContent, "cell with a formula that calls a function or another program: %.40q", cell)
	}
	return kind, nil
}

// looseCells splits text into cells the way a lenient spreadsheet import
// might, at commas, semicolons and tabs, ignoring quotes: a file accepted
// as text can still be downloaded under a name ending in .csv.
func looseCells(b []byte) [][]string {
	var rows [][]string
	for line := range strings.Lines(string(b)) {
		rows = append(rows, strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ';' || r == '\t' }))
	}
	return rows
}

// markup reports whether text starts as HTML or XML does: "<" then a tag
// name, "!", "?" or "/".
func markup(b []byte) bool {
	return len(b) > 1 && b[0] == '<' && (b[1] == '!' || b[1] == '?' || b[1] == '/' ||
		(b[1]|0x20 >= 'a' && b[1]|0x20 <= 'z'))
}

// encodedImages are images written out as text: data: URLs, and the
// base64 or hex forms of the PNG, GIF and JPEG signatures. They catch a
// picture pasted into a text file, not one encoded on purpose to hide it.
var encodedImages = regexp.MustCompile(`(?i:data:(?:image|video)/[a-z0-9.+-]+[^,\s]*,)|iVBORw0KGgo[A-Za-z0-9+/]{8}|R0lGOD[dl]h[A-Za-z0-9+/]{8}|[/_]9j[/_][A-Za-z0-9+/_-]{16}|(?i:89504e470d0a1a0a)`)

// encodedHints are substrings (lower case) one of which every match of
// encodedImages contains; the regular expression runs only after one.
var encodedHints = [][]byte{[]byte("data:"), []byte("ivborw0kggo"), []byte("r0lgod"), []byte("9j"), []byte("89504e470d0a1a0a")}

func encodedImage(b []byte) string {
	lower := bytes.ToLower(b)
	if !slices.ContainsFunc(encodedHints, func(h []byte) bool { return bytes.Contains(lower, h) }) {
		return ""
	}
	if m := encodedImages.Find(b); m != nil {
		return "image written as text (" + string(head(m, 24)) + "…)"
	}
	return ""
}

// table returns the cells of b when it is a CSV table (comma or semicolon,
// at least two columns and two rows, the same number of columns on every
// row, quotes used correctly). When both delimiters fit, the one that
// gives more columns wins.
func table(b []byte) ([][]string, bool) {
	comma, okComma := parseTable(b, ',')
	semi, okSemi := parseTable(b, ';')
	switch {
	case okComma && okSemi:
		if len(semi[0]) > len(comma[0]) {
			return semi, true
		}
		return comma, true
	case okComma:
		return comma, true
	case okSemi:
		return semi, true
	}
	return nil, false
}

func parseTable(b []byte, delim rune) ([][]string, bool) {
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = delim
	r.FieldsPerRecord = -1 // counted here, to require two or more
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false
		}
		if len(rec) < 2 || (len(rows) > 0 && len(rec) != len(rows[0])) {
			return nil, false
		}
		rows = append(rows, rec)
	}
	return rows, len(rows) >= 2
}

// A spreadsheet runs a cell that starts with =, +, - or @ as a formula.
// Those that call a function (HYPERLINK, IMAGE, WEBSERVICE, DDE…) or
// another program (a DDE link, cmd|'…'!A0) are refused; arithmetic,
// negative numbers, phone numbers and @names are not.
var (
	anyCall   = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_.]*\(|[A-Za-z0-9_.]+\s*\|`)
	startCall = regexp.MustCompile(`^[+\-@]\s*[A-Za-z_][A-Za-z0-9_.]*\(`)
	ddeLink   = regexp.MustCompile(`[A-Za-z0-9_.]+\s*\|\s*['"]`)
)

// formula returns the first cell a spreadsheet would run as such a
// formula, or "".
func formula(rows [][]string) string {
	for _, row := range rows {
		for _, cell := range row {
			c := strings.TrimLeft(cell, " \t\r\n\"")
			switch {
			case c == "":
			case c[0] == '=' && anyCall.MatchString(c),
				(c[0] == '+' || c[0] == '-' || c[0] == '@') && (startCall.MatchString(c) || ddeLink.MatchString(c)):
				return cell
			}
		}
	}
	return ""
}
