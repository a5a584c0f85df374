package attachment

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// signature is a run of bytes at a fixed offset that names a format.
type signature struct {
	offset int
	magic  string
	what   string
	weak   bool // printable magic: counts only when the start is binary
}

// at reports whether b has s's magic.
func (s signature) at(b []byte) bool {
	if len(b) < s.offset+len(s.magic) || string(b[s.offset:s.offset+len(s.magic)]) != s.magic {
		return false
	}
	return !s.weak || binary(head(b, 512))
}

// imageSignatures are pictures and moving pictures, recognised by their
// first bytes. Formats whose magic is only a few printable characters also
// need a binary byte after it, so that a text file that happens to start
// with those letters is not called an image.
var imageSignatures = []signature{
	// Still images.
	{0, "\x89PNG", "PNG image", false},
	{0, "\x8aMNG", "MNG animation", false},
	{0, "\x8bJNG", "JNG image", false},
	{0, "\xff\xd8\xff", "JPEG image", false},
	{0, "GIF87a", "GIF image", false},
	{0, "GIF89a", "GIF image", false},
	{0, "II*\x00", "TIFF image", false},
	{0, "MM\x00*", "TIFF image", false},
	{0, "II+\x00", "BigTIFF image", false},
	{0, "MM\x00+", "BigTIFF image", false},
	{0, "IIRO", "Olympus raw photo", true},
	{0, "IIRS", "Olympus raw photo", true},
	{0, "IIU\x00", "Panasonic raw photo", false},
	{0, "FUJIFILMCCD-RAW", "Fujifilm raw photo", true},
	{0, "FOVb", "Sigma raw photo", true},
	{0, "II\xbc", "JPEG XR image", false},
	{0, "\x00\x00\x01\x00", "ICO icon", false},
	{0, "\x00\x00\x02\x00", "CUR cursor", false},
	{0, "icns\x00", "Apple icon", false},
	{0, "8BPS\x00", "Photoshop image", false},
	{0, "\xff\x4f\xff\x51", "JPEG 2000 image", false},
	{0, "\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000 image", false},
	{0, "\xff\x0a", "JPEG XL image", false},
	{0, "\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL image", false},
	{0, "qoif", "QOI image", true},
	{0, "FLIF", "FLIF image", true},
	{0, "BPG\xfb", "BPG image", false},
	{0, "v/1\x01", "OpenEXR image", false},
	{0, "#?RADIANCE", "Radiance HDR image", true},
	{0, "#?RGBE", "Radiance HDR image", true},
	{0, "gimp xcf ", "GIMP image", true},
	{0, "\x59\xa6\x6a\x95", "Sun raster image", false},
	{0, "\x01\xda", "SGI image", false},
	{0, "SDPX", "DPX image", true},
	{0, "XPDS", "DPX image", true},
	{0, "\x80\x2a\x5f\xd7", "Cineon image", false},
	{0, "DDS \x7c", "DirectDraw texture", false},
	{0, "\xabKTX ", "KTX texture", false},
	{0, "farbfeld", "farbfeld image", true},
	{0, "AT&TFORM", "DjVu image", true},
	{0, "\xd7\xcd\xc6\x9a", "WMF picture", false},
	{0, "\x01\x00\x09\x00\x00\x03", "WMF picture", false},
	{0, "\x02\x00\x09\x00\x00\x03", "WMF picture", false},
	{40, " EMF", "EMF picture", false},
	{0, "VCLMTF", "StarView metafile picture", false},
	{128, "DICM", "DICOM medical image", false},
	{0, "SIMPLE  =", "FITS image", true},
	{0, "/* XPM */", "XPM image", false},
	{0, "! XPM2", "XPM image", false},
	{0, "\xc5\xd0\xd3\xc6", "EPS image", false},
	{522, "\x00\x11\x02\xff\x0c\x00", "PICT image", false},
	// Moving images.
	{0, "\x1a\x45\xdf\xa3", "Matroska or WebM video", false},
	{0, "FLV\x01", "Flash video", false},
	{0, "\x30\x26\xb2\x75\x8e\x66\xcf\x11", "Windows Media video", false},
	{0, "\x00\x00\x01\xba", "MPEG video", false},
	{0, "\x00\x00\x01\xb3", "MPEG video", false},
	{0, ".RMF\x00", "RealMedia video", false},
	{0, "YUV4MPEG2 ", "raw video", true},
}

// bmp reports whether b starts with a BMP (or DIB-in-file) header: "BM",
// the file size, two reserved words that are zero, the offset of the
// pixels, then the size of the DIB header, which names its version: 12
// (Windows 2.x and OS/2 1.x), 16 to 64 (OS/2 2.x, which may cut its header
// short; 40, 52, 56 and 64 are also the Windows 3.x to V3 sizes), 108
// (V4) or 124 (V5): the sizes BMP decoders accept (Firefox's accepts
// exactly these), which is why all of 16 to 64 count, not only the sizes
// of the usual header versions.
//
// Two letters are not enough: a CSV whose first column is "BMI" or a note
// that starts "BMW" is not a picture. The test costs nothing in safety,
// because every header size above needs NUL bytes at offsets 15 to 17,
// which no text Check accepts can hold: a file starting "BM" that fails
// the test is still refused when it is binary, only not as an image.
func bmp(b []byte) bool {
	if len(b) < 26 || b[0] != 'B' || b[1] != 'M' || b[6]|b[7]|b[8]|b[9] != 0 {
		return false
	}
	switch size := uint32(b[14]) | uint32(b[15])<<8 | uint32(b[16])<<16 | uint32(b[17])<<24; {
	case size == 12, size >= 16 && size <= 64, size == 108, size == 124:
		return true
	}
	return false
}

// sniffedImage is a second opinion, from the sniffing browsers do
// (http.DetectContentType, the WHATWG MIME Sniffing signatures): the
// image or video type a browser would take b for, or "".
//
// Browsers take every file that starts "BM" for a BMP; that verdict is
// ignored unless bmp agrees, for the reasons given there. The other image
// and video signatures a browser knows cannot start a plausible text: the
// icon and cursor ("\x00\x00\x01\x00", "\x00\x00\x02\x00"), PNG ("\x89PNG"),
// JPEG ("\xff\xd8\xff") and WebM ("\x1a\x45\xdf\xa3") signatures hold
// bytes no UTF-8 text has (NUL, other control bytes, bytes that are not
// UTF-8); MP4 needs a box size below 512 (the bytes sniffed) in its first
// four bytes, so NUL bytes again. That leaves "GIF87a", "GIF89a" and
// "RIFF", four bytes, then "WEBPVP" or "AVI ": printable, but no one's
// first line, and kept, as sniffImage keeps them, because a decoder
// would try a file that starts so whatever follows.
func sniffedImage(b []byte) string {
	ct := http.DetectContentType(b)
	switch {
	case ct == "image/bmp" && !bmp(b):
		return ""
	case strings.HasPrefix(ct, "image/") || strings.HasPrefix(ct, "video/"):
		return ct
	}
	return ""
}

// imageBrands are ISO base media (ftyp) brands of still images; every
// other brand is a movie (MP4, QuickTime, 3GP) or sound that may carry a
// cover picture, and is refused all the same.
var imageBrands = map[string]bool{
	"heic": true, "heix": true, "hevc": true, "hevx": true, "heim": true, "heis": true,
	"mif1": true, "msf1": true, "avif": true, "avis": true, "jp2 ": true, "jpx ": true,
	"jpm ": true, "mjp2": true, "crx ": true, "jxl ": true,
}

// sniffImage says which image or moving-image format b is, or "".
func sniffImage(b []byte) string {
	for _, s := range imageSignatures {
		if s.at(b) {
			return s.what
		}
	}
	if bmp(b) {
		return "BMP image"
	}
	if len(b) >= 12 && string(b[4:8]) == "ftyp" {
		brand := string(b[8:12])
		if imageBrands[brand] {
			return fmt.Sprintf("HEIF, AVIF or other ISO image (brand %q)", brand)
		}
		return fmt.Sprintf("MP4, QuickTime or other ISO media (brand %q)", brand)
	}
	if len(b) >= 8 && b[0] == 0 {
		switch string(b[4:8]) {
		case "moov", "mdat", "wide", "free", "skip", "pnot":
			return "QuickTime video"
		}
	}
	if len(b) >= 12 && string(b[:4]) == "RIFF" {
		switch string(b[8:12]) {
		case "WEBP":
			return "WebP image"
		case "AVI ":
			return "AVI video"
		case "ANI ", "ACON":
			return "animated cursor"
		}
	}
	if len(b) >= 4 && (string(b[:3]) == "FWS" || string(b[:3]) == "CWS" || string(b[:3]) == "ZWS") && b[3] < 0x20 {
		return "Flash animation"
	}
	if len(b) >= 5 && string(b[:4]) == "OggS" && b[4] == 0 &&
		(bytes.Contains(head(b, 1<<16), []byte("\x80theora")) || bytes.Contains(head(b, 1<<16), []byte("OVP80"))) {
		return "Ogg video"
	}
	if len(b) > 376 && b[0] == 0x47 && b[188] == 0x47 && b[376] == 0x47 && binary(head(b, 512)) {
		return "MPEG transport stream video"
	}
	if len(b) >= 4 && b[0] == 0x0a && b[1] <= 5 && b[1] != 1 && b[2] == 1 && (b[3] == 1 || b[3] == 2 || b[3] == 4 || b[3] == 8) {
		return "PCX image"
	}
	if len(b) >= 26 && string(b[len(b)-18:]) == "TRUEVISION-XFILE.\x00" {
		return "TGA image"
	}
	if netpbm(b) {
		return "Netpbm image"
	}
	if bytes.HasPrefix(b, []byte("#define ")) && bytes.Contains(head(b, 1024), []byte("_width")) && bytes.Contains(head(b, 4096), []byte("_bits")) {
		return "XBM image"
	}
	if bytes.HasPrefix(b, []byte("%!PS-Adobe-")) && bytes.Contains(firstLine(b), []byte("EPSF")) {
		return "EPS image"
	}
	if svgRoot(b) {
		return "SVG image"
	}
	return ""
}

// otherSignatures are formats that are not accepted, named so that the
// log says why.
var otherSignatures = []signature{
	{0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old binary Office file (OLE2: .doc, .xls, .ppt, .msg or a password-protected Office file), which can carry macros: save it as PDF, ODT or DOCX", false},
	{0, "{\\rtf", "RTF, which can embed pictures and objects", false},
	{0, "%!PS", "PostScript, a program rather than a document", false},
	{0, "PK\x05\x06", "empty zip archive", false},
	{0, "PK\x07\x08", "split zip archive", false},
	{0, "\x1f\x8b", "gzip archive", false},
	{0, "BZh", "bzip2 archive", true},
	{0, "\xfd7zXZ\x00", "xz archive", false},
	{0, "7z\xbc\xaf\x27\x1c", "7-Zip archive", false},
	{0, "Rar!\x1a\x07", "RAR archive", false},
	{0, "\x28\xb5\x2f\xfd", "zstd archive", false},
	{257, "ustar", "tar archive", true},
	{0, "MSCF", "cabinet archive", true},
	{0, "\x7fELF", "executable", false},
	{0, "MZ", "Windows executable", true},
	{0, "\xcf\xfa\xed\xfe", "Mach-O executable", false},
	{0, "\xce\xfa\xed\xfe", "Mach-O executable", false},
	{0, "\xca\xfe\xba\xbe", "Mach-O or Java executable", false},
	{0, "\x00asm", "WebAssembly", false},
	{0, "\xef\xbb\xbf\xef\xbb\xbf", "text with two byte-order marks", false},
	{0, "\xff\xfe", "UTF-16 or UTF-32 text: save it as UTF-8", false},
	{0, "\xfe\xff", "UTF-16 text: save it as UTF-8", false},
	{0, "ID3", "sound", true},
	{0, "fLaC", "sound", false},
	{0, "OggS", "sound", true},
	{0, "RIFF", "RIFF media (sound or other)", true},
	{0, "FORM", "IFF media", true},
	{0, "wOFF", "font", true},
	{0, "wOF2", "font", true},
	{0, "OTTO", "font", true},
	{0, "SQLite format 3\x00", "database", false},
}

// sniffOther says which refused non-image format b is, or "".
func sniffOther(b []byte) string {
	for _, s := range otherSignatures {
		if s.at(b) {
			return s.what
		}
	}
	if bytes.Contains(head(b, 1024), []byte("%PDF-")) {
		return "PDF with data before its header"
	}
	return ""
}

// embeddedSignatures are long enough to mean an image when found anywhere
// inside a document's binary data, where a tool that carves files out of
// other files would find them.
var embeddedSignatures = []signature{
	{0, "\x89PNG\r\n\x1a\n", "PNG image", false},
	{0, "GIF87a", "GIF image", false},
	{0, "GIF89a", "GIF image", false},
	{0, "\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG image", false},
	{0, "\xff\xd8\xff\xdb\x00\x43\x00", "JPEG image", false},
	{0, "Exif\x00\x00MM\x00*", "JPEG image", false},
	{0, "Exif\x00\x00II*\x00", "JPEG image", false},
	{0, "WEBPVP8", "WebP image", false},
	{0, "ftypheic", "HEIC image", false},
	{0, "ftypavif", "AVIF image", false},
	{0, "ftypmif1", "HEIF image", false},
	{0, "\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000 image", false},
	{0, "\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL image", false},
}

// embeddedOverlap is how many bytes a scan over chunks keeps from one
// chunk to the next so that no signature is cut in two.
const embeddedOverlap = 16

// embeddedImage says which image signature occurs anywhere in b, or "".
func embeddedImage(b []byte) string {
	for _, s := range embeddedSignatures {
		if bytes.Contains(b, []byte(s.magic)) {
			return s.what
		}
	}
	return ""
}

// netpbm reports whether b starts like a PBM, PGM, PPM or PAM image:
// "P1" to "P7", whitespace, then comments and a number or a PAM header.
func netpbm(b []byte) bool {
	if len(b) < 4 || b[0] != 'P' || b[1] < '1' || b[1] > '7' || !isSpace(b[2]) {
		return false
	}
	i := 3
	for i < len(b) {
		switch {
		case isSpace(b[i]):
			i++
		case b[i] == '#':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
		case b[1] == '7':
			return bytes.HasPrefix(b[i:], []byte("WIDTH")) || bytes.HasPrefix(b[i:], []byte("HEIGHT")) ||
				bytes.HasPrefix(b[i:], []byte("DEPTH")) || bytes.HasPrefix(b[i:], []byte("MAXVAL")) ||
				bytes.HasPrefix(b[i:], []byte("TUPLTYPE"))
		default:
			// Width, whitespace, height.
			j := i
			for j < len(b) && b[j] >= '0' && b[j] <= '9' {
				j++
			}
			if j == i || j >= len(b) || !isSpace(b[j]) {
				return false
			}
			for j < len(b) && isSpace(b[j]) {
				j++
			}
			return j < len(b) && b[j] >= '0' && b[j] <= '9'
		}
	}
	return false
}

// svgRoot reports whether b is markup whose first element is <svg> (with
// or without a namespace prefix), after a byte-order mark, whitespace, an
// XML declaration, processing instructions, comments and a DOCTYPE.
func svgRoot(b []byte) bool {
	b = bytes.TrimPrefix(b, utf8BOM)
	for {
		b = bytes.TrimLeft(b, " \t\r\n\f")
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			i := bytes.Index(b, []byte("?>"))
			if i < 0 {
				return false
			}
			b = b[i+2:]
		case bytes.HasPrefix(b, []byte("<!--")):
			i := bytes.Index(b[4:], []byte("-->"))
			if i < 0 {
				return false
			}
			b = b[4+i+3:]
		case len(b) >= 9 && bytes.EqualFold(b[:9], []byte("<!DOCTYPE")):
			end := bytes.IndexByte(b, '>')
			if open := bytes.IndexByte(b, '['); open >= 0 && (end < 0 || open < end) {
				close := bytes.Index(b[open:], []byte("]"))
				if close < 0 {
					return false
				}
				end = bytes.IndexByte(b[open+close:], '>')
				if end >= 0 {
					end += open + close
				}
			}
			if end < 0 {
				return false
			}
			b = b[end+1:]
		case bytes.HasPrefix(b, []byte("<")):
			name := b[1:]
			n := 0
			for n < len(name) && !isSpace(name[n]) && name[n] != '>' && name[n] != '/' {
				n++
			}
			local := name[:n]
			if i := bytes.LastIndexByte(local, ':'); i >= 0 {
				local = local[i+1:]
			}
			return bytes.EqualFold(local, []byte("svg"))
		default:
			return false
		}
	}
}

var utf8BOM = []byte("\xef\xbb\xbf")

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// binary reports whether b holds bytes no text file has: NUL and other
// control bytes, or invalid UTF-8 (b may end inside a character).
func binary(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			return true
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 && len(b)-i >= utf8.UTFMax {
			return true
		}
		i += size
	}
	return false
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func firstLine(b []byte) []byte {
	b = head(b, 256)
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		return b[:i]
	}
	return b
}
