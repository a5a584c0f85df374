package attachment

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"errors"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Bounds on unpacking a zip, which headers cannot be trusted to keep: the
// bytes actually inflated are counted as well.
const (
	maxZipEntries = 2000
	maxZipBytes   = 100 << 20
)

const odtMIME = "application/vnd.oasis.opendocument.text"

// imageExtensions are refused as entry names in any zip, whatever the
// entry holds.
var imageExtensions = map[string]bool{
	".png": true, ".apng": true, ".jpg": true, ".jpeg": true, ".jpe": true, ".jfif": true,
	".gif": true, ".bmp": true, ".dib": true, ".tif": true, ".tiff": true, ".webp": true,
	".svg": true, ".svgz": true, ".emf": true, ".emz": true, ".wmf": true, ".wmz": true,
	".heic": true, ".heif": true, ".avif": true, ".ico": true, ".jxl": true, ".jp2": true,
	".jxr": true, ".wdp": true, ".hdp": true, ".pct": true, ".pict": true, ".psd": true,
	".svm": true, ".pcx": true, ".tga": true, ".eps": true, ".raw": true, ".dng": true,
	".cr2": true, ".nef": true, ".mp4": true, ".m4v": true, ".mov": true, ".avi": true,
	".wmv": true, ".webm": true, ".mkv": true, ".mpg": true, ".mpeg": true, ".3gp": true,
	".flv": true, ".swf": true, ".gifv": true,
}

// pictureFolders are folders that hold pictures in office formats
// (word/media, Pictures, Thumbnails, ObjectReplacements).
var pictureFolders = map[string]bool{
	"media": true, "pictures": true, "thumbnails": true, "objectreplacements": true,
}

// checkZip accepts a DOCX or ODT without pictures, media or active
// content, and refuses every other zip.
func checkZip(b []byte) (Kind, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return "", refuse(ErrUnsupported, "zip archive that cannot be read: %v", err)
	}
	if len(zr.File) == 0 {
		return "", refuse(ErrUnsupported, "empty zip archive")
	}
	if len(zr.File) > maxZipEntries {
		return "", refuse(ErrTooLarge, "zip archive with more than %d entries", maxZipEntries)
	}
	var declared uint64
	seen := make(map[string]bool, len(zr.File))
	for _, f := range zr.File {
		if f.UncompressedSize64 > maxZipBytes {
			return "", refuse(ErrTooLarge, "zip entry %q declares more than %d bytes unpacked", f.Name, maxZipBytes)
		}
		if declared += f.UncompressedSize64; declared > maxZipBytes {
			return "", refuse(ErrTooLarge, "zip entries declare more than %d bytes unpacked", maxZipBytes)
		}
		name := entryName(f.Name)
		if !fs.ValidPath(strings.TrimSuffix(name, "/")) {
			return "", refuse(ErrUnsupported, "zip entry with an unsafe name %q", f.Name)
		}
		if seen[name] {
			return "", refuse(ErrUnsupported, "zip archive with two entries named %q", f.Name)
		}
		seen[name] = true
	}
	z := zipScan{imageTypes: map[string]string{}}
	for i, f := range zr.File {
		z.first = i == 0
		if err := z.entry(f); err != nil {
			return "", err
		}
	}
	for name := range seen {
		if ct, ok := z.imageTypes[path.Ext(name)]; ok && !strings.HasSuffix(name, "/") {
			return "", refuse(ErrImage, "zip entry %q declared as %s", name, ct)
		}
	}
	// Bytes no entry claims (between entries, in the comment) are not
	// seen by a zip reader, but a carving tool finds a picture there.
	if what := embeddedImage(b); what != "" {
		return "", refuse(ErrImage, "%s inside a zip archive, outside its entries", what)
	}

	odt := len(b) >= 38+len(odtMIME) && string(b[30:38]) == "mimetype" && string(b[38:38+len(odtMIME)]) == odtMIME &&
		zr.File[0].Name == "mimetype" && zr.File[0].Method == zip.Store && z.mimetype == odtMIME
	docx := seen["[content_types].xml"] && seen["word/document.xml"]
	switch {
	case odt && !docx:
		return ODT, nil
	case docx && !odt:
		return DOCX, nil
	case z.mimetype == odtMIME:
		return "", refuse(ErrUnsupported, "ODT whose mimetype entry is not first and uncompressed")
	case z.mimetype != "":
		return "", refuse(ErrUnsupported, "OpenDocument file of type %q: only text documents (.odt) are accepted", z.mimetype)
	case seen["[content_types].xml"] && seen["xl/workbook.xml"]:
		return "", refuse(ErrUnsupported, "Excel workbook (.xlsx): save it as CSV or PDF")
	case seen["[content_types].xml"] && seen["ppt/presentation.xml"]:
		return "", refuse(ErrUnsupported, "PowerPoint presentation (.pptx): save it as PDF")
	}
	return "", refuse(ErrUnsupported, "zip archive that is neither a DOCX nor an ODT document")
}

// entryName is a zip entry's name as office programs compare them: part
// names are case-insensitive, and some readers take \ for /.
func entryName(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "\\", "/"))
}

// zipScan carries what one entry tells about others.
type zipScan struct {
	read       int64             // bytes inflated so far
	first      bool              // the entry being read is the first
	mimetype   string            // the content of a first entry named "mimetype"
	imageTypes map[string]string // extension → image type, from [Content_Types].xml
}

// entry inspects one zip entry: its name, its first bytes, image
// signatures anywhere in its data, and, when it is XML, its elements.
func (z *zipScan) entry(f *zip.File) error {
	name := entryName(f.Name)
	if f.Flags&1 != 0 {
		return refuse(ErrUnsupported, "encrypted zip entry %q, which cannot be inspected", f.Name)
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return refuse(ErrUnsupported, "zip entry %q compressed with method %d", f.Name, f.Method)
	}
	if !strings.HasSuffix(name, "/") {
		if err := entryNameRule(name); err != nil {
			return err
		}
	}

	raw, err := f.OpenRaw()
	if err != nil {
		return refuse(ErrUnsupported, "zip entry %q cannot be read: %v", f.Name, err)
	}
	var src io.Reader = raw
	if f.Method == zip.Deflate {
		fr := flate.NewReader(raw)
		defer fr.Close()
		src = fr
	}
	cr := &countingReader{r: io.LimitReader(src, int64(f.UncompressedSize64)+1), crc: crc32.NewIEEE()}
	br := bufio.NewReaderSize(cr, 4096)
	start, _ := br.Peek(512)
	if what := sniffImage(start); what != "" {
		return refuse(ErrImage, "zip entry %q is a %s", f.Name, what)
	}
	if ct := sniffedImage(start); ct != "" {
		return refuse(ErrImage, "zip entry %q sniffed as %s", f.Name, ct)
	}
	if z.first && name == "mimetype" {
		z.mimetype = string(head(start, 100))
	}
	isXML := false
	switch text := bytes.TrimLeft(bytes.TrimPrefix(start, utf8BOM), " \t\r\n"); {
	case bytes.HasPrefix(start, []byte("\xff\xfe")) || bytes.HasPrefix(start, []byte("\xfe\xff")) ||
		bytes.HasPrefix(text, []byte("<\x00")) || bytes.HasPrefix(text, []byte("\x00<")):
		return refuse(ErrUnsupported, "zip entry %q is UTF-16 text, which cannot be inspected", f.Name)
	case bytes.HasPrefix(text, []byte("<")):
		isXML = true
		if err := z.xml(f.Name, br); err != nil {
			if cr.n > int64(f.UncompressedSize64) {
				return z.bomb(f)
			}
			return err
		}
	}
	_, err = io.Copy(io.Discard, br)
	switch {
	case cr.n > int64(f.UncompressedSize64):
		return z.bomb(f)
	case cr.found != "" && !isXML:
		return refuse(ErrImage, "%s inside zip entry %q", cr.found, f.Name)
	case err != nil:
		return refuse(ErrUnsupported, "zip entry %q cannot be unpacked: %v", f.Name, err)
	case cr.n != int64(f.UncompressedSize64) || cr.crc.Sum32() != f.CRC32:
		return refuse(ErrUnsupported, "zip entry %q is damaged (size or checksum)", f.Name)
	}
	if z.read += cr.n; z.read > maxZipBytes {
		return refuse(ErrTooLarge, "zip archive unpacks to more than %d bytes", maxZipBytes)
	}
	return nil
}

func (z *zipScan) bomb(f *zip.File) error {
	return refuse(ErrTooLarge, "zip entry %q unpacks to more than the %d bytes it declares: a zip bomb", f.Name, f.UncompressedSize64)
}

// entryNameRule refuses entries by name (lower case): pictures, macros
// and embedded objects.
func entryNameRule(name string) error {
	dir, base := path.Split(name)
	if imageExtensions[path.Ext(base)] {
		return refuse(ErrImage, "picture or video %q", name)
	}
	for _, folder := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
		if pictureFolders[folder] {
			return refuse(ErrImage, "%q is in a folder of pictures or thumbnails", name)
		}
	}
	switch {
	case base == "vbaproject.bin" || base == "vbadata.xml" || base == "vbaprojectsignature.bin":
		return refuse(ErrActiveContent, "macros (%q)", name)
	case strings.HasPrefix(name, "word/embeddings/") || strings.HasPrefix(name, "word/activex/"):
		return refuse(ErrActiveContent, "embedded object or control (%q)", name)
	case strings.HasPrefix(name, "word/") && path.Ext(base) == ".bin" && !strings.HasPrefix(name, "word/printersettings/"):
		return refuse(ErrActiveContent, "embedded binary object (%q)", name)
	case strings.HasPrefix(name, "basic/") || strings.HasPrefix(name, "scripts/"):
		return refuse(ErrActiveContent, "macros (%q)", name)
	}
	return nil
}

// countingReader counts and checksums what is read through it, and
// notes the first image signature in it.
type countingReader struct {
	r     io.Reader
	n     int64
	crc   hash.Hash32
	tail  []byte
	found string
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		c.crc.Write(p[:n])
		if c.found == "" {
			window := append(c.tail, p[:n]...)
			c.found = embeddedImage(window)
			c.tail = append(c.tail[:0], window[max(0, len(window)-embeddedOverlap):]...)
		}
	}
	return n, err
}

// Namespaces of the OpenDocument elements that are checked.
const (
	nsDraw     = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
	nsStyle    = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
	nsOffice   = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
	nsScript   = "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
	nsText     = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
	nsTable    = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
	nsManifest = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
	nsPresent  = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
	nsSVG      = "http://www.w3.org/2000/svg"
)

// xmlElements are refused elements: by namespace and local name for
// OpenDocument, by local name alone ("*") for Office Open XML, whose
// namespaces differ between its transitional and strict forms.
var xmlElements = map[xml.Name]struct {
	sentinel error
	what     string
}{
	{Space: "*", Local: "blip"}:                   {ErrImage, "picture"},
	{Space: "*", Local: "svgBlip"}:                {ErrImage, "SVG picture"},
	{Space: "*", Local: "imagedata"}:              {ErrImage, "VML picture"},
	{Space: "*", Local: "binData"}:                {ErrImage, "embedded picture data"},
	{Space: "*", Local: "videoFile"}:              {ErrImage, "video"},
	{Space: "*", Local: "quickTimeFile"}:          {ErrImage, "video"},
	{Space: "*", Local: "webVideoPr"}:             {ErrImage, "online video"},
	{Space: "*", Local: "OLEObject"}:              {ErrActiveContent, "embedded OLE object"},
	{Space: "*", Local: "altChunk"}:               {ErrActiveContent, "embedded foreign document (altChunk)"},
	{Space: nsDraw, Local: "image"}:               {ErrImage, "picture"},
	{Space: nsDraw, Local: "fill-image"}:          {ErrImage, "picture fill"},
	{Space: nsOffice, Local: "binary-data"}:       {ErrImage, "embedded picture data"},
	{Space: nsSVG, Local: "*"}:                    {ErrImage, "SVG drawing"},
	{Space: nsDraw, Local: "object"}:              {ErrActiveContent, "embedded object"},
	{Space: nsDraw, Local: "object-ole"}:          {ErrActiveContent, "embedded OLE object"},
	{Space: nsDraw, Local: "plugin"}:              {ErrActiveContent, "plug-in"},
	{Space: nsDraw, Local: "applet"}:              {ErrActiveContent, "applet"},
	{Space: nsDraw, Local: "floating-frame"}:      {ErrActiveContent, "frame with another document"},
	{Space: nsOffice, Local: "script"}:            {ErrActiveContent, "script"},
	{Space: nsScript, Local: "event-listener"}:    {ErrActiveContent, "script bound to an event"},
	{Space: nsPresent, Local: "event-listener"}:   {ErrActiveContent, "script bound to an event"},
	{Space: nsOffice, Local: "dde-source"}:        {ErrActiveContent, "DDE link"},
	{Space: nsText, Local: "dde-connection-decl"}: {ErrActiveContent, "DDE link"},
	{Space: nsTable, Local: "dde-link"}:           {ErrActiveContent, "DDE link"},
	{Space: nsManifest, Local: "encryption-data"}: {ErrUnsupported, "encrypted document, which cannot be inspected"},
}

// wordElements are refused only in the WordprocessingML namespaces, where
// their names are not ambiguous.
var wordElements = map[string]string{
	"object":  "embedded OLE object",
	"control": "ActiveX control",
}

// relationships are refused relationship types (the last part of the
// type URI, lower case), in .rels parts of Office Open XML.
var relationships = map[string]struct {
	sentinel error
	what     string
}{
	"image":                 {ErrImage, "picture"},
	"hdphoto":               {ErrImage, "picture"},
	"thumbnail":             {ErrImage, "document thumbnail"},
	"video":                 {ErrImage, "video"},
	"media":                 {ErrImage, "media"},
	"audio":                 {ErrUnsupported, "sound"},
	"oleobject":             {ErrActiveContent, "embedded OLE object"},
	"package":               {ErrActiveContent, "embedded package"},
	"control":               {ErrActiveContent, "ActiveX control"},
	"activexcontrolbinary":  {ErrActiveContent, "ActiveX control"},
	"vbaproject":            {ErrActiveContent, "macros"},
	"vbaprojectsignature":   {ErrActiveContent, "macros"},
	"wordvbadata":           {ErrActiveContent, "macros"},
	"afchunk":               {ErrActiveContent, "embedded foreign document (altChunk)"},
	"subdocument":           {ErrActiveContent, "linked subdocument"},
	"frame":                 {ErrActiveContent, "frame with another document"},
	"webextension":          {ErrActiveContent, "Office add-in"},
	"webextensiontaskpanes": {ErrActiveContent, "Office add-in"},
	"extensibility":         {ErrActiveContent, "custom user interface with macros"},
	"attachedtoolbars":      {ErrActiveContent, "toolbars with macros"},
}

// fieldCodes are refused Word field instructions (upper case).
var fieldCodes = map[string]struct {
	sentinel error
	what     string
}{
	"INCLUDEPICTURE": {ErrImage, "linked picture field"},
	"IMPORT":         {ErrImage, "linked picture field"},
	"INCLUDETEXT":    {ErrActiveContent, "field that includes another file"},
	"INCLUDE":        {ErrActiveContent, "field that includes another file"},
	"LINK":           {ErrActiveContent, "linked object field"},
	"DDE":            {ErrActiveContent, "DDE field"},
	"DDEAUTO":        {ErrActiveContent, "DDE field"},
	"EMBED":          {ErrActiveContent, "embedded object field"},
	"MACROBUTTON":    {ErrActiveContent, "macro field"},
}

// maxFieldText bounds the field instruction text kept while parsing.
const maxFieldText = 64 << 10

// xml checks the elements of an XML entry.
func (z *zipScan) xml(name string, r io.Reader) error {
	d := xml.NewDecoder(r)
	var fields []*strings.Builder // instructions of the open fields, innermost last
	inInstr := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return refuse(ErrUnsupported, "zip entry %q is not well-formed XML: %v", name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := z.element(name, t); err != nil {
				return err
			}
			switch t.Name.Local {
			case "instrText":
				inInstr = true
			case "fldSimple":
				if err := fieldCode(name, attr(t, "instr")); err != nil {
					return err
				}
			case "fldChar":
				switch attr(t, "fldCharType") {
				case "begin":
					fields = append(fields, &strings.Builder{})
				case "separate", "end":
					if len(fields) > 0 {
						if err := fieldCode(name, fields[len(fields)-1].String()); err != nil {
							return err
						}
						if attr(t, "fldCharType") == "end" {
							fields = fields[:len(fields)-1]
						} else {
							fields[len(fields)-1].Reset()
						}
					}
				}
			}
		case xml.EndElement:
			if t.Name.Local == "instrText" {
				inInstr = false
			}
		case xml.CharData:
			if inInstr {
				if len(fields) == 0 {
					fields = append(fields, &strings.Builder{}) // text outside begin/end: still checked
				}
				f := fields[len(fields)-1]
				if f.Len() < maxFieldText {
					f.Write(t)
				}
			}
		}
	}
	for _, f := range fields {
		if err := fieldCode(name, f.String()); err != nil {
			return err
		}
	}
	return nil
}

// element checks one start element and its attributes.
func (z *zipScan) element(entry string, t xml.StartElement) error {
	for _, key := range []xml.Name{t.Name, {Space: "*", Local: t.Name.Local}, {Space: t.Name.Space, Local: "*"}} {
		if r, ok := xmlElements[key]; ok {
			return refuse(r.sentinel, "%s <%s> in %q", r.what, t.Name.Local, entry)
		}
	}
	if what, ok := wordElements[t.Name.Local]; ok && strings.Contains(t.Name.Space, "wordprocessingml") {
		return refuse(ErrActiveContent, "%s <%s> in %q", what, t.Name.Local, entry)
	}
	for _, a := range t.Attr {
		v := strings.ToLower(strings.TrimSpace(a.Value))
		switch {
		case a.Name.Local == "gfxdata":
			return refuse(ErrImage, "VML graphics data (o:gfxdata) in %q, which can hold a picture", entry)
		case strings.HasPrefix(v, "vnd.sun.star.script:") || strings.HasPrefix(v, "macro:") ||
			strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:"):
			return refuse(ErrActiveContent, "link that runs a script or macro in %q", entry)
		}
	}
	switch {
	case t.Name.Space == nsStyle && t.Name.Local == "background-image" && attr(t, "href") != "":
		return refuse(ErrImage, "background picture in %q", entry)
	case t.Name.Space == nsText && t.Name.Local == "section-source" && attr(t, "href") != "":
		return refuse(ErrActiveContent, "section linked to another document in %q", entry)
	case t.Name.Local == "Relationship":
		return relationship(entry, t)
	case t.Name.Local == "Override" || t.Name.Local == "Default" || (t.Name.Space == nsManifest && t.Name.Local == "file-entry"):
		ct := strings.ToLower(attr(t, "ContentType") + attr(t, "media-type"))
		switch {
		case strings.Contains(ct, "macroenabled") || strings.Contains(ct, "vbaproject") ||
			strings.Contains(ct, "oleobject") || strings.Contains(ct, "activex"):
			return refuse(ErrActiveContent, "part of type %q", ct)
		case strings.HasPrefix(ct, "image/") || strings.HasPrefix(ct, "video/"):
			if ext := attr(t, "Extension"); t.Name.Local == "Default" {
				z.imageTypes["."+strings.ToLower(ext)] = ct
				return nil
			}
			return refuse(ErrImage, "part %q of type %q", attr(t, "PartName")+attr(t, "full-path"), ct)
		}
	}
	return nil
}

// relationship checks an Office Open XML relationship.
func relationship(entry string, t xml.StartElement) error {
	typ := strings.ToLower(attr(t, "Type"))
	typ = typ[strings.LastIndexByte(typ, '/')+1:]
	target := strings.ToLower(strings.TrimSpace(attr(t, "Target")))
	if r, ok := relationships[typ]; ok {
		return refuse(r.sentinel, "%s (relationship in %q)", r.what, entry)
	}
	if strings.HasPrefix(target, "javascript:") || strings.HasPrefix(target, "vbscript:") {
		return refuse(ErrActiveContent, "link that runs a script (relationship in %q)", entry)
	}
	if typ == "attachedtemplate" && strings.EqualFold(attr(t, "TargetMode"), "External") &&
		(strings.HasPrefix(target, `\\`) || strings.HasPrefix(target, "//") ||
			(strings.Contains(target, "://") && !strings.HasPrefix(target, "file:///"))) {
		return refuse(ErrActiveContent, "template loaded from another computer (relationship in %q)", entry)
	}
	return nil
}

// fieldCode checks a Word field instruction by its first word.
func fieldCode(entry, instr string) error {
	words := strings.Fields(instr)
	if len(words) == 0 {
		return nil
	}
	if r, ok := fieldCodes[strings.ToUpper(words[0])]; ok {
		return refuse(r.sentinel, "%s %s in %q", r.what, strings.ToUpper(words[0]), entry)
	}
	return nil
}

// attr returns the value of the attribute with the local name, in any
// namespace.
func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
