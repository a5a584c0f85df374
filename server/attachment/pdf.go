package attachment

import (
	"bytes"
	"compress/flate"
	"io"
)

// Bounds on the work done to look inside a PDF's compressed streams, so
// that a small file cannot make the server inflate gigabytes.
const (
	maxPDFStreams  = 5000
	maxPDFInflated = 50 << 20
)

// A PDF is inspected by the names it uses, which a viewer needs whatever
// the layout of the file. Names are read with their #xx escapes decoded,
// so "/Subtype/Im#61ge" is "/Subtype /Image", and they are looked for in
// the raw bytes and in every FlateDecode stream once inflated (object
// streams hold dictionaries, content streams hold inline images). A stream
// encoded some other way cannot be inspected and is refused, as is an
// encrypted file. Pictures drawn with vector paths cannot be told apart
// from text and tables and are not refused.
//
// pdfNames are refused wherever they appear. Each is long enough that
// random compressed bytes do not spell it out by chance.
var pdfNames = map[string]struct {
	sentinel error
	what     string
}{
	"Image":          {ErrImage, "image"},
	"Thumb":          {ErrImage, "page thumbnail"},
	"DCTDecode":      {ErrImage, "JPEG image data"},
	"JPXDecode":      {ErrImage, "JPEG 2000 image data"},
	"JBIG2Decode":    {ErrImage, "JBIG2 image data"},
	"JBIG2Globals":   {ErrImage, "JBIG2 image data"},
	"CCITTFaxDecode": {ErrImage, "fax image data"},
	"Movie":          {ErrImage, "movie"},
	"Screen":         {ErrImage, "media screen"},
	"Rendition":      {ErrImage, "media rendition"},
	"RichMedia":      {ErrImage, "rich media (video, Flash or 3D)"},
	"JavaScript":     {ErrActiveContent, "JavaScript"},
	"Launch":         {ErrActiveContent, "launch action"},
	"EmbeddedFile":   {ErrActiveContent, "embedded file"},
	"EmbeddedFiles":  {ErrActiveContent, "embedded files"},
	"FileAttachment": {ErrActiveContent, "file attachment"},
	"SubmitForm":     {ErrActiveContent, "form submission"},
	"ImportData":     {ErrActiveContent, "data import"},
	"GoToE":          {ErrActiveContent, "link into an embedded file"},
	"GoToR":          {ErrActiveContent, "link to another file"},
	"Encrypt":        {ErrUnsupported, "encryption, which cannot be inspected"},
}

// pdfKeys are short names that random bytes could spell, so they are
// refused only as keys with a value that is a string, array, dictionary
// or reference, and only where dictionaries are: outside stream data and
// in object streams. (A key alone does nothing: JavaScript also needs
// /S /JavaScript, embedded files need /EmbeddedFiles, /FileAttachment or
// /AF, and these are looked for everywhere.)
var pdfKeys = map[string]struct {
	sentinel error
	what     string
}{
	"JS":  {ErrActiveContent, "JavaScript"},
	"EF":  {ErrActiveContent, "embedded file"},
	"AF":  {ErrActiveContent, "associated file"},
	"XFA": {ErrActiveContent, "XFA form"},
	"3DD": {ErrImage, "3D artwork"},
}

// checkPDF refuses a PDF that holds images, media or active content, or
// that cannot be inspected.
func checkPDF(b []byte) error {
	streams, err := pdfStreams(b)
	if err != nil {
		return err
	}
	if len(streams) > maxPDFStreams {
		return refuse(ErrTooLarge, "PDF with more than %d streams", maxPDFStreams)
	}
	// The raw bytes: stream data for long names only, the rest for all.
	at := 0
	for _, s := range streams {
		if err := scanPDF(b[at:s.dataStart], true); err != nil {
			return err
		}
		if err := scanPDF(b[s.dataStart:s.dataEnd], false); err != nil {
			return err
		}
		if objectHeader(b[s.dataStart:s.dataEnd]) {
			return refuse(ErrUnsupported, "PDF with an object hidden inside stream data")
		}
		at = s.dataEnd
	}
	if err := scanPDF(b[at:], true); err != nil {
		return err
	}
	if err := inlineImageErr(b); err != nil {
		return err
	}

	budget := int64(maxPDFInflated)
	var bufs [2]bytes.Buffer // a chain of filters inflates from one into the other
	for _, s := range streams {
		dict := s.dict
		filters, err := streamFilters(dict)
		if err != nil {
			return err
		}
		if len(filters) == 0 {
			continue // its raw bytes were scanned above
		}
		objStm := dict.has("First") || dict.isName("Type", "ObjStm")
		pred, err := streamPredictor(dict, len(filters))
		if err != nil {
			return err
		}
		src := b[s.dataStart:s.dataEnd]
		for k := range filters {
			dst := &bufs[k%2]
			dst.Reset()
			n, err := inflate(dst, src, budget)
			if err != nil {
				return err
			}
			budget -= n
			src = dst.Bytes()
		}
		if pred != nil {
			// Cross-reference streams are encoded so; a viewer would
			// decode any other stream so too.
			if src, err = pred.decode(src); err != nil {
				return err
			}
		}
		if err := scanPDF(src, objStm); err != nil {
			return err
		}
		if err := inlineImageErr(src); err != nil {
			return err
		}
		if what := embeddedImage(src); what != "" {
			return refuse(ErrImage, "%s inside a PDF stream", what)
		}
	}
	if what := embeddedImage(b); what != "" {
		return refuse(ErrImage, "%s inside a PDF", what)
	}
	return nil
}

// pdfStream is one stream: its dictionary and where its data is (after
// the "stream" line, up to "endstream").
type pdfStream struct {
	dict               pdfObject
	dataStart, dataEnd int
}

// Bounds on reading the object a "stream" keyword belongs to.
const (
	maxPDFObject      = 1 << 20 // from "N G obj" to the keyword
	maxPDFObjectsWork = 4 << 20 // in all, beyond the file's own length
)

// pdfStreams finds every stream as a viewer would: a "stream" keyword
// that follows the dictionary of an object "N G obj", read from its
// header, so that the word inside a string (a title about a live stream)
// is not one. The data is taken to end at the first "endstream", not at
// /Length, which may be an indirect reference; if that cuts compressed
// data short, inflating it fails and the file is refused, and an object
// placed inside what this reading calls data is refused by checkPDF.
func pdfStreams(b []byte) ([]pdfStream, error) {
	var out []pdfStream
	work := len(b) + maxPDFObjectsWork
	lo, pos := 0, 0
	last := -1 // the header last read, and what was found
	var lastDict pdfObject
	lastKeyword := -1
	for len(out) <= maxPDFStreams {
		i := bytes.Index(b[pos:], []byte("stream"))
		if i < 0 {
			break
		}
		kw := pos + i
		pos = kw + len("stream")
		if (kw > 0 && regular(b[kw-1])) || (pos < len(b) && regular(b[pos])) {
			continue // part of "endstream" or of another word
		}
		hdr := objectHeaderBefore(b[lo:kw])
		if hdr < 0 {
			if afterDict(b[:kw]) {
				return nil, refuse(ErrUnsupported, "PDF stream outside an object")
			}
			continue // text that says "stream", outside any object
		}
		if hdr += lo; hdr != last {
			if kw-hdr > maxPDFObject {
				return nil, refuse(ErrUnsupported, "PDF object too large to inspect")
			}
			last = hdr
			p := pdfParser{lex: pdfLexer{b: b[hdr:min(len(b), hdr+maxPDFObject)]}}
			v, err := p.value(0)
			if work -= p.lex.i; work < 0 {
				return nil, refuse(ErrUnsupported, "PDF too costly to inspect")
			}
			if err != nil {
				if p.lex.i >= len(p.lex.b) && hdr+maxPDFObject >= len(b) {
					lastKeyword = -1 // runs to the end of the file: no stream follows
					continue
				}
				return nil, refuse(ErrUnsupported, "PDF object that cannot be read")
			}
			lastDict, lastKeyword = v, -1
			if k, word := p.lex.next(); k == tokWord && string(word) == "stream" {
				lastKeyword = hdr + p.lex.i - len("stream")
			}
		}
		if kw != lastKeyword {
			if afterDict(b[:kw]) {
				// A viewer starting elsewhere (at an offset from the
				// cross-reference table) could read a stream here.
				return nil, refuse(ErrUnsupported, "PDF stream that cannot be told apart from text")
			}
			continue // the word is inside the object's value, or after it
		}
		if lastDict.kind != 'd' {
			return nil, refuse(ErrUnsupported, "PDF stream without a dictionary")
		}
		start := pos
		for start < len(b) && b[start] != '\r' && b[start] != '\n' {
			start++
		}
		if start < len(b) && b[start] == '\r' {
			start++
		}
		if start < len(b) && b[start] == '\n' {
			start++
		}
		end := bytes.Index(b[start:], []byte("endstream"))
		if end < 0 {
			return nil, refuse(ErrUnsupported, "PDF stream without endstream")
		}
		out = append(out, pdfStream{lastDict, start, start + end})
		lo = start + end + len("endstream")
		pos = lo
	}
	return out, nil
}

// afterDict reports whether b could end with a dictionary that a
// following "stream" keyword belongs to: ">>" and white space, or a line
// with a comment (whose start cannot be told without reading the line).
func afterDict(b []byte) bool {
	b = bytes.TrimRight(b, "\x00\t\n\f\r ")
	if bytes.HasSuffix(b, []byte(">>")) {
		return true
	}
	line := b[bytes.LastIndexAny(b, "\r\n")+1:]
	return bytes.IndexByte(line, '%') >= 0
}

// objectHeaderBefore returns the index just after the last "N G obj" in b,
// or -1.
func objectHeaderBefore(b []byte) int {
	for end := len(b); ; {
		i := bytes.LastIndex(b[:end], []byte("obj"))
		if i < 0 {
			return -1
		}
		if isObjectHeader(b, i) {
			return i + 3
		}
		end = i
	}
}

// objectHeader reports whether b contains "N G obj".
func objectHeader(b []byte) bool {
	for pos := 0; ; {
		i := bytes.Index(b[pos:], []byte("obj"))
		if i < 0 {
			return false
		}
		if isObjectHeader(b, pos+i) {
			return true
		}
		pos += i + 3
	}
}

// isObjectHeader reports whether the "obj" at b[i:] ends "N G obj".
func isObjectHeader(b []byte, i int) bool {
	if i+3 < len(b) && regular(b[i+3]) {
		return false
	}
	j := i
	for n := 0; n < 2; n++ {
		k := j
		for k > 0 && pdfSpace(b[k-1]) {
			k--
		}
		if k == j {
			return false
		}
		d := k
		for d > 0 && b[d-1] >= '0' && b[d-1] <= '9' {
			d--
		}
		if d == k {
			return false
		}
		j = d
	}
	return j == 0 || !regular(b[j-1])
}

// scanPDF looks for refused names in b. With keys, it also looks for the
// short keys, which is done outside stream data and in object streams.
func scanPDF(b []byte, keys bool) error {
	for pos := 0; ; {
		i := bytes.IndexByte(b[pos:], '/')
		if i < 0 {
			return nil
		}
		start := pos + i + 1
		end := start
		for end < len(b) && regular(b[end]) {
			end++
		}
		pos = end
		name := b[start:end]
		if bytes.IndexByte(name, '#') >= 0 {
			name = decodeName(name)
		}
		if r, ok := pdfNames[string(name)]; ok {
			return refuse(r.sentinel, "PDF %s (/%s)", r.what, name)
		}
		if r, ok := pdfKeys[string(name)]; ok && keys && valueFollows(b[end:]) {
			return refuse(r.sentinel, "PDF %s (/%s)", r.what, name)
		}
		switch string(name) {
		case "FunctionType":
			if n, ref := intAfter(b[end:]); ref || n == 0 {
				return refuse(ErrImage, "PDF sampled function, which is bitmap data (/FunctionType)")
			}
		case "ShadingType":
			if n, ref := intAfter(b[end:]); ref || (n >= 4 && n <= 7) {
				return refuse(ErrImage, "PDF mesh shading, which can paint a picture (/ShadingType)")
			}
		}
	}
}

// decodeName undoes #xx escapes in a PDF name.
func decodeName(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '#' && i+2 < len(b) && hexDigit(b[i+1]) >= 0 && hexDigit(b[i+2]) >= 0 {
			out = append(out, byte(hexDigit(b[i+1])<<4|hexDigit(b[i+2])))
			i += 2
			continue
		}
		out = append(out, b[i])
	}
	return out
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// valueFollows reports whether b starts (after whitespace) with a string,
// array, dictionary or indirect reference.
func valueFollows(b []byte) bool {
	b = trimPDFSpace(b)
	if len(b) > 0 && (b[0] == '(' || b[0] == '<' || b[0] == '[') {
		return true
	}
	_, ref := intAfter(b)
	return ref
}

// intAfter reads the integer that b starts with (after whitespace), and
// reports whether it begins an indirect reference "N G R" instead. It
// returns -1 when there is no integer.
func intAfter(b []byte) (int, bool) {
	n, rest, ok := pdfInt(trimPDFSpace(b))
	if !ok {
		return -1, false
	}
	r := trimPDFSpace(rest)
	if len(r) == len(rest) {
		return n, false
	}
	if _, rest, ok = pdfInt(r); !ok {
		return n, false
	}
	r = trimPDFSpace(rest)
	if len(r) == len(rest) || len(r) == 0 || r[0] != 'R' || (len(r) > 1 && regular(r[1])) {
		return n, false
	}
	return n, true
}

func pdfInt(b []byte) (int, []byte, bool) {
	i, n := 0, 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' && i < 9 {
		n = n*10 + int(b[i]-'0')
		i++
	}
	if i == 0 || (i < len(b) && regular(b[i]) && b[i] != '.') {
		return 0, b, false
	}
	return n, b[i:], true
}

func trimPDFSpace(b []byte) []byte {
	for len(b) > 0 && pdfSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// pdfSpace is PDF white space.
func pdfSpace(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

// regular reports whether c is part of a PDF name, number or keyword.
func regular(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ', '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return false
	}
	return true
}

// Bounds on looking for inline images. Every "BI" found is read on as a
// dictionary, up to maxInlineDict bytes: longer is refused as a padded
// inline image. The total read is bounded so that many nested "BI (" do
// not cost quadratic time; a file needing more is refused.
const (
	maxInlineDict = 64 << 10
	maxInlineWork = 4 << 20
)

// inlineImage reports whether b holds an inline image, the operator BI,
// a dictionary of keys and plain values, and the operator ID, or whether
// b is too costly to tell. It looks from every "BI" between delimiters,
// not only where a content stream's parser would be, so that a string a
// viewer closes differently cannot hide one.
func inlineImage(b []byte) (found, tooComplex bool) {
	work := len(b) + maxInlineWork
	for pos := 0; ; {
		i := bytes.Index(b[pos:], []byte("BI"))
		if i < 0 {
			return false, false
		}
		p := pos + i
		pos = p + 2
		if (p > 0 && regular(b[p-1])) || (pos < len(b) && regular(b[pos])) {
			continue
		}
		window := b[pos:min(len(b), pos+maxInlineDict)]
		found, read := inlineDict(window)
		if found || (read >= len(window) && len(window) == maxInlineDict) {
			return true, false
		}
		if work -= read; work < 0 {
			return false, true
		}
	}
}

// inlineDict reports whether b starts with the rest of an inline image
// (keys and values, then ID), and how many bytes it read to tell.
func inlineDict(b []byte) (bool, int) {
	l := pdfLexer{b: b}
	for {
		kind, text := l.next()
		switch kind {
		case tokEOF, tokBad:
			return false, l.i // l.i is len(b) when the window ended in a token
		case tokWord:
			switch {
			case string(text) == "ID":
				return true, l.i
			case string(text) == "true" || string(text) == "false" || string(text) == "null" || number(text):
			default:
				return false, l.i // another operator: not an inline image
			}
		}
	}
}

func inlineImageErr(b []byte) error {
	found, tooComplex := inlineImage(b)
	switch {
	case found:
		return refuse(ErrImage, "PDF inline image")
	case tooComplex:
		return refuse(ErrUnsupported, "PDF too costly to search for inline images")
	}
	return nil
}

func number(b []byte) bool {
	digits := 0
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.', (c == '+' || c == '-') && i == 0:
		default:
			return false
		}
	}
	return digits > 0
}

// inflate decodes zlib data into dst, at most budget bytes, ignoring the
// trailing checksum as viewers do. Truncated or corrupt data is refused:
// what cannot be read cannot be inspected.
func inflate(dst *bytes.Buffer, src []byte, budget int64) (int64, error) {
	if len(src) < 2 || src[0]&0x0f != 8 || (uint16(src[0])<<8|uint16(src[1]))%31 != 0 || src[1]&0x20 != 0 {
		return 0, refuse(ErrUnsupported, "PDF stream that is not valid FlateDecode data")
	}
	fr := flate.NewReader(bytes.NewReader(src[2:]))
	n, err := io.Copy(dst, io.LimitReader(fr, budget+1))
	if n > budget {
		return n, refuse(ErrTooLarge, "PDF streams inflate to more than %d bytes", maxPDFInflated)
	}
	if err != nil {
		return n, refuse(ErrUnsupported, "PDF stream that cannot be inflated: %v", err)
	}
	return n, nil
}

// streamFilters returns the filters of a stream dictionary, which must all
// be FlateDecode.
func streamFilters(d pdfObject) ([]string, error) {
	vals := d.all("Filter")
	if len(vals) == 0 {
		vals = d.all("F") // pdf.js reads /F as the filter when /Filter is missing
	}
	if len(vals) > 1 {
		return nil, refuse(ErrUnsupported, "PDF stream dictionary with two filters")
	}
	if len(vals) == 0 {
		return nil, nil
	}
	var names []pdfObject
	switch v := vals[0]; v.kind {
	case 'n':
		names = []pdfObject{v}
	case 'a':
		names = v.items
	case 'o':
		if v.text == "null" {
			return nil, nil
		}
		fallthrough
	default:
		return nil, refuse(ErrUnsupported, "PDF stream with external data or a filter that cannot be read")
	}
	var out []string
	for _, n := range names {
		if n.kind != 'n' {
			return nil, refuse(ErrUnsupported, "PDF stream with a filter that cannot be read")
		}
		switch n.text {
		case "FlateDecode", "Fl":
			out = append(out, n.text)
		case "DCTDecode", "DCT", "JPXDecode", "JBIG2Decode", "CCITTFaxDecode", "CCF":
			return nil, refuse(ErrImage, "PDF image data (/%s)", n.text)
		default:
			return nil, refuse(ErrUnsupported, "PDF stream encoded with /%s, which cannot be inspected", n.text)
		}
	}
	return out, nil
}

// pngPredictor undoes the PNG predictors (Predictor 10 to 15) a
// FlateDecode stream may use, so that what a viewer reads can be scanned.
type pngPredictor struct {
	bpp, row int // bytes per pixel, bytes per row
}

// streamPredictor returns the stream's predictor, or nil. Decode
// parameters are understood only as a direct dictionary for a single
// filter; anything else cannot be inspected.
func streamPredictor(d pdfObject, filters int) (*pngPredictor, error) {
	parms := append(d.all("DecodeParms"), d.all("DP")...)
	if len(parms) == 0 || (len(parms) == 1 && parms[0].kind == 'o' && parms[0].text == "null") {
		return nil, nil
	}
	p := parms[0]
	if len(parms) > 1 || p.kind != 'd' || filters != 1 {
		return nil, refuse(ErrUnsupported, "PDF stream decode parameters that cannot be inspected")
	}
	param := func(key string, def int) (int, bool) {
		v := p.all(key)
		if len(v) == 0 {
			return def, true
		}
		if len(v) > 1 || v[0].kind != 'o' {
			return 0, false
		}
		n, rest, ok := pdfInt([]byte(v[0].text))
		return n, ok && len(rest) == 0
	}
	predictor, ok1 := param("Predictor", 1)
	columns, ok2 := param("Columns", 1)
	colors, ok3 := param("Colors", 1)
	bpc, ok4 := param("BitsPerComponent", 8)
	switch {
	case !ok1 || !ok2 || !ok3 || !ok4:
		return nil, refuse(ErrUnsupported, "PDF stream decode parameters that cannot be inspected")
	case predictor == 1:
		return nil, nil
	case predictor < 10 || predictor > 15:
		return nil, refuse(ErrUnsupported, "PDF stream with predictor %d, which cannot be inspected", predictor)
	case columns < 1 || columns > 1<<20 || colors < 1 || colors > 32 || (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16):
		return nil, refuse(ErrUnsupported, "PDF stream with predictor parameters out of range")
	}
	return &pngPredictor{bpp: max(1, colors*bpc/8), row: (colors*bpc*columns + 7) / 8}, nil
}

// decode undoes the predictor in place: every row is a filter-type byte
// then the row's bytes.
func (p *pngPredictor) decode(b []byte) ([]byte, error) {
	out := b[:0]
	prev := make([]byte, p.row)
	for len(b) > 0 {
		if len(b) < 1+p.row { // viewers pad a short last row
			pad := make([]byte, 1+p.row)
			copy(pad, b)
			b = pad
		}
		kind, cur := b[0], b[1:1+p.row]
		for i := range cur {
			var left, upLeft byte
			if i >= p.bpp {
				left, upLeft = cur[i-p.bpp], prev[i-p.bpp]
			}
			switch kind {
			case 0:
			case 1:
				cur[i] += left
			case 2:
				cur[i] += prev[i]
			case 3:
				cur[i] += byte((int(left) + int(prev[i])) / 2)
			case 4:
				cur[i] += paeth(left, prev[i], upLeft)
			default:
				return nil, refuse(ErrUnsupported, "PDF stream with a damaged predictor row")
			}
		}
		copy(prev, cur)
		out = append(out, cur...)
		b = b[1+p.row:]
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// pdfObject is a parsed PDF value: a name ('n'), array ('a'), dictionary
// ('d'), indirect reference ('r') or anything else ('o': number, string,
// boolean, null).
type pdfObject struct {
	kind  byte
	text  string
	items []pdfObject
	keys  []string
	vals  []pdfObject
}

func (o pdfObject) all(key string) []pdfObject {
	var out []pdfObject
	for i, k := range o.keys {
		if k == key {
			out = append(out, o.vals[i])
		}
	}
	return out
}

func (o pdfObject) has(key string) bool { return len(o.all(key)) > 0 }

func (o pdfObject) isName(key, name string) bool {
	for _, v := range o.all(key) {
		if v.kind == 'n' && v.text == name {
			return true
		}
	}
	return false
}

var errPDFDict = refuse(ErrUnsupported, "PDF object that cannot be read")

type pdfParser struct{ lex pdfLexer }

func (p *pdfParser) value(depth int) (pdfObject, error) {
	if depth > 32 {
		return pdfObject{}, errPDFDict
	}
	kind, text := p.lex.next()
	switch kind {
	case tokName:
		return pdfObject{kind: 'n', text: string(text)}, nil
	case tokString:
		return pdfObject{kind: 'o'}, nil
	case tokWord:
		if _, _, ok := pdfInt(text); ok && len(text) > 0 && text[0] != '.' {
			save := p.lex.i
			k2, t2 := p.lex.next()
			k3, t3 := p.lex.next()
			if k2 == tokWord && k3 == tokWord && string(t3) == "R" {
				if _, _, ok := pdfInt(t2); ok {
					return pdfObject{kind: 'r'}, nil
				}
			}
			p.lex.i = save
		}
		return pdfObject{kind: 'o', text: string(text)}, nil
	case tokArrayOpen:
		a := pdfObject{kind: 'a'}
		for {
			save := p.lex.i
			if k, _ := p.lex.next(); k == tokArrayClose {
				return a, nil
			}
			p.lex.i = save
			v, err := p.value(depth + 1)
			if err != nil {
				return pdfObject{}, err
			}
			a.items = append(a.items, v)
		}
	case tokDictOpen:
		d := pdfObject{kind: 'd'}
		for {
			k, key := p.lex.next()
			if k == tokDictClose {
				return d, nil
			}
			if k != tokName {
				return pdfObject{}, errPDFDict
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return pdfObject{}, err
			}
			d.keys = append(d.keys, string(key))
			d.vals = append(d.vals, v)
		}
	}
	return pdfObject{}, errPDFDict
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokBad
	tokName
	tokString
	tokWord
	tokArrayOpen
	tokArrayClose
	tokDictOpen
	tokDictClose
)

// pdfLexer splits PDF syntax into tokens, skipping white space and
// comments. Names come back decoded.
type pdfLexer struct {
	b []byte
	i int
}

func (l *pdfLexer) next() (tokKind, []byte) {
	for l.i < len(l.b) {
		c := l.b[l.i]
		if pdfSpace(c) {
			l.i++
			continue
		}
		if c == '%' {
			for l.i < len(l.b) && l.b[l.i] != '\r' && l.b[l.i] != '\n' {
				l.i++
			}
			continue
		}
		break
	}
	if l.i >= len(l.b) {
		return tokEOF, nil
	}
	start := l.i
	switch c := l.b[l.i]; c {
	case '/':
		l.i++
		for l.i < len(l.b) && regular(l.b[l.i]) {
			l.i++
		}
		return tokName, decodeName(l.b[start+1 : l.i])
	case '(':
		depth := 0
		for ; l.i < len(l.b); l.i++ {
			switch l.b[l.i] {
			case '\\':
				l.i++
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					l.i++
					return tokString, l.b[start:l.i]
				}
			}
		}
		return tokBad, nil
	case '<':
		if l.i+1 < len(l.b) && l.b[l.i+1] == '<' {
			l.i += 2
			return tokDictOpen, nil
		}
		end := bytes.IndexByte(l.b[l.i:], '>')
		if end < 0 {
			l.i = len(l.b)
			return tokBad, nil
		}
		l.i += end + 1
		return tokString, l.b[start:l.i]
	case '>':
		if l.i+1 < len(l.b) && l.b[l.i+1] == '>' {
			l.i += 2
			return tokDictClose, nil
		}
		l.i++
		return tokBad, nil
	case '[':
		l.i++
		return tokArrayOpen, nil
	case ']':
		l.i++
		return tokArrayClose, nil
	case ')', '{', '}':
		l.i++
		return tokBad, nil
	}
	for l.i < len(l.b) && regular(l.b[l.i]) {
		l.i++
	}
	return tokWord, l.b[start:l.i]
}
