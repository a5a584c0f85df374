package forum

import (
	"errors"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/polis-portal/polis/server/attachment"
	"github.com/polis-portal/polis/server/store"
)

// saveFiles stores the request's attachments ("files"), checked by
// content. Either every file is accepted or none is kept for the post, and
// the refusal says why (an i18n key and its argument), so the author can
// fix the one file and post again without losing their text.
func (h *Handler) saveFiles(r *http.Request) ([]store.Attachment, string, any) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["files"]) == 0 {
		return nil, "", nil
	}
	headers := r.MultipartForm.File["files"]
	var real int
	for _, fh := range headers {
		if fh.Size > 0 || fh.Filename != "" {
			real++
		}
	}
	if real > h.Limits.FilesPerPost {
		return nil, "forumErrFileCount", h.Limits.FilesPerPost
	}
	var out []store.Attachment
	for _, fh := range headers {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the empty file input of a form sent without a file
		}
		name := CleanName(fh.Filename)
		f, err := fh.Open()
		if err != nil {
			return nil, "forumErrFileUnreadable", map[string]any{"Name": name}
		}
		saved, err := h.Files.Save(f, attachment.Limits{MaxBytes: h.Limits.FileBytes})
		f.Close()
		if err != nil {
			return nil, FileErrorKey(err), map[string]any{"Name": name, "Count": h.Limits.FileBytes >> 20}
		}
		out = append(out, store.Attachment{SHA256: saved.SHA256, Name: WithExtension(name, string(saved.Kind)), Size: saved.Size,
			Kind: string(saved.Kind), MIME: saved.MIME})
	}
	return out, "", nil
}

// FileErrorKey is the i18n key that explains a refused file.
func FileErrorKey(err error) string {
	switch {
	case errors.Is(err, attachment.ErrImage):
		return "forumErrFileImage"
	case errors.Is(err, attachment.ErrTooLarge):
		return "forumErrFileTooLarge"
	case errors.Is(err, attachment.ErrEmpty):
		return "forumErrFileEmpty"
	case errors.Is(err, attachment.ErrActiveContent):
		return "forumErrFileActive"
	case errors.Is(err, attachment.ErrUnsupported):
		return "forumErrFileType"
	}
	return "forumErrFileUnreadable"
}

// CleanName keeps an uploaded file's base name for the download, without
// control characters or path parts, at most 120 runes.
func CleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, name)
	if rs := []rune(name); len(rs) > 120 {
		name = string(rs[len(rs)-120:])
	}
	if name == "" || name == "." || name == "/" {
		return "document"
	}
	return name
}

// WithExtension makes a download's name end in the extension of the kind
// found by content ("notes.csv" accepted as plain text becomes
// "notes.csv.txt"), so that the reader's computer opens it as what it is.
func WithExtension(name, kind string) string {
	if strings.EqualFold(filepath.Ext(name), "."+kind) {
		return name
	}
	return name + "." + kind
}

// contentDisposition makes an attachment header with the file's name,
// encoded for any script (RFC 6266 via mime's RFC 2231 encoding).
func contentDisposition(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}
