// Package attachment decides which uploaded files the forum may keep and
// keeps them. Only five document kinds are accepted: PDF, ODT, DOCX, plain
// text and CSV, each recognised by its content, never by its name or the
// Content-Type the browser declared. Images and moving images of any kind
// are refused, also when they hide inside a document (pictures in a PDF or
// a word-processor file, page thumbnails in a PDF, linked pictures, base64
// data), and so are documents that carry active content (scripts, macros,
// embedded programs or files).
//
// The thumbnail that LibreOffice writes into every ODT, and Word sometimes
// into a DOCX, is the exception: Save removes it (see Clean) and keeps the
// document without it, rather than refusing most real documents. It is
// never kept: a thumbnail is an image the author did not choose to share,
// and software cannot vouch for what it shows, since nothing ties it to
// the text beside it and a crafted one can show anything.
//
// Accepted files are stored once per SHA-256, written atomically.
package attachment

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
)

// Kind is the kind of an accepted document.
type Kind string

// The accepted kinds.
const (
	PDF  Kind = "pdf"
	ODT  Kind = "odt"
	DOCX Kind = "docx"
	TXT  Kind = "txt"
	CSV  Kind = "csv"
)

// mimeTypes are the types accepted documents are served with.
var mimeTypes = map[Kind]string{
	PDF:  "application/pdf",
	ODT:  odtMIME,
	DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	TXT:  "text/plain; charset=utf-8",
	CSV:  "text/csv; charset=utf-8",
}

// DefaultMaxBytes is the size limit used when Limits.MaxBytes is not set.
const DefaultMaxBytes = 10 << 20

// Limits bound what Save accepts.
type Limits struct {
	MaxBytes int64 // largest file; DefaultMaxBytes when zero or negative
}

func (l Limits) maxBytes() int64 {
	if l.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return l.MaxBytes
}

// Reasons for refusing a file. Errors returned by Check and Save wrap one
// of them with the detail of what was found, for the log; the forum
// translates by sentinel and shows no detail.
var (
	ErrEmpty         = errors.New("the file is empty")
	ErrTooLarge      = errors.New("the file is too large, or expands to too much when unpacked")
	ErrUnsupported   = errors.New("only PDF, ODT, DOCX, plain text and CSV documents are accepted")
	ErrActiveContent = errors.New("documents with scripts, macros, embedded programs or embedded files are not accepted")
	ErrImage         = errors.New("Images of any kind are never accepted on Polis: the forum must never become a channel for abusive imagery, and an image cannot be checked by software for what it shows. Describe what you need in words or attach a document without pictures.")
)

// refuse wraps a sentinel with what was found.
func refuse(sentinel error, format string, args ...any) error {
	return fmt.Errorf("attachment: %s: %w", fmt.Sprintf(format, args...), sentinel)
}

// Check inspects content and returns its kind and the MIME type to serve it
// with, or an error wrapping one of the sentinels. It looks at the bytes
// only: a file's name and declared type are never trusted, so Check is not
// given them.
func Check(content []byte) (Kind, string, error) {
	kind, err := check(content)
	if err != nil {
		return "", "", err
	}
	return kind, mimeTypes[kind], nil
}

func check(b []byte) (Kind, error) {
	if len(b) == 0 {
		return "", refuse(ErrEmpty, "no content")
	}
	if what := sniffImage(b); what != "" {
		return "", refuse(ErrImage, "%s", what)
	}
	if ct := sniffedImage(b); ct != "" {
		return "", refuse(ErrImage, "sniffed as %s", ct)
	}
	var (
		kind Kind
		err  error
	)
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		kind, err = PDF, checkPDF(b)
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return checkZip(b)
	default:
		if what := sniffOther(b); what != "" {
			return "", refuse(ErrUnsupported, "%s", what)
		}
		kind, err = checkText(b)
	}
	if err != nil {
		return "", err
	}
	// A file that is also a zip archive (a polyglot: a zip directory
	// appended to a PDF or text) could be renamed and unpacked.
	if zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err == nil && len(zr.File) > 0 {
		return "", refuse(ErrUnsupported, "%s that is also a zip archive", kind)
	}
	return kind, nil
}
