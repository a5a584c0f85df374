package attachment

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Check is given the content only: a file's name and declared type can
// never change its verdict, so a PNG called "notes.pdf" is still a PNG.
var _ func([]byte) (Kind, string, error) = Check

const notes = "Meeting notes for the hotline cooperation workshop"

// Samples, all built here.

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82")

// pdfFile builds a PDF with the given objects (numbered from 1, object 1
// the catalog) and a correct cross-reference table.
func pdfFile(objects ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

func stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

func deflated(data []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// pngUp encodes data with the PNG "Up" predictor in rows of columns bytes.
func pngUp(data []byte, columns int) []byte {
	var out []byte
	prev := make([]byte, columns)
	for len(data) > 0 {
		row := make([]byte, columns)
		copy(row, data)
		data = data[min(columns, len(data)):]
		out = append(out, 2)
		for i := range row {
			out = append(out, row[i]-prev[i])
		}
		prev = row
	}
	return out
}

// textPDF is a one-page PDF whose page shows content (a content stream).
func textPDF(content string, extra ...string) []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> /ProcSet [/PDF /Text /ImageB /ImageC /ImageI] >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		stream("/Filter /FlateDecode", deflated([]byte(content))),
	}
	return pdfFile(append(objs, extra...)...)
}

var pageText = "BT /F1 12 Tf 72 720 Td (" + notes + ") Tj ET"

// zipEntry is one file of a zip built for a test.
type zipEntry struct {
	name   string
	data   string
	stored bool
}

func zipFile(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.stored {
			h.Method = zip.Store
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, e.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const relsNS = "http://schemas.openxmlformats.org/package/2006/relationships"

func rels(rs ...string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="` + relsNS + `">` + strings.Join(rs, "") + `</Relationships>`
}

func docxBody(body string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>` + body + `</w:body></w:document>`
}

// docxEntries are the parts Word writes for a document of text.
func docxEntries(body string, docRels ...string) []zipEntry {
	return []zipEntry{
		{name: "[Content_Types].xml", data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`},
		{name: "_rels/.rels", data: rels(`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>`)},
		{name: "word/document.xml", data: docxBody(body)},
		{name: "word/_rels/document.xml.rels", data: rels(append([]string{`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`}, docRels...)...)},
		{name: "word/styles.xml", data: `<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>`},
		{name: "docProps/core.xml", data: `<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Workshop</dc:title></cp:coreProperties>`},
	}
}

// docxWithTypes is a DOCX with more [Content_Types].xml declarations.
func docxWithTypes(t testing.TB, types string, extra ...zipEntry) []byte {
	entries := docxEntries(paragraph)
	entries[0].data = strings.Replace(entries[0].data, "<Default ", types+"<Default ", 1)
	return zipFile(t, append(entries, extra...)...)
}

var paragraph = `<w:p><w:r><w:t>` + notes + `</w:t></w:r></w:p>`

func docx(t testing.TB, extra ...zipEntry) []byte {
	return zipFile(t, append(docxEntries(paragraph), extra...)...)
}

const odtContentHead = `<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" office:version="1.3"><office:scripts/><office:body><office:text>`

func odtContent(body string) string {
	return odtContentHead + body + `</office:text></office:body></office:document-content>`
}

// odtEntries are the parts LibreOffice writes for a document of text,
// without the thumbnail it also writes by default.
func odtEntries(mimetype, body string) []zipEntry {
	return []zipEntry{
		{name: "mimetype", data: mimetype, stored: true},
		{name: "Configurations2/", stored: true},
		{name: "Configurations2/images/Bitmaps/", stored: true},
		{name: "content.xml", data: odtContent(body)},
		{name: "styles.xml", data: `<?xml version="1.0" encoding="UTF-8"?><office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"><office:styles><style:style style:name="Standard"><style:paragraph-properties><style:background-image/></style:paragraph-properties></style:style></office:styles></office:document-styles>`},
		{name: "meta.xml", data: `<?xml version="1.0" encoding="UTF-8"?><office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>Workshop</dc:title></office:meta></office:document-meta>`},
		{name: "META-INF/manifest.xml", data: `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
	}
}

var odtParagraph = `<text:p>` + notes + `</text:p>`

func odt(t testing.TB, extra ...zipEntry) []byte {
	return zipFile(t, append(odtEntries(odtMIME, odtParagraph), extra...)...)
}

// zeros returns a raw deflate stream that inflates to mib MiB of zeros,
// built from one compressed MiB repeated, so that it costs nothing to make.
func zeros(mib int) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	block := make([]byte, 1<<20)
	w.Write(block)
	w.Flush()
	first := b.Len()
	w.Write(block)
	w.Flush()
	segment := append([]byte(nil), b.Bytes()[first:]...)
	out := append([]byte(nil), b.Bytes()[:first]...)
	for range mib - 1 {
		out = append(out, segment...)
	}
	return append(out, 0x03, 0x00) // a final, empty block
}

func rawZip(t testing.TB, name string, h zip.FileHeader, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	h.Name = name
	h.CompressedSize64 = uint64(len(raw))
	f, err := w.CreateRaw(&h)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(raw)
	w.Close()
	return b.Bytes()
}

// The verdicts.

type verdict struct {
	name    string
	content []byte
	kind    Kind  // when accepted
	err     error // when refused
}

func run(t *testing.T, cases []verdict) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind, mime, err := Check(c.content)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("Check = %q, %v; want %v", kind, err, c.err)
				}
				t.Log(err)
				if kind != "" || mime != "" {
					t.Errorf("refused with kind %q and type %q", kind, mime)
				}
				return
			}
			if err != nil || kind != c.kind {
				t.Fatalf("Check = %q, %v; want %q", kind, err, c.kind)
			}
			if mime != mimeTypes[c.kind] {
				t.Errorf("type %q, want %q", mime, mimeTypes[c.kind])
			}
		})
	}
}

func TestCheckPDF(t *testing.T) {
	imageXObject := stream("/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8", []byte{0x80})
	objStm := func(obj string) string {
		return stream("/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode", deflated([]byte("9 0 "+obj)))
	}
	run(t, []verdict{
		{"text", textPDF(pageText), PDF, nil},
		{"uncompressed text", pdfFile("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>", stream("", []byte(pageText))), PDF, nil},
		{"the word stream in titles and links", textPDF(pageText, "<< /Title (Live stream\nnotes) /Author (stream) >>", "<< /S /URI /URI (https://example.org/stream) >>", "<< /Title (upstream) >>"), PDF, nil},
		{"stream hidden behind a decoy header", textPDF(pageText, stream("/X (x 9 0 obj (y) ) /Filter /FlateDecode", deflated([]byte("BI /W 1 /H 1 ID x EI")))), "", ErrUnsupported},
		{"link", textPDF(pageText, "<< /Type /Annot /Subtype /Link /A << /S /URI /URI (https://example.org/) >> >>"), PDF, nil},
		{"xref stream with a predictor", textPDF(pageText, stream("/Type /XRef /W [1 2 1] /Filter /FlateDecode /DecodeParms << /Columns 4 /Predictor 12 >>", deflated([]byte{2, 0, 0, 0, 0}))), PDF, nil},
		{"image XObject", textPDF(pageText, imageXObject), "", ErrImage},
		{"image without spaces", textPDF(pageText, "<</Type/XObject/Subtype/Image/Width 1/Height 1>>"), "", ErrImage},
		{"image with an escaped name", textPDF(pageText, "<< /Subtype /Im#61ge >>"), "", ErrImage},
		{"image across lines and a comment", textPDF(pageText, "<< /Subtype % a comment\n\n /Image >>"), "", ErrImage},
		{"JPEG data", textPDF(pageText, stream("/Filter /DCTDecode", []byte("x"))), "", ErrImage},
		{"inline image in a compressed content stream", textPDF("q 10 0 0 10 0 0 cm BI /W 1 /H 1 /CS /G /BPC 8 ID \x80 EI Q " + pageText), "", ErrImage},
		{"inline image padded past 64 KiB", textPDF("BI /W 1 /H 1 /CS [/I /RGB 255 <" + strings.Repeat("00", 40<<10) + ">] /BPC 8 ID \x80 EI"), "", ErrImage},
		{"nested BI strings, too costly to search", textPDF(strings.Repeat("BI (", 8000) + strings.Repeat(")", 8000) + " Q"), "", ErrUnsupported},
		{"image dictionary in an object stream", textPDF(pageText, objStm("<< /Sub#74ype /Image >>")), "", ErrImage},
		{"page thumbnail", textPDF(pageText, "<< /Type /Page /Thumb 7 0 R >>"), "", ErrImage},
		{"sampled function", textPDF(pageText, stream("/FunctionType 0 /Domain [0 1] /Size [2]", []byte("ab"))), "", ErrImage},
		{"mesh shading", textPDF(pageText, "<< /ShadingType 4 >>"), "", ErrImage},
		{"movie", textPDF(pageText, "<< /Type /Annot /Subtype /Movie >>"), "", ErrImage},
		{"PNG carved into a stream", textPDF(pageText, stream("/Filter /FlateDecode", deflated(pngBytes))), "", ErrImage},
		{"JavaScript", textPDF(pageText, "<< /S /JavaScript /JS (app.alert(1)) >>"), "", ErrActiveContent},
		{"JS key alone", textPDF(pageText, "<< /JS (app.alert(1)) >>"), "", ErrActiveContent},
		{"JavaScript in an object stream", textPDF(pageText, objStm("<< /S /JavaScript /JS 3 0 R >>")), "", ErrActiveContent},
		{"JavaScript in a doubly compressed object stream", textPDF(pageText, stream("/N 1 /First 5 /Filter [/FlateDecode /FlateDecode]", deflated(deflated([]byte("9 0 << /S /Java#53cript >>"))))), "", ErrActiveContent},
		{"launch", textPDF(pageText, "<< /S /Launch /F (cmd.exe) >>"), "", ErrActiveContent},
		{"embedded file", textPDF(pageText, stream("/Type /EmbeddedFile", []byte(notes))), "", ErrActiveContent},
		{"associated file", textPDF(pageText, "<< /Type /Catalog /AF [9 0 R] >>"), "", ErrActiveContent},
		{"encrypted", append(textPDF(pageText), "trailer << /Encrypt 9 0 R >>"...), "", ErrUnsupported},
		{"LZW stream", textPDF(pageText, stream("/Filter /LZWDecode", []byte("x"))), "", ErrUnsupported},
		{"inline image behind a PNG predictor", textPDF(pageText, stream("/Type /XRef /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>", deflated(pngUp([]byte("BI /W 1 /H 1 /CS /G /BPC 8 ID \x80 EI"), 4)))), "", ErrImage},
		{"TIFF predictor", textPDF(pageText, stream("/Filter /FlateDecode /DecodeParms << /Predictor 2 /Columns 4 >>", deflated([]byte(pageText)))), "", ErrUnsupported},
		{"damaged predictor row", textPDF(pageText, stream("/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>", deflated([]byte{9, 1, 2, 3, 4}))), "", ErrUnsupported},
		{"truncated stream", textPDF(pageText, stream("/Filter /FlateDecode", deflated([]byte(strings.Repeat(notes, 50)))[:40])), "", ErrUnsupported},
		{"object hidden in stream data", textPDF(pageText, stream("", []byte("q Q\n9 0 obj << /Type /Annot >> endobj\n"))), "", ErrUnsupported},
		{"stream without endstream", append(textPDF(pageText), "9 0 obj << >>\nstream\nabc"...), "", ErrUnsupported},
		{"header not at the start", append([]byte("junk\n"), textPDF(pageText)...), "", ErrUnsupported},
		{"inflates to more than 50 MB", textPDF(pageText, stream("/Filter /FlateDecode", append([]byte{0x78, 0x9c}, zeros(51)...))), "", ErrTooLarge},
		{"more than 5,000 streams", textPDF(pageText, strings.Repeat(stream("", []byte("q Q"))+"\nendobj\n9 0 obj\n", maxPDFStreams)+"<< >>"), "", ErrTooLarge},
		{"also a zip", append(textPDF(pageText), zipFile(t, zipEntry{name: "a.txt", data: notes})...), "", ErrUnsupported},
	})
}

func TestCheckDOCX(t *testing.T) {
	field := func(parts ...string) string {
		s := `<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>`
		for _, p := range parts {
			s += `<w:r><w:instrText xml:space="preserve">` + p + `</w:instrText></w:r>`
		}
		return s + `<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`
	}
	imageRel := `<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="https://example.org/a.png" TargetMode="External"/>`
	run(t, []verdict{
		{"text", docx(t), DOCX, nil},
		{"hyperlink and page field", zipFile(t, docxEntries(paragraph+field(` PAGE `)+field(`HYPERLINK "https://example.org/link"`),
			`<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.org/" TargetMode="External"/>`)...), DOCX, nil},
		{"printer settings", docx(t, zipEntry{name: "word/printerSettings/printerSettings1.bin", data: "\x00\x01printer"}), DOCX, nil},
		{"picture in word/media", docx(t, zipEntry{name: "word/media/image1.png", data: string(pngBytes)}), "", ErrImage},
		{"PNG named .txt", docx(t, zipEntry{name: "word/notes.txt", data: string(pngBytes)}), "", ErrImage},
		{"PNG inside another part", docx(t, zipEntry{name: "word/fonts/font1.odttf", data: "\x00\x01\x00\x00font" + string(pngBytes) + "\x00"}), "", ErrImage},
		{"empty file named .jpeg", docx(t, zipEntry{name: "docProps/thumbnail.jpeg"}), "", ErrImage},
		{"picture in upper case", docx(t, zipEntry{name: "WORD/MEDIA/image1.bin", data: "x"}), "", ErrImage},
		{"picture relationship", zipFile(t, docxEntries(paragraph, imageRel)...), "", ErrImage},
		{"picture element", zipFile(t, docxEntries(paragraph+`<w:p><w:r><w:drawing><a:blip xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" r:embed="rId9"/></w:drawing></w:r></w:p>`)...), "", ErrImage},
		{"picture field split in two", zipFile(t, docxEntries(paragraph+field("INCLUDE", `PICTURE "https://example.org/a.png"`))...), "", ErrImage},
		{"picture part by content type", docxWithTypes(t, `<Default Extension="xyz" ContentType="image/x-pict"/>`, zipEntry{name: "word/a.xyz", data: "x"}), "", ErrImage},
		{"picture type declared but unused", docxWithTypes(t, `<Default Extension="png" ContentType="image/png"/>`), DOCX, nil},
		{"macro-enabled document", docxWithTypes(t, `<Override PartName="/word/x.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>`), "", ErrActiveContent},
		{"two parts with one name", docx(t, zipEntry{name: "[Content_Types].xml", data: "<Types/>"}), "", ErrUnsupported},
		{"macros", docx(t, zipEntry{name: "word/vbaProject.bin", data: "\x00macro"}), "", ErrActiveContent},
		{"embedded object", docx(t, zipEntry{name: "word/embeddings/oleObject1.bin", data: "\x00ole"}), "", ErrActiveContent},
		{"DDE field", zipFile(t, docxEntries(paragraph+field(`DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc"`))...), "", ErrActiveContent},
		{"remote template", zipFile(t, append(docxEntries(paragraph), zipEntry{name: "word/_rels/settings.xml.rels", data: rels(`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="https://example.org/t.dotm" TargetMode="External"/>`)})...), "", ErrActiveContent},
		{"malformed XML", zipFile(t, docxEntries(paragraph+`<w:p>`)...), "", ErrUnsupported},
		{"spreadsheet", zipFile(t, zipEntry{name: "[Content_Types].xml", data: `<Types/>`}, zipEntry{name: "xl/workbook.xml", data: `<workbook/>`}), "", ErrUnsupported},
		{"plain zip", zipFile(t, zipEntry{name: "notes.txt", data: notes}), "", ErrUnsupported},
		{"PNG in the zip comment", func() []byte {
			var b bytes.Buffer
			w := zip.NewWriter(&b)
			w.SetComment(string(pngBytes[:8]) + "IHDR")
			f, _ := w.Create("word/document.xml")
			io.WriteString(f, docxBody(paragraph))
			w.Close()
			return b.Bytes()
		}(), "", ErrImage},
		{"plain zip of photos", zipFile(t, zipEntry{name: "a.dat", data: string(pngBytes)}), "", ErrImage},
	})
}

func TestCheckODT(t *testing.T) {
	run(t, []verdict{
		{"text", odt(t), ODT, nil},
		{"picture in Pictures", odt(t, zipEntry{name: "Pictures/1.png", data: string(pngBytes)}), "", ErrImage},
		// Check refuses a thumbnail; Save removes it first (see
		// TestSaveRemovesODTThumbnail).
		{"thumbnail", odt(t, zipEntry{name: "Thumbnails/thumbnail.png", data: string(pngBytes)}), "", ErrImage},
		{"PNG named .txt", odt(t, zipEntry{name: "notes.txt", data: string(pngBytes)}), "", ErrImage},
		{"linked picture", zipFile(t, odtEntries(odtMIME, odtParagraph+`<draw:frame><draw:image xlink:href="https://example.org/a.png"/></draw:frame>`)...), "", ErrImage},
		{"SVG drawing", zipFile(t, odtEntries(odtMIME, odtParagraph+`<s:svg xmlns:s="http://www.w3.org/2000/svg"/>`)...), "", ErrImage},
		{"Basic macros", odt(t, zipEntry{name: "Basic/Standard/Module1.xml", data: `<module/>`}), "", ErrActiveContent},
		{"script bound to an event", zipFile(t, odtEntries(odtMIME, odtParagraph+`<script:event-listener script:event-name="dom:load" xlink:href="vnd.sun.star.script:Standard.Module1.Main"/>`)...), "", ErrActiveContent},
		{"spreadsheet", zipFile(t, odtEntries("application/vnd.oasis.opendocument.spreadsheet", odtParagraph)...), "", ErrUnsupported},
		{"mimetype compressed", zipFile(t, append([]zipEntry{{name: "mimetype", data: odtMIME}}, odtEntries(odtMIME, odtParagraph)[1:]...)...), "", ErrUnsupported},
	})
}

func TestCheckZipLimits(t *testing.T) {
	many := make([]zipEntry, maxZipEntries+1)
	for i := range many {
		many[i] = zipEntry{name: fmt.Sprintf("word/part%d.xml", i), data: "<a/>"}
	}
	run(t, []verdict{
		{"entry that lies about its size", rawZip(t, "word/document.xml", zip.FileHeader{Method: zip.Deflate, UncompressedSize64: 1000, CRC32: 1}, zeros(101)), "", ErrTooLarge},
		{"entry that declares more than 100 MB", rawZip(t, "word/document.xml", zip.FileHeader{Method: zip.Deflate, UncompressedSize64: 101 << 20}, zeros(101)), "", ErrTooLarge},
		{"more than 2,000 entries", zipFile(t, many...), "", ErrTooLarge},
		{"encrypted entry", rawZip(t, "word/document.xml", zip.FileHeader{Method: zip.Store, Flags: 1, UncompressedSize64: 3, CRC32: crc32.ChecksumIEEE([]byte("abc"))}, []byte("abc")), "", ErrUnsupported},
		{"damaged entry", rawZip(t, "word/document.xml", zip.FileHeader{Method: zip.Store, UncompressedSize64: 4, CRC32: 7}, []byte("<a/>")), "", ErrUnsupported},
		{"unsafe name", zipFile(t, zipEntry{name: "../word/document.xml", data: "<a/>"}), "", ErrUnsupported},
		{"two entries with one name", zipFile(t, zipEntry{name: "a.xml", data: "<a/>"}, zipEntry{name: "A.xml", data: "<a/>"}), "", ErrUnsupported},
	})
}

func TestCheckText(t *testing.T) {
	run(t, []verdict{
		{"text", []byte(notes + "\n"), TXT, nil},
		{"text with a byte-order mark", []byte("\xef\xbb\xbf" + notes + "\r\n"), TXT, nil},
		{"text in other scripts", []byte("Réunion, совещание, 会议, اجتماع\tف\f\n"), TXT, nil},
		{"text with one comma per line", []byte(notes + "\nNo, that is all.\nThe end\n"), TXT, nil},
		{"text mentioning markup later", []byte(notes + ": <svg> and data:image/png are never accepted\n"), TXT, nil},
		{"text starting with an arrow", []byte("<- " + notes + "\n"), TXT, nil},
		{"NUL byte", []byte(notes + "\x00"), "", ErrUnsupported},
		{"escape character", []byte(notes + "\x1b[31m"), "", ErrUnsupported},
		{"invalid UTF-8", []byte(notes + "\xc3\x28"), "", ErrUnsupported},
		{"UTF-16", []byte("\xff\xfeM\x00e\x00"), "", ErrUnsupported},
		{"HTML", []byte("\n  <!DOCTYPE html><html><body>" + notes + "</body></html>"), "", ErrUnsupported},
		{"XML", []byte("<?xml version=\"1.0\"?><notes/>"), "", ErrUnsupported},
		{"RTF", []byte("{\\rtf1\\ansi " + notes + "}"), "", ErrUnsupported},
		{"PostScript", []byte("%!PS-Adobe-3.0\n/Helvetica findfont\n"), "", ErrUnsupported},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><text>` + notes + `</text></svg>`), "", ErrImage},
		{"SVG after a declaration, comment and DOCTYPE", []byte("\xef\xbb\xbf <?xml version=\"1.0\"?>\n<!-- a -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\" [ <!ENTITY a \">\"> ]>\n<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\"/>"), "", ErrImage},
		{"HTML with SVG inside", []byte("<html><body><SVG viewBox='0 0 1 1'></SVG></body></html>"), "", ErrImage},
		{"data URL", []byte(notes + "\nsee data:image/png;base64,iVBOR\n"), "", ErrImage},
		{"base64 PNG", []byte(notes + "\niVBORw0KGgoAAAANSUhEUgAAAAEAAAAB\n"), "", ErrImage},
		{"base64 JPEG", []byte(notes + "\n/9j/4AAQSkZJRgABAQEASABIAAD\n"), "", ErrImage},
		{"ASCII Netpbm", []byte("P1\n# a\n2 2\n0 1\n1 0\n"), "", ErrImage},
		{"XPM", []byte("/* XPM */\nstatic char *a[] = {\"1 1 1 1\"};\n"), "", ErrImage},
		{"EPS", []byte("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n"), "", ErrImage},
		// Browsers sniff any file that starts "BM" as a BMP; Check asks
		// for a BMP header, which text cannot have.
		{"text starting BM", []byte("BMW meeting notes\n"), TXT, nil},
		{"text starting BM and a space", []byte("BM is a band\n"), TXT, nil},
		{"text starting BM, 26 bytes and more", []byte("BM, or Bundesministerium, notes of the meeting\n"), TXT, nil},
		{"text starting GIF", []byte("GIFs of the meeting are not attached\n"), TXT, nil},
		{"text starting RIFF", []byte("RIFF WEBPVP was a typo\n"), TXT, nil},
		{"binary starting BM", []byte("BM\x00\x01" + notes), "", ErrUnsupported},
		{"only a byte-order mark", []byte("\xef\xbb\xbf"), "", ErrEmpty},
		{"only white space", []byte(" \n\t\n"), "", ErrEmpty},
		{"empty", nil, "", ErrEmpty},
	})
}

func TestCheckCSV(t *testing.T) {
	run(t, []verdict{
		{"comma", []byte("country,hotline,cases\nFrance,Point de Contact,12\nBrazil,SaferNet,-3\n"), CSV, nil},
		{"semicolon", []byte("\xef\xbb\xbfpays;ligne;note\r\nFrance;\"Point; de Contact\";1,5\r\nBelgique;Child Focus;2\r\n"), CSV, nil},
		{"quoted line breaks", []byte("topic,notes\n\"workshop\",\"" + notes + "\nsecond line\"\n"), CSV, nil},
		{"arithmetic and names", []byte("a,b\n=1+2,@hotline\n-5,+33 1 23 45\n"), CSV, nil},
		{"ragged rows are text", []byte("a,b,c\nd,e\n"), TXT, nil},
		{"bare quote is text", []byte("a,b\nsaid \"hi\" there,c\n"), TXT, nil},
		{"one row is text", []byte("a,b,c\n"), TXT, nil},
		{"header starting BM", []byte("BMI,age\n22.5,40\n"), CSV, nil},
		{"header starting BM, longer", []byte("BMI;age;weight;height;country\n22.5;40;70;1.76;France\n"), CSV, nil},
		{"HYPERLINK formula", []byte("a,b\n=HYPERLINK(\"https://example.org\"),x\n"), "", ErrActiveContent},
		{"IMAGE formula", []byte("a;b\nx; =IMAGE(\"https://example.org/a.png\")\n"), "", ErrActiveContent},
		{"DDE", []byte("a,b\n-2+3+cmd|' /C calc'!A0,x\n"), "", ErrActiveContent},
	})
}

func TestCheckImages(t *testing.T) {
	pad := strings.Repeat("\x00\x01\x02\x03", 200)
	riff := func(form string) string { return "RIFF\x24\x00\x00\x00" + form }
	ftyp := func(brand string) string { return "\x00\x00\x00\x18ftyp" + brand + "\x00\x00\x00\x00" + brand + "mif1" }
	emf := "\x01\x00\x00\x00" + strings.Repeat("\x00", 36) + " EMF"
	dicom := strings.Repeat("\x00", 128) + "DICM"
	samples := map[string]string{
		"PNG":                string(pngBytes),
		"JPEG":               "\xff\xd8\xff\xe0\x00\x10JFIF\x00",
		"GIF87a":             "GIF87a\x01\x00\x01\x00",
		"GIF89a":             "GIF89a\x01\x00\x01\x00",
		"BMP":                "BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x18\x00",
		"BMP OS/2 1.x":       "BM\x20\x00\x00\x00\x00\x00\x00\x00\x1a\x00\x00\x00\x0c\x00\x00\x00\x01\x00\x01\x00\x01\x00\x18\x00",
		"BMP OS/2 2.x short": "BM\x30\x00\x00\x00\x00\x00\x00\x00\x2a\x00\x00\x00\x14\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x18\x00",
		"BMP V5":             "BM\x8e\x00\x00\x00\x00\x00\x00\x00\x8a\x00\x00\x00\x7c\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x20\x00",
		"TIFF little":        "II*\x00\x08\x00\x00\x00",
		"TIFF big":           "MM\x00*\x00\x00\x00\x08",
		"WebP":               riff("WEBPVP8 "),
		"ICO":                "\x00\x00\x01\x00\x01\x00\x10\x10",
		"HEIC":               ftyp("heic"),
		"HEIX":               ftyp("heix"),
		"HEVC":               ftyp("hevc"),
		"HEIF mif1":          ftyp("mif1"),
		"HEIF msf1":          ftyp("msf1"),
		"AVIF":               ftyp("avif"),
		"AVIF sequence":      ftyp("avis"),
		"JPEG 2000":          "\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x14ftypjp2 ",
		"JPEG 2000 stream":   "\xff\x4f\xff\x51\x00\x2f",
		"JPEG XL":            "\xff\x0a\xfa\x7f",
		"JPEG XL box":        "\x00\x00\x00\x0cJXL \r\n\x87\n",
		"Photoshop":          "8BPS\x00\x01\x00\x00",
		"MP4 isom":           ftyp("isom"),
		"MP4 mp42":           ftyp("mp42"),
		"QuickTime":          ftyp("qt  "),
		"old QuickTime":      "\x00\x00\x00\x10moov\x00\x00",
		"WebM":               "\x1a\x45\xdf\xa3\x9f\x42\x86\x81",
		"AVI":                riff("AVI LIST"),
		"MPEG":               "\x00\x00\x01\xba\x44\x00",
		"Flash video":        "FLV\x01\x05\x00",
		"Windows Media":      "\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9",
		"EMF":                emf,
		"WMF":                "\xd7\xcd\xc6\x9a\x00\x00",
		"DICOM":              dicom,
		"PCX":                "\x0a\x05\x01\x08\x00\x00",
		"binary Netpbm":      "P6\n1 1\n255\n\xff\x00\x00",
		"OpenEXR":            "v/1\x01\x02\x00",
		"DjVu":               "AT&TFORM\x00\x00\x00\x00DJVU",
		"SVG":                `<svg/>`,
	}
	for name, magic := range samples {
		t.Run(name, func(t *testing.T) {
			_, _, err := Check([]byte(magic + pad))
			if !errors.Is(err, ErrImage) {
				t.Fatalf("Check = %v, want ErrImage", err)
			}
			if !strings.Contains(err.Error(), "never accepted on Polis") {
				t.Errorf("message %q does not explain the rule", err)
			}
		})
	}
}

func TestCheckOtherFormats(t *testing.T) {
	run(t, []verdict{
		{"OLE2 (.doc)", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + strings.Repeat("\x00", 64)), "", ErrUnsupported},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), "", ErrUnsupported},
		{"ELF", []byte("\x7fELF\x02\x01\x01\x00"), "", ErrUnsupported},
		{"Windows executable", []byte("MZ\x90\x00\x03\x00\x00\x00"), "", ErrUnsupported},
		{"empty zip", []byte("PK\x05\x06" + strings.Repeat("\x00", 18)), "", ErrUnsupported},
		{"sound", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), "", ErrUnsupported},
	})
	_, _, err := Check([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + strings.Repeat("\x00", 64)))
	if !strings.Contains(err.Error(), "macros") {
		t.Errorf("OLE2 refusal %q does not say why", err)
	}
}

// Store.

// countingReader counts the bytes Save reads from an upload of n bytes.
type uploadReader struct {
	n, read int64
	fill    byte
}

func (u *uploadReader) Read(p []byte) (int, error) {
	if u.read >= u.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), u.n-u.read)]
	for i := range p {
		p[i] = u.fill
	}
	u.read += int64(len(p))
	return len(p), nil
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestSaveTwiceStoresOnce(t *testing.T) {
	s := &Store{Dir: filepath.Join(t.TempDir(), "files")}
	content := []byte(notes + "\n")
	a, err := s.Save(bytes.NewReader(content), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Save(bytes.NewReader(content), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := Saved{SHA256: "", Size: int64(len(content)), Kind: TXT, MIME: "text/plain; charset=utf-8"}
	want.SHA256 = a.SHA256
	if a != want || b != a || len(a.SHA256) != 64 {
		t.Fatalf("saved %+v then %+v", a, b)
	}
	got := files(t, s.Dir)
	wantPath := filepath.Join(s.Dir, a.SHA256[:2], a.SHA256[2:])
	if len(got) != 1 || got[0] != wantPath {
		t.Fatalf("files %v, want [%s]", got, wantPath)
	}
	for p, mode := range map[string]os.FileMode{wantPath: 0o600, filepath.Dir(wantPath): 0o700, s.Dir: 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), mode)
		}
	}
	f, err := s.Open(a.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if data, _ := io.ReadAll(f); !bytes.Equal(data, content) {
		t.Errorf("Open read %q", data)
	}
}

func TestSaveRefusedLeavesNothing(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	for name, content := range map[string][]byte{"PNG": pngBytes, "empty": nil, "macro": docx(t, zipEntry{name: "word/vbaProject.bin", data: "x"})} {
		if _, err := s.Save(bytes.NewReader(content), Limits{}); err == nil {
			t.Errorf("%s: saved", name)
		}
	}
	if got := files(t, s.Dir); len(got) != 0 {
		t.Fatalf("a refused file left %v", got)
	}
}

func TestSaveTooLarge(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	const limit = 4096
	up := &uploadReader{n: 11 << 20, fill: 'a'}
	if _, err := s.Save(up, Limits{MaxBytes: limit}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Save = %v, want ErrTooLarge", err)
	}
	if up.read > limit+1 {
		t.Errorf("read %d bytes of the upload, at most %d needed", up.read, limit+1)
	}
	exact := &uploadReader{n: limit, fill: 'a'}
	if saved, err := s.Save(exact, Limits{MaxBytes: limit}); err != nil || saved.Size != limit {
		t.Fatalf("a file of exactly the limit: %+v, %v", saved, err)
	}
}

func TestSaveTooLargeDefault(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	up := &uploadReader{n: 11 << 20} // zeros
	if _, err := s.Save(up, Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Save = %v, want ErrTooLarge", err)
	}
	if up.read != DefaultMaxBytes+1 {
		t.Errorf("read %d bytes, want %d", up.read, DefaultMaxBytes+1)
	}
	if got := files(t, s.Dir); len(got) != 0 {
		t.Fatalf("left %v", got)
	}
}

func TestOpenRefusesBadNames(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	good := strings.Repeat("ab", 32)
	for _, sha := range []string{"../x", "", "abc", strings.ToUpper(good), good[:63], good + "0", "../" + good[3:], strings.Repeat("g", 64), "ab/" + good[3:]} {
		if f, err := s.Open(sha); err == nil || !errors.Is(err, fs.ErrInvalid) {
			if f != nil {
				f.Close()
			}
			t.Errorf("Open(%q) = %v, want fs.ErrInvalid", sha, err)
		}
	}
	if _, err := s.Open(good); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a file not stored = %v, want fs.ErrNotExist", err)
	}
}

// FuzzCheck checks that Check and Clean never panic, that what Check
// accepts (as it is, or after Clean) is one of the five kinds and is not
// sniffed as an image or a video (but for the "BM" of a text), and that
// Clean leaves a file Check accepts as it is.
func FuzzCheck(f *testing.F) {
	for _, seed := range [][]byte{
		[]byte(notes), []byte("a,b\n1,2\n"), []byte("a;b\n1;2\n"), textPDF(pageText), pngBytes,
		textPDF("BI /W 1 /H 1 ID x EI"), pdfFile("<< /Subtype /Image >>"),
		docx(f), odt(f), zipFile(f, zipEntry{name: "word/media/a.png", data: string(pngBytes)}),
		[]byte("<svg/>"), []byte("\xef\xbb\xbf"), []byte("BM"), []byte("P1\n1 1\n0\n"),
	} {
		f.Add(seed)
	}
	f.Add(odtWithThumbnail(f))
	f.Add(docxWithThumbnail(f))
	f.Add([]byte("BMI,age\n22.5,40\n"))
	f.Add(bmpBytes)
	accepted := func(t *testing.T, b []byte) bool {
		kind, mime, err := Check(b)
		if err != nil {
			return false
		}
		if _, ok := mimeTypes[kind]; !ok || mime != mimeTypes[kind] {
			t.Fatalf("accepted as %q, %q", kind, mime)
		}
		// Browsers take any "BM" for a BMP, but a BMP header has NUL
		// bytes (see bmp), and no accepted text has one.
		ct := http.DetectContentType(b)
		if ct == "image/bmp" && bytes.IndexByte(b, 0) < 0 {
			return true
		}
		if strings.HasPrefix(ct, "image/") || strings.HasPrefix(ct, "video/") {
			t.Fatalf("accepted as %s but sniffs as %s", kind, ct)
		}
		return true
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ok := accepted(t, b)
		c, err := Clean(b)
		switch {
		case err != nil:
			return
		case ok && (len(c) != len(b) || len(b) > 0 && &c[0] != &b[0]):
			t.Fatalf("Clean changed a file Check accepts")
		}
		accepted(t, c)
	})
}

// A BMP of one pixel, as image editors write it.
var bmpBytes = []byte("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00" +
	"\x28\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x18\x00\x00\x00\x00\x00\x04\x00\x00\x00" +
	"\x13\x0b\x00\x00\x13\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\xff\x00")

func TestCheckBMP(t *testing.T) {
	// The texts are what browsers sniff as BMPs; Check does not.
	for _, text := range []string{"BMI,age\n22.5,40\n", "BM is a band\n"} {
		if ct := http.DetectContentType([]byte(text)); ct != "image/bmp" {
			t.Fatalf("%q sniffs as %s, not image/bmp: the test no longer tests anything", text, ct)
		}
	}
	run(t, []verdict{
		{"BMI header", []byte("BMI,age\n22.5,40\n"), CSV, nil},
		{"BM text", []byte("BM is a band\n"), TXT, nil},
		{"BMP", bmpBytes, "", ErrImage},
		{"BMP with reserved bytes set", append(append([]byte(nil), bmpBytes[:6]...), append([]byte("\x01\x00\x00\x00"), bmpBytes[10:]...)...), "", ErrUnsupported},
		{"BMP with an unknown header size", append(append([]byte(nil), bmpBytes[:14]...), append([]byte("\x41\x00\x00\x00"), bmpBytes[18:]...)...), "", ErrUnsupported},
		{"BMP cut short", bmpBytes[:25], "", ErrUnsupported},
		{"BMP in a DOCX part", docx(t, zipEntry{name: "word/notes.dat", data: string(bmpBytes)}), "", ErrImage},
		{"CSV starting BM in a DOCX part", docx(t, zipEntry{name: "word/notes.txt", data: "BMI,age\n22.5,40\n"}), DOCX, nil},
	})
}

// Thumbnails.

var jpegBytes = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9")

const (
	odtThumbnailEntry = `<manifest:file-entry manifest:full-path="Thumbnails/thumbnail.png" manifest:media-type="image/png"/>`
	thumbnailRel      = `<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail" Target="docProps/thumbnail.jpeg"/>`
	thumbnailOverride = `<Override PartName="/docProps/thumbnail.jpeg" ContentType="image/jpeg"/>`
)

// odtWithThumbnail is an ODT as LibreOffice writes it, with a thumbnail
// stored uncompressed, its folder, and both in the manifest, and extra
// entries.
func odtWithThumbnail(t testing.TB, extra ...zipEntry) []byte {
	entries := odtEntries(odtMIME, odtParagraph)
	manifest := &entries[len(entries)-1]
	manifest.data = strings.Replace(manifest.data, `<manifest:file-entry manifest:full-path="content.xml"`,
		"\n "+`<manifest:file-entry manifest:full-path="Thumbnails/" manifest:media-type=""/>`+"\n "+odtThumbnailEntry+"\n "+`<manifest:file-entry manifest:full-path="content.xml"`, 1)
	entries = append(entries[:4], append([]zipEntry{
		{name: "Thumbnails/", stored: true},
		{name: "Thumbnails/thumbnail.png", data: string(pngBytes), stored: true},
	}, entries[4:]...)...)
	return zipFile(t, append(entries, extra...)...)
}

// docxWithThumbnail is a DOCX with docProps/thumbnail.jpeg, its
// relationship and its content type, and extra entries; rel replaces the
// thumbnail relationship when given.
func docxWithThumbnail(t testing.TB, extra ...zipEntry) []byte {
	entries := docxEntries(paragraph)
	entries[0].data = strings.Replace(entries[0].data, `<Default Extension="xml"`, `<Default Extension="jpeg" ContentType="image/jpeg"/><Default Extension="xml"`, 1)
	entries[0].data = strings.Replace(entries[0].data, `</Types>`, thumbnailOverride+`</Types>`, 1)
	entries[1].data = strings.Replace(entries[1].data, `</Relationships>`, thumbnailRel+`</Relationships>`, 1)
	entries = append(entries, zipEntry{name: "docProps/thumbnail.jpeg", data: string(jpegBytes)})
	return zipFile(t, append(entries, extra...)...)
}

// entries returns the entries of a zip by name, in order, with their
// content.
func entries(t *testing.T, b []byte) ([]string, map[string]string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	data := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		d, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		names = append(names, f.Name)
		data[f.Name] = string(d)
	}
	return names, data
}

// saveStored saves content and returns what was stored, after checking
// that it is what Saved describes.
func saveStored(t *testing.T, content []byte) (Saved, []byte) {
	t.Helper()
	s := &Store{Dir: t.TempDir()}
	saved, err := s.Save(bytes.NewReader(content), Limits{})
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	f, err := s.Open(saved.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stored, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(stored); hex.EncodeToString(sum[:]) != saved.SHA256 || int64(len(stored)) != saved.Size {
		t.Errorf("stored %d bytes with SHA-256 %x, described as %+v", len(stored), sum, saved)
	}
	kind, mime, err := Check(stored)
	if err != nil || kind != saved.Kind || mime != saved.MIME {
		t.Errorf("Check of the stored file = %q, %q, %v; saved as %+v", kind, mime, err, saved)
	}
	return saved, stored
}

// sameEntries fails unless the entries of got are those of want, in
// order and with the same content, but for those named in changed.
func sameEntries(t *testing.T, got, want []byte, changed ...string) {
	t.Helper()
	gotNames, gotData := entries(t, got)
	wantNames, wantData := entries(t, want)
	if len(gotNames) != len(wantNames) {
		t.Fatalf("entries %q, want %q", gotNames, wantNames)
	}
	for i, name := range wantNames {
		if gotNames[i] != name {
			t.Fatalf("entries %q, want %q", gotNames, wantNames)
		}
		if gotData[name] != wantData[name] && !slices.Contains(changed, name) {
			t.Errorf("%s changed:\n%s\nwas:\n%s", name, gotData[name], wantData[name])
		}
	}
}

func TestSaveRemovesODTThumbnail(t *testing.T) {
	content := odtWithThumbnail(t)
	if _, _, err := Check(content); !errors.Is(err, ErrImage) {
		t.Fatalf("Check = %v, want ErrImage: the thumbnail is refused unless Save removes it", err)
	}
	saved, stored := saveStored(t, content)
	if saved.Kind != ODT {
		t.Fatalf("saved as %+v", saved)
	}
	names, data := entries(t, stored)
	for _, name := range names {
		if strings.HasPrefix(strings.ToLower(name), "thumbnails") {
			t.Errorf("stored entry %q", name)
		}
	}
	manifest := data["META-INF/manifest.xml"]
	if strings.Contains(strings.ToLower(manifest), "thumbnail") || !strings.Contains(manifest, `manifest:full-path="content.xml"`) {
		t.Errorf("manifest:\n%s", manifest)
	}
	want := strings.Replace(odtEntries(odtMIME, odtParagraph)[6].data, `<manifest:file-entry manifest:full-path="content.xml"`, "\n "+`<manifest:file-entry manifest:full-path="content.xml"`, 1)
	if manifest != want {
		t.Errorf("manifest:\n%s\nwant:\n%s", manifest, want)
	}
	// The mimetype entry is first, stored, with its size in its header
	// and no extra field, so that its content is at offset 38.
	if names[0] != "mimetype" || string(stored[30:38+len(odtMIME)]) != "mimetype"+odtMIME {
		t.Errorf("stored file starts %q", stored[:min(len(stored), 80)])
	}
	u16 := func(at int) uint16 { return uint16(stored[at]) | uint16(stored[at+1])<<8 }
	if method, flags, extra := u16(8), u16(6), u16(28); method != zip.Store || flags&0x8 != 0 || extra != 0 {
		t.Errorf("mimetype entry with method %d, flags %#x, %d bytes of extra fields", method, flags, extra)
	}
	sameEntries(t, stored, odt(t), "META-INF/manifest.xml")
}

func TestSaveRemovesDOCXThumbnail(t *testing.T) {
	content := docxWithThumbnail(t)
	if _, _, err := Check(content); !errors.Is(err, ErrImage) {
		t.Fatalf("Check = %v, want ErrImage: the thumbnail is refused unless Save removes it", err)
	}
	saved, stored := saveStored(t, content)
	if saved.Kind != DOCX {
		t.Fatalf("saved as %+v", saved)
	}
	names, data := entries(t, stored)
	if slices.ContainsFunc(names, func(n string) bool { return strings.Contains(strings.ToLower(n), "thumbnail") }) {
		t.Errorf("stored entries %q", names)
	}
	// What remains is what Word writes without a thumbnail.
	plain := docxEntries(paragraph)
	if got, want := data["_rels/.rels"], plain[1].data; got != want {
		t.Errorf("_rels/.rels:\n%s\nwant:\n%s", got, want)
	}
	if got, want := data["[Content_Types].xml"], plain[0].data; got != want {
		t.Errorf("[Content_Types].xml:\n%s\nwant:\n%s", got, want)
	}
	sameEntries(t, stored, docx(t))

	// Word writes an EMF thumbnail, and the target may start with /.
	b := docxWithThumbnailAs(t, "emf", "image/x-emf", "/docProps/thumbnail.emf")
	if _, _, err := Check(b); !errors.Is(err, ErrImage) {
		t.Fatalf("Check = %v, want ErrImage", err)
	}
	if saved, stored := saveStored(t, b); saved.Kind != DOCX {
		t.Fatalf("saved as %+v", saved)
	} else {
		sameEntries(t, stored, docx(t))
	}
}

// docxWithThumbnailAs is docxWithThumbnail with another kind of picture
// and relationship target.
func docxWithThumbnailAs(t testing.TB, ext, contentType, target string) []byte {
	entries := docxEntries(paragraph)
	entries[0].data = strings.Replace(entries[0].data, `<Default Extension="xml"`, `<Default Extension="`+ext+`" ContentType="`+contentType+`"/><Default Extension="xml"`, 1)
	entries[1].data = strings.Replace(entries[1].data, `</Relationships>`, strings.Replace(thumbnailRel, `"docProps/thumbnail.jpeg"`, `"`+target+`"`, 1)+`</Relationships>`, 1)
	return zipFile(t, append(entries, zipEntry{name: "docProps/thumbnail." + ext, data: "\x01\x00\x00\x00" + strings.Repeat("\x00", 36) + " EMF"})...)
}

func TestSaveRemovesThumbnailOnly(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	mediaRel := strings.Replace(thumbnailRel, "docProps/thumbnail.jpeg", "word/media/x.png", 1)
	for _, c := range []struct {
		name    string
		content []byte
		err     error
	}{
		{"ODT with a picture too", odtWithThumbnail(t, zipEntry{name: "Pictures/x.png", data: string(pngBytes)}), ErrImage},
		{"ODT with a picture in the manifest too", odtWithThumbnail(t, zipEntry{name: "notes.xml", data: `<a/>`}, zipEntry{name: "x.dat", data: string(jpegBytes)}), ErrImage},
		{"ODT with another file among the thumbnails", odtWithThumbnail(t, zipEntry{name: "Thumbnails/other.txt", data: notes}), ErrImage},
		{"ODT with a picture in the zip comment", func() []byte {
			b := odtWithThumbnail(t)
			zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			var out bytes.Buffer
			w := zip.NewWriter(&out)
			for _, f := range zr.File {
				w.Copy(f)
			}
			w.SetComment(string(pngBytes[:8]) + "IHDR")
			w.Close()
			return out.Bytes()
		}(), ErrImage},
		{"ODT with a picture between entries", func() []byte {
			b := odtWithThumbnail(t)
			zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			var out bytes.Buffer
			w := zip.NewWriter(&out)
			for _, f := range zr.File {
				if f.Name != "meta.xml" {
					w.Copy(f)
					continue
				}
				// The picture follows the entry's data, which its header
				// says ends before it.
				r, _ := f.OpenRaw()
				raw, _ := io.ReadAll(r)
				fh := f.FileHeader
				fh.Flags &^= 0x8
				fw, _ := w.CreateRaw(&fh)
				fw.Write(append(raw, pngBytes...))
			}
			w.Close()
			return out.Bytes()
		}(), ErrImage},
		{"ODT whose manifest is a zip bomb", func() []byte {
			b := odtWithThumbnail(t)
			zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			var out bytes.Buffer
			w := zip.NewWriter(&out)
			for _, f := range zr.File {
				if f.Name == "META-INF/manifest.xml" {
					raw := zeros(5)
					fw, _ := w.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, CompressedSize64: uint64(len(raw)), UncompressedSize64: 1000, CRC32: 1})
					fw.Write(raw)
					continue
				}
				w.Copy(f)
			}
			w.Close()
			return out.Bytes()
		}(), ErrTooLarge},
		{"ODT with a malformed manifest", func() []byte {
			entries := odtEntries(odtMIME, odtParagraph)
			entries[6].data = strings.Replace(entries[6].data, `<manifest:file-entry manifest:full-path="content.xml"`, odtThumbnailEntry+`</manifest:file-entry><manifest:file-entry manifest:full-path="content.xml"`, 1)
			return zipFile(t, append(entries, zipEntry{name: "Thumbnails/thumbnail.png", data: string(pngBytes)})...)
		}(), ErrUnsupported},
		{"ODT spreadsheet", zipFile(t, append(odtEntries("application/vnd.oasis.opendocument.spreadsheet", odtParagraph), zipEntry{name: "Thumbnails/thumbnail.png", data: string(pngBytes)})...), ErrImage},
		{"DOCX with a picture too", docxWithThumbnail(t, zipEntry{name: "word/media/image1.png", data: string(pngBytes)}), ErrImage},
		{"DOCX with only a thumbnail relationship to word/media", zipFile(t, func() []zipEntry {
			e := docxEntries(paragraph)
			e[1].data = strings.Replace(e[1].data, `</Relationships>`, mediaRel+`</Relationships>`, 1)
			return append(e, zipEntry{name: "word/media/x.png", data: string(pngBytes)})
		}()...), ErrImage},
		{"DOCX with a thumbnail and a thumbnail relationship to word/media", zipFile(t, func() []zipEntry {
			e := docxEntries(paragraph)
			e[1].data = strings.Replace(e[1].data, `</Relationships>`, thumbnailRel+strings.Replace(mediaRel, "rId9", "rId10", 1)+`</Relationships>`, 1)
			return append(e, zipEntry{name: "docProps/thumbnail.jpeg", data: string(jpegBytes)}, zipEntry{name: "word/media/x.png", data: string(pngBytes)})
		}()...), ErrImage},
		{"DOCX with an external thumbnail", zipFile(t, func() []zipEntry {
			e := docxEntries(paragraph)
			e[1].data = strings.Replace(e[1].data, `</Relationships>`, strings.Replace(thumbnailRel, "/>", ` TargetMode="External"/>`, 1)+`</Relationships>`, 1)
			return append(e, zipEntry{name: "docProps/thumbnail.jpeg", data: string(jpegBytes)})
		}()...), ErrImage},
		{"DOCX with a picture type that a part uses", docxWithThumbnail(t, zipEntry{name: "word/a.jpeg", data: "x"}), ErrImage},
		{"DOCX with macros", docxWithThumbnail(t, zipEntry{name: "word/vbaProject.bin", data: "\x00macro"}), ErrActiveContent},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.Save(bytes.NewReader(c.content), Limits{}); !errors.Is(err, c.err) {
				t.Fatalf("Save = %v, want %v", err, c.err)
			}
		})
	}
	if got := files(t, s.Dir); len(got) != 0 {
		t.Fatalf("a refused file left %v", got)
	}
}

func TestCleanLeavesOtherFilesAlone(t *testing.T) {
	for name, content := range map[string][]byte{
		"text": []byte(notes), "PDF": textPDF(pageText), "ODT": odt(t), "DOCX": docx(t), "PNG": pngBytes,
		"thumbnail alone": zipFile(t, zipEntry{name: "Thumbnails/thumbnail.png", data: string(pngBytes)}),
		"not a zip":       []byte("PK\x03\x04 and no more"),
	} {
		got, err := Clean(content)
		if err != nil || len(got) != len(content) || &got[0] != &content[0] {
			t.Errorf("%s: Clean = %d bytes, %v; want the same slice", name, len(got), err)
		}
	}
	// A picture type declared in [Content_Types].xml and not used is kept
	// when there is no thumbnail: Check accepts it, and Clean edits
	// nothing then.
	b := docxWithTypes(t, `<Default Extension="png" ContentType="image/png"/>`)
	if got, err := Clean(b); err != nil || !bytes.Equal(got, b) {
		t.Errorf("Clean = %v", err)
	}
}

// TestSaveLibreOffice saves documents LibreOffice writes, when it is
// installed: an ODT with its thumbnail, and a DOCX.
func TestSaveLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil || testing.Short() {
		t.Skip("needs LibreOffice (soffice), and is slow")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(src, []byte(notes+"\nSecond line, with a comma.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, format := range []string{"odt", "docx:MS Word 2007 XML"} {
		cmd := exec.CommandContext(ctx, soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
			"--convert-to", format, "--outdir", dir, src)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("soffice --convert-to %s: %v\n%s", format, err, out)
		}
	}
	for _, c := range []struct {
		file string
		kind Kind
	}{{"notes.odt", ODT}, {"notes.docx", DOCX}} {
		content, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		saved, stored := saveStored(t, content)
		names, data := entries(t, stored)
		if saved.Kind != c.kind || slices.ContainsFunc(names, func(n string) bool { return strings.Contains(strings.ToLower(n), "thumbnail") }) {
			t.Errorf("%s saved as %+v, with entries %q", c.file, saved, names)
		}
		if !strings.Contains(data["content.xml"]+data["word/document.xml"], "hotline cooperation") {
			t.Errorf("%s: the text is gone", c.file)
		}
		t.Logf("%s: %d bytes uploaded, %d stored, entries %q", c.file, len(content), len(stored), names)

		// LibreOffice still reads the file stored.
		out := filepath.Join(dir, "stored")
		if err := os.MkdirAll(out, 0o700); err != nil {
			t.Fatal(err)
		}
		kept := filepath.Join(out, c.file)
		if err := os.WriteFile(kept, stored, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
			"--convert-to", "txt:Text (encoded):UTF8", "--outdir", out, kept)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("soffice --convert-to txt %s: %v\n%s", c.file, err, msg)
		}
		text, err := os.ReadFile(strings.TrimSuffix(kept, filepath.Ext(kept)) + ".txt")
		if err != nil || !strings.Contains(string(text), notes) {
			t.Errorf("LibreOffice reads the stored %s as %q, %v", c.file, text, err)
		}
	}
}
