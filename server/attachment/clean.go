package attachment

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"errors"
	"hash/crc32"
	"io"
	"path"
	"strings"
)

// Thumbnails. LibreOffice writes a picture of the first page into every
// ODT (Thumbnails/thumbnail.png), and Word and python-docx sometimes
// write one into a DOCX (docProps/thumbnail.jpeg, or .png, .emf, .wmf).
// Check refuses them like any picture: nothing ties a thumbnail to the
// text beside it, so a crafted one can show anything. Clean removes them
// instead, with the references to them, so that the file the forum keeps
// holds no picture and ordinary documents are still accepted.

// odtThumbnails are the thumbnail of an OpenDocument file and its folder,
// as entryName spells them.
var odtThumbnails = map[string]bool{"thumbnails/thumbnail.png": true, "thumbnails/": true}

// docxThumbnail reports whether name (as entryName spells it) is a part
// Office writes a document thumbnail to.
func docxThumbnail(name string) bool {
	switch name {
	case "docprops/thumbnail.jpeg", "docprops/thumbnail.jpg", "docprops/thumbnail.png",
		"docprops/thumbnail.emf", "docprops/thumbnail.wmf":
		return true
	}
	return false
}

// maxEditedPart bounds each XML part Clean unpacks to edit (a manifest,
// a relationships part, the content types), which is a few kilobytes in
// real documents.
const maxEditedPart = 4 << 20

// Clean returns the content to store for an upload: content itself when
// there is nothing to remove, or, for an ODT or DOCX with a document
// thumbnail, a copy of the archive without the thumbnail and without the
// entries that name it: for an ODT, Thumbnails/thumbnail.png, the
// Thumbnails/ folder and their manifest:file-entry elements in
// META-INF/manifest.xml; for a DOCX, docProps/thumbnail.* (JPEG, PNG, EMF
// or WMF), its relationship in _rels/.rels, its Override in
// [Content_Types].xml and the Default image types no remaining part uses.
// Every other entry is copied as it is, still compressed; an ODT's
// mimetype entry stays first and uncompressed, without extra fields.
//
// Clean removes nothing else, and does not judge what remains: a picture
// anywhere else, or a thumbnail relationship that leads elsewhere than
// docProps, is left for Check to refuse, and the result must be given to
// Check, as Save does. Clean returns an error (wrapping a sentinel, like
// Check's) only when it cannot do its work: when a part it must edit
// cannot be unpacked within the limits Check keeps (a zip bomb, a damaged
// or encrypted part) or is not well-formed XML, or when the bytes it
// would drop hide a picture. A file it cannot make sense of otherwise is
// returned as it is, for Check to refuse.
func Clean(content []byte) ([]byte, error) {
	if !bytes.HasPrefix(content, []byte("PK\x03\x04")) {
		return content, nil
	}
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil || len(zr.File) == 0 || len(zr.File) > maxZipEntries {
		return content, nil // Check says why
	}
	parts := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		name := entryName(f.Name)
		if parts[name] != nil {
			return content, nil // two entries with one name: Check refuses it
		}
		parts[name] = f
	}

	first := zr.File[0]
	odt := len(content) >= 38+len(odtMIME) && string(content[30:38]) == "mimetype" &&
		string(content[38:38+len(odtMIME)]) == odtMIME && first.Name == "mimetype" && first.Method == zip.Store
	docx := parts["[content_types].xml"] != nil && parts["word/document.xml"] != nil
	strip := map[string]bool{}
	for name := range parts {
		if (odt && odtThumbnails[name]) || (docx && docxThumbnail(name)) {
			strip[name] = true
		}
	}
	if odt == docx || len(strip) == 0 {
		return content, nil
	}

	// The bytes that are dropped (the thumbnails' headers, what lies
	// between entries, the edited parts as they were) are checked as
	// Check would have checked them: only the thumbnails' own data may
	// hold a picture.
	scan := bytes.Clone(content)
	for name := range strip {
		f := parts[name]
		off, err := f.DataOffset()
		if err != nil || off < 0 || uint64(off)+f.CompressedSize64 > uint64(len(scan)) {
			return content, nil // damaged: Check refuses it
		}
		clear(scan[off : uint64(off)+f.CompressedSize64])
	}
	if what := embeddedImage(scan); what != "" {
		return nil, refuse(ErrImage, "%s inside a zip archive, besides its thumbnail", what)
	}

	// The parts to edit, and how.
	edits := map[string]func(xml.StartElement) bool{}
	if odt {
		edits["meta-inf/manifest.xml"] = func(t xml.StartElement) bool {
			p, ok := onlyAttr(t, "full-path")
			return ok && t.Name.Space == nsManifest && t.Name.Local == "file-entry" &&
				odtThumbnails[entryName(strings.TrimPrefix(p, "/"))]
		}
	} else {
		edits["_rels/.rels"] = func(t xml.StartElement) bool {
			typ, ok1 := onlyAttr(t, "Type")
			target, ok2 := onlyAttr(t, "Target")
			mode, _ := onlyAttr(t, "TargetMode")
			return ok1 && ok2 && t.Name.Local == "Relationship" &&
				strings.HasSuffix(strings.ToLower(typ), "/metadata/thumbnail") &&
				!strings.EqualFold(strings.TrimSpace(mode), "External") && strip[partName(target)]
		}
		used := map[string]bool{} // extensions of the parts kept
		for name := range parts {
			if !strip[name] && !strings.HasSuffix(name, "/") {
				used[path.Ext(name)] = true
			}
		}
		edits["[content_types].xml"] = func(t xml.StartElement) bool {
			switch t.Name.Local {
			case "Override":
				p, ok := onlyAttr(t, "PartName")
				return ok && strip[partName(p)]
			case "Default":
				ext, ok1 := onlyAttr(t, "Extension")
				ct, ok2 := onlyAttr(t, "ContentType")
				ct = strings.ToLower(strings.TrimSpace(ct))
				return ok1 && ok2 && (strings.HasPrefix(ct, "image/") || strings.HasPrefix(ct, "video/")) &&
					!used["."+strings.ToLower(ext)]
			}
			return false
		}
	}
	edited := map[string][]byte{}
	for name, drop := range edits {
		f := parts[name]
		if f == nil {
			continue
		}
		data, err := readPart(f)
		if err != nil {
			return nil, err
		}
		data, changed, err := removeElements(data, drop)
		if err != nil {
			return nil, refuse(ErrUnsupported, "zip entry %q is not well-formed XML: %v", f.Name, err)
		}
		if changed {
			edited[name] = data
		}
	}

	var out bytes.Buffer
	out.Grow(len(content))
	w := zip.NewWriter(&out)
	for i, f := range zr.File {
		name := entryName(f.Name)
		switch data, isEdited := edited[name]; {
		case strip[name]:
		case odt && i == 0:
			err = writeMimetype(w, f)
		case isEdited:
			err = writeEdited(w, f, data)
		default:
			err = w.Copy(f)
		}
		if err != nil {
			return nil, refuse(ErrUnsupported, "zip entry %q cannot be copied: %v", f.Name, err)
		}
	}
	if err := w.SetComment(zr.Comment); err != nil {
		return nil, refuse(ErrUnsupported, "zip comment cannot be copied: %v", err)
	}
	if err := w.Close(); err != nil {
		return nil, refuse(ErrUnsupported, "zip archive cannot be rewritten: %v", err)
	}
	return out.Bytes(), nil
}

// partName is the entry a part name or a package relationship target
// names, as entryName spells it, or "" when it leaves the package. Both
// are relative to the root of the package, with or without a leading /.
func partName(p string) string {
	p = strings.TrimPrefix(strings.TrimSpace(p), "/")
	if p == "" {
		return ""
	}
	p = path.Clean(p)
	if p == "." || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, ":") {
		return ""
	}
	return entryName(p)
}

// onlyAttr returns the value of the attribute with the local name, when
// there is exactly one (in any namespace): an element that repeats it
// under another prefix is not one Clean edits.
func onlyAttr(t xml.StartElement, local string) (string, bool) {
	var v string
	n := 0
	for _, a := range t.Attr {
		if a.Name.Local == local {
			v = a.Value
			n++
		}
	}
	return v, n == 1
}

// readPart unpacks an entry of at most maxEditedPart bytes, counting the
// bytes inflated, as Check does, rather than trusting the header.
func readPart(f *zip.File) ([]byte, error) {
	switch {
	case f.Flags&1 != 0:
		return nil, refuse(ErrUnsupported, "encrypted zip entry %q, which cannot be inspected", f.Name)
	case f.Method != zip.Store && f.Method != zip.Deflate:
		return nil, refuse(ErrUnsupported, "zip entry %q compressed with method %d", f.Name, f.Method)
	case f.UncompressedSize64 > maxEditedPart:
		return nil, refuse(ErrTooLarge, "zip entry %q declares more than %d bytes unpacked", f.Name, maxEditedPart)
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, refuse(ErrUnsupported, "zip entry %q cannot be read: %v", f.Name, err)
	}
	src := raw
	if f.Method == zip.Deflate {
		fr := flate.NewReader(raw)
		defer fr.Close()
		src = fr
	}
	data, err := io.ReadAll(io.LimitReader(src, int64(f.UncompressedSize64)+1))
	switch {
	case uint64(len(data)) > f.UncompressedSize64:
		return nil, refuse(ErrTooLarge, "zip entry %q unpacks to more than the %d bytes it declares: a zip bomb", f.Name, f.UncompressedSize64)
	case err != nil:
		return nil, refuse(ErrUnsupported, "zip entry %q cannot be unpacked: %v", f.Name, err)
	case uint64(len(data)) != f.UncompressedSize64 || crc32.ChecksumIEEE(data) != f.CRC32:
		return nil, refuse(ErrUnsupported, "zip entry %q is damaged (size or checksum)", f.Name)
	}
	return data, nil
}

// removeElements returns data without the elements drop chooses, each
// with the white space before it. It edits the bytes rather than encoding
// the tokens again, so that everything else stays as it was, namespace
// prefixes included. An element that has child elements is kept: none of
// those Clean removes has any.
func removeElements(data []byte, drop func(xml.StartElement) bool) ([]byte, bool, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var (
		out     []byte
		kept    int64 // data[:kept] is decided
		start   int64 // where the element being removed starts
		depth   int   // the depth inside that element, 0 outside one
		child   bool  // the element has a child element: keep it
		changed bool
	)
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case depth > 0:
				depth, child = depth+1, true
			case drop(t):
				depth, start, child = 1, off, false
			}
		case xml.EndElement:
			if depth == 0 {
				break
			}
			if depth--; depth == 0 && !child {
				for start > kept && isSpace(data[start-1]) {
					start--
				}
				out = append(out, data[kept:start]...)
				kept, changed = d.InputOffset(), true
			}
		}
	}
	if !changed {
		return data, false, nil
	}
	return append(out, data[kept:]...), true, nil
}

// writeMimetype writes an ODT's mimetype entry as the format requires:
// uncompressed, with its size in the header and no extra field, so that
// its content is at offset 38 of the file.
func writeMimetype(w *zip.Writer, f *zip.File) error {
	data, err := readPart(f)
	if err != nil {
		return err
	}
	fh := f.FileHeader // keeps the name, the time and the flags
	fh.Method = zip.Store
	fh.Flags &^= 0x8 // no data descriptor
	fh.Extra, fh.Comment = nil, ""
	fh.CRC32 = crc32.ChecksumIEEE(data)
	fh.CompressedSize64, fh.UncompressedSize64 = uint64(len(data)), uint64(len(data))
	fw, err := w.CreateRaw(&fh)
	if err != nil {
		return err
	}
	_, err = fw.Write(data)
	return err
}

// writeEdited writes an edited part with the compression it had.
func writeEdited(w *zip.Writer, f *zip.File, data []byte) error {
	fh := f.FileHeader // keeps the name, the time and the flags
	fh.Extra = nil     // the writer adds the time (from Modified) again
	fw, err := w.CreateHeader(&fh)
	if err != nil {
		return err
	}
	_, err = fw.Write(data)
	return err
}
