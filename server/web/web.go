// Package web renders the server's own pages inside the site's chrome. Hugo
// writes that chrome (head with the fingerprinted CSS, header, navigation,
// language switcher, footer) for each language into
// public/<lang>/_server/shell.html; the page templates embedded in the
// theme fill in its "main" block. So there is one navigation, one look and
// one set of translations for Hugo's pages and the server's alike.
package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/themes/polis"
)

// Page template names, one per file in themes/polis/templates.
const (
	PageNotFound      = "notfound"
	PageNotTranslated = "nottranslated"
	PageForbidden     = "forbidden"
	PageError         = "error"
	PageUnavailable   = "unavailable"
)

// Page is what every server page gives its template. Data carries the
// page's own typed fields.
type Page struct {
	Lang       string
	Title      string
	Home       string // this language's home page
	Canonical  string // absolute URL, empty for pages not to be indexed
	Rest       string // the path after /<lang>/, so the switcher stays on the page
	Nav        string // identifier of the current main-menu entry, if any
	Alternates []Alternate
	User       *store.User // the signed-in viewer, nil for visitors
	CSRF       string      // the session's token, for forms
	Notices    int         // the viewer's unread notifications, for the header
	Data       any
}

// NavIs lets the shell mark the current main-menu entry: the shell asks
// .NavIs.<identifier> because Hugo's escaping allows no quotes there.
func (p Page) NavIs() map[string]bool { return map[string]bool{p.Nav: p.Nav != ""} }

// Alternate is the same page in another language.
type Alternate struct {
	Lang string
	Name string // the language's own name
	URL  string
}

// NotTranslated is the data of the page shown for a path that exists in
// other languages but not in the reader's.
type NotTranslated struct {
	Versions []Alternate
}

// Renderer holds one parsed template per language and page.
type Renderer struct {
	pages map[string]map[string]*template.Template // lang → page → template
	site  *site.Site
	cat   *locale.Catalog
	log   *slog.Logger
}

// Load parses the shells in publicDir and every embedded page template. A
// missing shell or a template error stops the server at start, not at the
// first request.
func Load(publicDir string, s *site.Site, cat *locale.Catalog, log *slog.Logger) (*Renderer, error) {
	all, err := fs.Glob(theme.Templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// Files starting with "_" hold templates shared by the pages.
	var names, shared []string
	for _, n := range all {
		if strings.HasPrefix(filepath.Base(n), "_") {
			shared = append(shared, n)
		} else {
			names = append(names, n)
		}
	}
	r := &Renderer{pages: map[string]map[string]*template.Template{}, site: s, cat: cat, log: log}
	for _, lang := range s.Codes() {
		shellPath := filepath.Join(publicDir, lang, "_server", "shell.html")
		shell, err := os.ReadFile(shellPath)
		if err != nil {
			return nil, fmt.Errorf("web: server shell for %q: %w (is the site built?)", lang, err)
		}
		base, err := template.New("shell").Delims("[[", "]]").Funcs(funcs(lang, cat)).Parse(string(shell))
		if err != nil {
			return nil, fmt.Errorf("web: %s: %w", shellPath, err)
		}
		if len(shared) > 0 {
			if base, err = base.ParseFS(theme.Templates, shared...); err != nil {
				return nil, fmt.Errorf("web: shared templates: %w", err)
			}
		}
		r.pages[lang] = map[string]*template.Template{}
		for _, name := range names {
			t, err := base.Clone()
			if err != nil {
				return nil, err
			}
			if _, err := t.ParseFS(theme.Templates, name); err != nil {
				return nil, fmt.Errorf("web: %s: %w", name, err)
			}
			r.pages[lang][strings.TrimSuffix(filepath.Base(name), ".html")] = t
		}
	}
	for _, want := range []string{PageNotFound, PageNotTranslated, PageForbidden, PageError, PageUnavailable} {
		if r.pages[s.Default][want] == nil {
			return nil, fmt.Errorf("web: page template %q is missing", want)
		}
	}
	return r, nil
}

// funcs are the template functions bound to one language.
func funcs(lang string, cat *locale.Catalog) template.FuncMap {
	return template.FuncMap{
		"T": func(key string, args ...any) string { return cat.T(lang, key, args...) },
		// date formats a Unix time for people (UTC, ISO order, which reads the
		// same in every language).
		"date": func(unix int64) string {
			if unix == 0 {
				return "—"
			}
			return time.Unix(unix, 0).UTC().Format("2006-01-02 15:04 UTC")
		},
		"has": func(list []string, v string) bool { return slices.Contains(list, v) },
		// dict and list build a template argument: dict "Count" 3 "MB" 10.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"list": func(vs ...string) []string { return vs },
	}
}

// NewPage fills the fields every page shares for a request in lang. rest is
// the path after /<lang>/ (with any query); alternates are made for every
// language when indexable is true.
func (r *Renderer) NewPage(lang, title, rest string, indexable bool) Page {
	p := Page{Lang: lang, Title: title, Home: "/" + lang + "/", Rest: rest}
	if indexable {
		base := strings.TrimSuffix(r.site.BaseURL, "/")
		p.Canonical = base + "/" + lang + "/" + rest
		for _, l := range r.site.Codes() {
			p.Alternates = append(p.Alternates, Alternate{Lang: l, URL: base + "/" + l + "/" + rest})
		}
	}
	return p
}

// bufPool keeps page buffers between requests: a forum thread page is
// about 150 KB, and growing a fresh buffer to that size for each request
// was the largest source of garbage on the thread page.
var bufPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 64<<10)) }}

// maxPooledBuffer keeps a rare huge page from pinning its buffer.
const maxPooledBuffer = 1 << 20

// Unavailable answers that the database (or another part the page needs)
// cannot be reached just now: a 503 with Retry-After, so browsers, load
// balancers and crawlers know to come back rather than treat the page as
// broken, and a page that tells the reader the same.
func (r *Renderer) Unavailable(w http.ResponseWriter, p Page) {
	w.Header().Set("Retry-After", "30")
	w.Header().Set("Cache-Control", "no-store")
	r.Render(w, http.StatusServiceUnavailable, PageUnavailable, p)
}

// Render writes page name in p.Lang with the given status. The page is
// rendered into a buffer first, so a template error never sends half a page.
func (r *Renderer) Render(w http.ResponseWriter, status int, name string, p Page) {
	t := r.pages[p.Lang][name]
	if t == nil {
		t = r.pages[r.site.Default][name]
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			bufPool.Put(buf)
		}
	}()
	if t == nil {
		r.log.Error("web: no such page template", "page", name)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(buf, "shell", p); err != nil {
		r.log.Error("web: render", "page", name, "lang", p.Lang, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if p.User != nil {
		// Pages for a signed-in reader are never stored by the browser or a
		// proxy: the next person at the computer must not find them.
		h.Set("Cache-Control", "no-store")
	}
	h.Set("Content-Length", fmt.Sprint(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
