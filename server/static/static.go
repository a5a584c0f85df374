// Package static serves Hugo's output folder. Files are indexed once at
// start: small ones are held in memory with a gzip copy made up front, so a
// request costs a map lookup and a write. There are no directory listings,
// no dotfiles and nothing under a folder whose name starts with "_" (the
// server shells in /<lang>/_server/ are for the server, not for readers).
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Limits on what is held in memory; larger files are read from disk.
const (
	maxMemFile  = 2 << 20
	maxMemTotal = 256 << 20
	minGzipSize = 512
)

// Cache-Control values. Fingerprinted assets never change under their name;
// everything else is revalidated (cheaply, by ETag) so a rebuilt site shows
// at once.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "public, no-cache"
	cacheShort      = "public, max-age=3600"
)

// fingerprinted matches names such as main.<64 hex>.css written by Hugo's
// fingerprint function.
var fingerprinted = regexp.MustCompile(`\.[0-9a-f]{32,}\.[a-z0-9]+$`)

// contentTypes fixes the types Polis serves, rather than trusting the
// machine's mime tables, which differ between systems.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".json":        "application/json",
	".xml":         "application/xml; charset=utf-8",
	".txt":         "text/plain; charset=utf-8",
	".csv":         "text/csv; charset=utf-8",
	".ics":         "text/calendar; charset=utf-8",
	".md":          "text/markdown; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".webp":        "image/webp",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
	".pdf":         "application/pdf",
	".webmanifest": "application/manifest+json",
}

var compressible = map[string]bool{
	".html": true, ".css": true, ".js": true, ".json": true, ".xml": true,
	".txt": true, ".csv": true, ".ics": true, ".md": true, ".svg": true,
	".webmanifest": true,
}

type file struct {
	disk     string // path on disk, for files not held in memory
	ctype    string
	cache    string
	etag     string
	modtime  time.Time
	body     []byte // nil when served from disk
	gz       []byte // gzip-encoded body, when it saves space
	gzipETag string
}

// Handler serves the files under one root folder.
type Handler struct {
	files    map[string]*file // by URL path, e.g. "/en/index.html"
	dirs     map[string]bool  // URL paths of folders that have an index.html
	notFound http.Handler
}

// New indexes root. notFound answers requests for anything not there.
func New(root string, notFound http.Handler) (*Handler, error) {
	h := &Handler{files: map[string]*file{}, dirs: map[string]bool{}, notFound: notFound}
	var total int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		urlPath := "/" + filepath.ToSlash(rel)
		if rel == "." {
			urlPath = "/"
		}
		if hidden(urlPath) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f, err := load(p, info, total)
		if err != nil {
			return err
		}
		total += int64(len(f.body) + len(f.gz))
		h.files[urlPath] = f
		if path.Base(urlPath) == "index.html" {
			h.dirs[path.Dir(urlPath)] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static: indexing %s: %w", root, err)
	}
	return h, nil
}

// hidden reports whether a URL path names something never served: a dotfile
// or anything inside a folder whose name starts with "_" or ".".
func hidden(urlPath string) bool {
	for _, seg := range strings.Split(urlPath, "/") {
		if strings.HasPrefix(seg, ".") || strings.HasPrefix(seg, "_") {
			return true
		}
	}
	return false
}

func load(p string, info fs.FileInfo, memUsed int64) (*file, error) {
	ext := strings.ToLower(filepath.Ext(p))
	f := &file{disk: p, modtime: info.ModTime(), ctype: contentTypes[ext], cache: cacheShort}
	if f.ctype == "" {
		f.ctype = mime.TypeByExtension(ext)
	}
	if f.ctype == "" {
		f.ctype = "application/octet-stream"
	}
	switch {
	case fingerprinted.MatchString(filepath.Base(p)):
		f.cache = cacheImmutable
	case ext == ".html" || ext == ".xml":
		f.cache = cacheRevalidate
	}
	if info.Size() > maxMemFile || memUsed+info.Size() > maxMemTotal {
		// Served from disk: the ETag comes from size and time.
		f.etag = fmt.Sprintf(`"%x-%x"`, info.ModTime().UnixNano(), info.Size())
		return f, nil
	}
	body, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	f.body = body
	f.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	if compressible[ext] && len(body) >= minGzipSize {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		if err := zw.Close(); err != nil {
			return nil, err
		}
		if buf.Len() < len(body) {
			f.gz = buf.Bytes()
			f.gzipETag = `"` + hex.EncodeToString(sum[:12]) + `-gz"`
		}
	}
	return f, nil
}

// Has reports whether urlPath would be served as a file or folder index.
func (h *Handler) Has(urlPath string) bool {
	_, ok := h.files[urlPath]
	return ok || h.dirs[strings.TrimSuffix(urlPath, "/")]
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") || strings.Contains(p, "\x00") || hidden(p) {
		h.notFound.ServeHTTP(w, r)
		return
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if clean != p {
		// Dot segments or doubled slashes: send the reader to the plain form.
		redirect(w, r, clean)
		return
	}
	lookup := p
	if strings.HasSuffix(p, "/") {
		lookup = p + "index.html"
	}
	f, ok := h.files[lookup]
	if !ok {
		if h.dirs[p] {
			// A folder asked for without its slash: relative links in the
			// page need it.
			redirect(w, r, p+"/")
			return
		}
		h.notFound.ServeHTTP(w, r)
		return
	}
	h.serve(w, r, f)
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, to, http.StatusMovedPermanently)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, f *file) {
	hdr := w.Header()
	hdr.Set("Content-Type", f.ctype)
	hdr.Set("Cache-Control", f.cache)
	if f.body == nil {
		fh, err := os.Open(f.disk)
		if err != nil {
			h.notFound.ServeHTTP(w, r)
			return
		}
		defer fh.Close()
		hdr.Set("ETag", f.etag)
		http.ServeContent(w, r, "", f.modtime, fh)
		return
	}
	body, etag := f.body, f.etag
	if f.gz != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = f.gz, f.gzipETag
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", f.modtime, bytes.NewReader(body))
}

// acceptsGzip reads Accept-Encoding, honouring an explicit gzip;q=0.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.TrimSpace(name) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
