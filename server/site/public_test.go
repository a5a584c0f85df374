package site_test

import (
	"bytes"
	"compress/gzip"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/sitetest"
	"golang.org/x/net/html"
)

// pageTypes are the public page types that every language must have
// (issue 3).
var pageTypes = []string{
	"", "parents/", "teens/", "educators/", "topics/",
	"topics/grooming/", "topics/sextortion/", "topics/self-generated-images/",
	"topics/live-streamed-abuse/", "topics/csam-terminology/",
	"topics/image-removal/", "topics/how-to-report/",
	"help/", "glossary/", "about/", "privacy/", "news/", "news/index.xml",
}

// TestEveryPageTypeInEveryLanguage (issue 3 acceptance).
func TestEveryPageTypeInEveryLanguage(t *testing.T) {
	public := sitetest.Built(t)
	s, err := site.Load(sitetest.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Codes()) < 6 {
		t.Fatalf("languages %v: want the six OSCE languages", s.Codes())
	}
	for _, lang := range s.Codes() {
		for _, p := range pageTypes {
			file := filepath.Join(public, lang, p)
			if !strings.HasSuffix(p, ".xml") {
				file = filepath.Join(file, "index.html")
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Errorf("%s: %v", lang, err)
				continue
			}
			if strings.HasSuffix(p, ".html") || !strings.HasSuffix(p, ".xml") {
				if !bytes.Contains(b, []byte(`<html lang="`+lang+`"`)) {
					t.Errorf("/%s/%s: not marked as %s", lang, p, lang)
				}
			}
		}
	}
}

// htmlFiles returns every HTML page Hugo wrote, as URL paths, except the
// server shells.
func htmlFiles(t *testing.T, public string) map[string][]byte {
	t.Helper()
	pages := map[string][]byte{}
	err := filepath.WalkDir(public, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "_server" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".html") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(public, p)
		pages["/"+filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 100 {
		t.Fatalf("only %d pages built", len(pages))
	}
	return pages
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func isExternal(ref string) bool {
	u, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return true
	}
	return u.Host != "" || (u.Scheme != "" && u.Scheme != "mailto" && u.Scheme != "tel")
}

// TestNoThirdPartyRequestsAndNoInlineCode: no page loads a script, style,
// font, image, frame or anything else from another host; no inline script
// or style (the Content-Security-Policy would block them); outbound links
// carry rel="noopener noreferrer" (issue 3: privacy).
func TestNoThirdPartyRequestsAndNoInlineCode(t *testing.T) {
	public := sitetest.Built(t)
	for page, b := range htmlFiles(t, public) {
		doc, err := html.Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		walk(doc, func(n *html.Node) {
			if n.Type != html.ElementNode {
				return
			}
			if _, ok := attr(n, "style"); ok {
				t.Errorf("%s: inline style attribute on <%s>", page, n.Data)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: inline event handler %s on <%s>", page, a.Key, n.Data)
				}
			}
			switch n.Data {
			case "style":
				t.Errorf("%s: inline <style>", page)
			case "script":
				src, ok := attr(n, "src")
				if !ok {
					t.Errorf("%s: inline <script>", page)
				} else if isExternal(src) {
					t.Errorf("%s: third-party script %s", page, src)
				}
			case "link":
				rel, _ := attr(n, "rel")
				href, _ := attr(n, "href")
				switch rel {
				case "canonical", "alternate":
					// Addresses of this site's pages, not requests.
				default:
					if isExternal(href) {
						t.Errorf("%s: <link rel=%q> to %s", page, rel, href)
					}
				}
			case "img", "iframe", "frame", "embed", "audio", "video", "source", "track", "input":
				for _, k := range []string{"src", "srcset", "poster"} {
					if v, ok := attr(n, k); ok && isExternal(v) {
						t.Errorf("%s: <%s %s=%s> from another host", page, n.Data, k, v)
					}
				}
				if n.Data == "iframe" || n.Data == "frame" || n.Data == "embed" {
					t.Errorf("%s: <%s> present", page, n.Data)
				}
			case "object":
				t.Errorf("%s: <object> present", page)
			case "form":
				if action, _ := attr(n, "action"); isExternal(action) {
					t.Errorf("%s: form posts to %s", page, action)
				}
			case "a":
				href, _ := attr(n, "href")
				if isExternal(href) {
					rel, _ := attr(n, "rel")
					if !strings.Contains(rel, "noopener") || !strings.Contains(rel, "noreferrer") {
						t.Errorf("%s: outbound link %s without rel=\"noopener noreferrer\"", page, href)
					}
				}
			}
		})
	}
}

// serverRoutes are paths that the server answers rather than a file.
var serverRoutes = regexp.MustCompile(`^/[a-z]{2}/(help/go|search|account/.*|practices/.*|library/.*|workshops/.*)$`)

// TestNoBrokenInternalLinks follows every internal link and fragment in
// public/ (issue 3).
func TestNoBrokenInternalLinks(t *testing.T) {
	public := sitetest.Built(t)
	pages := htmlFiles(t, public)
	ids := map[string]map[string]bool{}
	docs := map[string]*html.Node{}
	for page, b := range pages {
		doc, err := html.Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		docs[page] = doc
		ids[page] = map[string]bool{}
		walk(doc, func(n *html.Node) {
			if id, ok := attr(n, "id"); ok && n.Type == html.ElementNode {
				if ids[page][id] {
					t.Errorf("%s: duplicate id %q", page, id)
				}
				ids[page][id] = true
			}
		})
	}
	exists := func(p string) (string, bool) {
		if strings.HasSuffix(p, "/") {
			p += "index.html"
		}
		if _, err := os.Stat(filepath.Join(public, filepath.FromSlash(p))); err == nil {
			return p, true
		}
		return "", false
	}
	checked := 0
	for page, doc := range docs {
		walk(doc, func(n *html.Node) {
			if n.Type != html.ElementNode {
				return
			}
			for _, k := range []string{"href", "src", "action"} {
				ref, ok := attr(n, k)
				if !ok || isExternal(ref) || strings.HasPrefix(ref, "mailto:") || strings.HasPrefix(ref, "tel:") {
					continue
				}
				u, err := url.Parse(ref)
				if err != nil {
					t.Errorf("%s: bad link %q", page, ref)
					continue
				}
				target := u.Path
				if target == "" {
					target = page
				} else if !strings.HasPrefix(target, "/") {
					target = path.Join(path.Dir(page), target)
				}
				checked++
				if serverRoutes.MatchString(target) {
					continue
				}
				file, ok := exists(target)
				if !ok {
					t.Errorf("%s: broken link %q", page, ref)
					continue
				}
				if u.Fragment != "" && strings.HasSuffix(file, ".html") && !ids[file][u.Fragment] {
					t.Errorf("%s: link %q: no id %q in %s", page, ref, u.Fragment, file)
				}
			}
		})
	}
	if checked < 1000 {
		t.Errorf("only %d links checked", checked)
	}
}

// TestSitemapsPerLanguage: an index at the root and one sitemap per
// language; robots.txt names the index (issue 3).
func TestSitemapsPerLanguage(t *testing.T) {
	public := sitetest.Built(t)
	s, _ := site.Load(sitetest.Root(t))
	index, err := os.ReadFile(filepath.Join(public, "sitemap.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(index, []byte("<sitemapindex")) {
		t.Error("sitemap.xml is not an index")
	}
	for _, lang := range s.Codes() {
		if !bytes.Contains(index, []byte("/"+lang+"/sitemap.xml")) {
			t.Errorf("sitemap index lacks %s", lang)
		}
		b, err := os.ReadFile(filepath.Join(public, lang, "sitemap.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("/"+lang+"/topics/grooming/")) {
			t.Errorf("%s sitemap lacks the grooming page", lang)
		}
		if bytes.Contains(b, []byte("_server")) {
			t.Errorf("%s sitemap lists the server shell", lang)
		}
	}
	robots, _ := os.ReadFile(filepath.Join(public, "robots.txt"))
	if !bytes.Contains(robots, []byte("Sitemap: "+s.BaseURL+"sitemap.xml")) {
		t.Errorf("robots.txt = %q", robots)
	}
}

// TestPageWeight: every page with its CSS and JavaScript stays under 60 KB
// transferred, compressed as the server sends it (issue 3).
func TestPageWeight(t *testing.T) {
	public := sitetest.Built(t)
	gz := func(b []byte) int {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		w.Write(b)
		w.Close()
		return buf.Len()
	}
	assets := regexp.MustCompile(`(?:href|src)="(/(?:css|js)/[^"]+)"`)
	for page, b := range htmlFiles(t, public) {
		total := gz(b)
		for _, m := range assets.FindAllSubmatch(b, -1) {
			a, err := os.ReadFile(filepath.Join(public, string(m[1])))
			if err != nil {
				t.Fatalf("%s: %v", page, err)
			}
			total += gz(a)
		}
		if total > 60<<10 {
			t.Errorf("%s: %d bytes compressed, over 60 KB", page, total)
		}
	}
}

// TestHelpDirectoryAndGlossaryData: 57 OSCE participating States, each
// named in every site language; every service has a kind, a name, an https
// link and a source; every glossary concept has a term and a definition in
// every language and a reason wherever terms are discouraged (issue 3).
func TestHelpDirectoryAndGlossaryData(t *testing.T) {
	root := sitetest.Root(t)
	s, _ := site.Load(root)
	var dir struct {
		Countries []struct {
			Code      string
			Languages []string
			Names     map[string]string
			Services  []struct{ Kind, Name, URL, Phone, Source string }
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "content", "_data", "hotlines.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := toml.Unmarshal(b, &dir); err != nil {
		t.Fatalf("hotlines.toml: %v", err)
	}
	if len(dir.Countries) != 57 {
		t.Errorf("%d countries, want the 57 OSCE participating States", len(dir.Countries))
	}
	seen := map[string]bool{}
	phone := regexp.MustCompile(`^[0-9+][0-9 ()-]*[0-9]$`)
	for _, c := range dir.Countries {
		if !regexp.MustCompile(`^[A-Z]{2}$`).MatchString(c.Code) || seen[c.Code] {
			t.Errorf("country code %q invalid or repeated", c.Code)
		}
		seen[c.Code] = true
		for _, lang := range s.Codes() {
			if strings.TrimSpace(c.Names[lang]) == "" {
				t.Errorf("%s: no %s name", c.Code, lang)
			}
		}
		for _, sv := range c.Services {
			if sv.Kind != "hotline" && sv.Kind != "helpline" {
				t.Errorf("%s %q: kind %q", c.Code, sv.Name, sv.Kind)
			}
			if sv.Name == "" || !strings.HasPrefix(sv.URL, "https://") || !strings.HasPrefix(sv.Source, "https://") {
				t.Errorf("%s %q: needs a name, an https link and an https source (url %q, source %q)", c.Code, sv.Name, sv.URL, sv.Source)
			}
			if sv.Phone != "" && !phone.MatchString(sv.Phone) {
				t.Errorf("%s %q: phone %q is not a number", c.Code, sv.Name, sv.Phone)
			}
		}
	}

	var gl struct {
		Concepts []struct {
			ID          string
			Terms       map[string]string
			Definition  map[string]string
			Discouraged map[string][]string
			Why         map[string]string
		}
	}
	b, err = os.ReadFile(filepath.Join(root, "content", "_data", "glossary.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := toml.Unmarshal(b, &gl); err != nil {
		t.Fatalf("glossary.toml: %v", err)
	}
	hasCSAM := false
	for _, c := range gl.Concepts {
		for _, lang := range s.Codes() {
			if c.Terms[lang] == "" || c.Definition[lang] == "" {
				t.Errorf("glossary %s: no %s term or definition", c.ID, lang)
			}
			if len(c.Discouraged[lang]) > 0 && c.Why[lang] == "" {
				t.Errorf("glossary %s: discouraged %s terms without a reason", c.ID, lang)
			}
		}
		if c.Terms["en"] == "child sexual abuse material" {
			hasCSAM = true
			if !strings.Contains(strings.Join(c.Discouraged["en"], ","), "child pornography") {
				t.Error("glossary: \"child pornography\" is not marked as discouraged")
			}
		}
	}
	if !hasCSAM {
		t.Error("glossary has no \"child sexual abuse material\"")
	}
}

// TestAddingASeventhLanguage follows the README's three steps for Ukrainian
// in a copy of the site and builds it (issue 3).
func TestAddingASeventhLanguage(t *testing.T) {
	src := sitetest.CopySite(t)
	cfg, err := os.ReadFile(filepath.Join(src, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	entry := "\n[languages.uk]\nlanguageName = \"Українська\"\nlanguageCode = \"uk\"\ncontentDir = \"content/uk\"\nweight = 7\n[languages.uk.params]\nquickExitURL = \"https://uk.wikipedia.org/\"\n"
	cfg = bytes.Replace(cfg, []byte("\n# The main menu"), []byte(entry+"\n# The main menu"), 1)
	if err := os.WriteFile(filepath.Join(src, "config.toml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	en, _ := os.ReadFile(filepath.Join(src, "i18n", "en.toml"))
	uk := bytes.Replace(en, []byte(`siteTagline = "Protecting children from sexual exploitation online"`), []byte(`siteTagline = "Захист дітей від сексуальної експлуатації в інтернеті"`), 1)
	os.WriteFile(filepath.Join(src, "i18n", "uk.toml"), uk, 0o644)
	os.MkdirAll(filepath.Join(src, "content", "uk"), 0o755)
	os.WriteFile(filepath.Join(src, "content", "uk", "_index.md"), []byte("---\ntitle: \"Polis\"\ntranslationKey: \"home\"\n---\n\nПортал знань.\n"), 0o644)

	out := filepath.Join(t.TempDir(), "public")
	if err := site.Build(src, out, site.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := site.Load(src)
	if err != nil || !s.Has("uk") || len(s.Codes()) != 7 {
		t.Fatalf("languages after adding uk: %v (%v)", s.Codes(), err)
	}
	home, err := os.ReadFile(filepath.Join(out, "uk", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<html lang="uk"`, "Захист дітей", `hreflang="en"`} {
		if !bytes.Contains(home, []byte(want)) {
			t.Errorf("uk home page lacks %q", want)
		}
	}
	fr, _ := os.ReadFile(filepath.Join(out, "fr", "index.html"))
	if !bytes.Contains(fr, []byte(`hreflang="uk"`)) {
		t.Error("French home page does not offer Ukrainian")
	}
	if _, err := os.Stat(filepath.Join(out, "uk", "_server", "shell.html")); err != nil {
		t.Error("no server shell for uk")
	}
}

// TestOneH1AndLandmarksPerPage: each page has exactly one h1, one main,
// one banner header and a skip link to the main content (issue 3, WCAG).
func TestOneH1AndLandmarksPerPage(t *testing.T) {
	public := sitetest.Built(t)
	for page, b := range htmlFiles(t, public) {
		doc, err := html.Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		skip := false
		walk(doc, func(n *html.Node) {
			if n.Type != html.ElementNode {
				return
			}
			count[n.Data]++
			if href, _ := attr(n, "href"); n.Data == "a" && href == "#main" {
				skip = true
			}
		})
		if count["h1"] != 1 || count["main"] != 1 || count["header"] != 1 || count["footer"] != 1 {
			t.Errorf("%s: %d h1, %d main, %d header, %d footer; want one each", page, count["h1"], count["main"], count["header"], count["footer"])
		}
		if !skip {
			t.Errorf("%s: no skip link", page)
		}
	}
}
