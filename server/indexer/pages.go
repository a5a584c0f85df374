package indexer

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/polis-portal/polis/search"
)

// loadPages reads the awareness pages Hugo published: every
// public/<lang>/…/index.html, its h1 as the title and its main content as
// the text. Reading Hugo's output rather than content/ means the index
// holds exactly what the public site shows, in the languages it shows it.
// The glossary page is left out: its concepts are indexed one by one.
func (ix *Indexer) loadPages() error {
	pages := map[string]search.Doc{}
	for _, lang := range ix.Site.Codes() {
		root := filepath.Join(ix.Public, lang)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() && path != root && (strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || name != "index.html" {
				return nil
			}
			rel, _ := filepath.Rel(ix.Public, filepath.Dir(path))
			url := "/" + filepath.ToSlash(rel) + "/"
			if url == "/"+lang+"/glossary/" {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			title, text := pageText(b)
			if strings.TrimSpace(text) == "" {
				return nil
			}
			id := search.ID(TypePage, lang, url)
			pages[id] = search.Doc{ID: id, Type: TypePage, Lang: lang, Title: title, Body: text, URL: url, Audience: []string{search.Public}}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	ix.mu.Lock()
	ix.pages = pages
	ix.mu.Unlock()
	return nil
}

// skipped are elements whose text is not the page's text.
var skipped = map[atom.Atom]bool{atom.Script: true, atom.Style: true, atom.Nav: true, atom.Select: true, atom.Option: true,
	atom.Button: true, atom.Template: true, atom.Noscript: true}

// blocks end a line of text.
var blocks = map[atom.Atom]bool{atom.P: true, atom.Li: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.Div: true, atom.Section: true, atom.Tr: true, atom.Dd: true, atom.Dt: true, atom.Br: true, atom.Blockquote: true}

// pageText returns an HTML page's first h1 (or title) and the text of its
// main element.
func pageText(b []byte) (title, text string) {
	z := html.NewTokenizer(bytes.NewReader(b))
	var out, h1, titleTag strings.Builder
	inMain, inH1, inTitle, skip := 0, false, false, 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			t := strings.TrimSpace(h1.String())
			if t == "" {
				t = strings.TrimSpace(titleTag.String())
			}
			return strings.Join(strings.Fields(t), " "), strings.TrimSpace(squeeze(out.String()))
		case html.StartTagToken:
			tn, _ := z.TagName()
			a := atom.Lookup(tn)
			switch {
			case a == atom.Main:
				inMain++
			case a == atom.H1 && inMain > 0:
				inH1 = true
			case a == atom.Title:
				inTitle = true
			case skipped[a] && inMain > 0:
				skip++
			}
			if blocks[a] && inMain > 0 {
				out.WriteString("\n")
			}
		case html.EndTagToken:
			tn, _ := z.TagName()
			a := atom.Lookup(tn)
			switch {
			case a == atom.Main:
				inMain--
			case a == atom.H1:
				inH1 = false
			case a == atom.Title:
				inTitle = false
			case skipped[a] && skip > 0:
				skip--
			}
			if blocks[a] && inMain > 0 {
				out.WriteString("\n")
			}
		case html.TextToken:
			t := string(z.Text())
			if inTitle {
				titleTag.WriteString(t)
			}
			if inMain > 0 && skip == 0 {
				if inH1 {
					h1.WriteString(t)
				}
				out.WriteString(t)
			}
		}
	}
}

// squeeze keeps paragraph breaks and puts each paragraph on one line.
func squeeze(s string) string {
	var paras []string
	for _, p := range strings.Split(s, "\n") {
		if f := strings.Fields(p); len(f) > 0 {
			paras = append(paras, strings.Join(f, " "))
		}
	}
	return strings.Join(paras, "\n")
}
