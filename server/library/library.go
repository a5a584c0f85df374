// Package library is the model-legislation library at /<lang>/library/:
// international and regional instruments, national laws and the portal's
// model provisions, article by article with permanent anchors; the
// drafting checklist; comparisons side by side; the coverage matrix; and
// the drafter's self-assessment of a draft.
//
// Its sources of truth are content files, reviewed like code: the
// instruments in content/<lang>/library/<id>.md and the checklist in
// content/_data/checklist.toml (format in docs/library-content.md). The
// server reads and validates them at start and keeps them in memory,
// immutable: every page is a lookup, and nothing a drafter pastes is kept
// unless a signed-in member saves it. Hugo publishes nothing from those
// folders (a cascade in each _index.md).
package library

import (
	"html/template"
	"slices"
	"strings"
)

// Controlled vocabularies, in the order the pages list them.
var (
	Kinds    = []string{"international-instrument", "regional-instrument", "model-provision", "national-law"}
	Regions  = []string{"global", "europe", "africa", "north-america", "central-asia", "caucasus"}
	Statuses = []string{"in-force", "not-in-force", "model"}
	// Organisations are the jurisdictions that are not countries.
	Organisations = []string{"UN", "ILO", "COE", "EU", "AU", "POLIS"}
)

// reserved are path segments under /<lang>/library/ and
// /<lang>/library/<id>/ that the server uses itself: no instrument or
// article may take them as its id or anchor.
var reserved = []string{"checklist", "matrix", "compare", "assess", "languages", "export", "index"}

// Library is everything loaded from the content files.
type Library struct {
	Default  string     // the default language, whose files hold the metadata
	Langs    []string   // site languages, default first
	Elements []*Element // the checklist, in order
	Docs     []*Doc     // by kind, then year, then id

	elements map[string]*Element
	docs     map[string]*Doc
}

// Element is one item of the drafting checklist.
type Element struct {
	ID         string
	Glossary   []string            // glossary concepts whose terms also signal it
	Name       map[string]string   // per language
	Definition map[string]string   // per language
	Terms      map[string][]string // per language: words that suggest a draft covers it
}

// Doc is an instrument, a national law or the model provisions.
type Doc struct {
	ID             string
	Kind           string
	Jurisdiction   string
	Region         string
	Instrument     string // symbol or number
	Year           int
	Adopted        string // YYYY-MM-DD or ""
	Status         string
	EntryIntoForce string // YYYY-MM-DD or ""
	Official       []Official
	Covers         []Cover
	Texts          map[string]*Text // per language
	Files          []string         // the files it comes from, default language first
}

// Official is a link to an official text.
type Official struct {
	Lang  string `json:"lang"`
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
}

// Cover says that an article of a doc addresses a checklist element.
type Cover struct {
	Element   string `json:"element"`
	Article   string `json:"article"`
	Paragraph string `json:"paragraph,omitempty"`
	Optional  bool   `json:"optional,omitempty"` // permitted or encouraged, not required
	Source    string `json:"source,omitempty"`   // a public source for the claim besides the official text
}

// Text is a doc in one language.
type Text struct {
	Lang       string
	Title      string
	Short      string
	Summary    string
	Citation   string
	Overview   template.HTML
	overviewMD string
	Parts      []*Part
	Articles   []*Article
	byAnchor   map[string]*Article
	order      []string // part and article anchors as the file has them
}

// Part is a chapter or part heading that groups the articles after it.
type Part struct {
	Anchor, Label, Title string
	Articles             []*Article
}

// Heading is the part's label and title as a heading shows them.
func (p *Part) Heading() string {
	if p.Title == "" {
		return p.Label
	}
	return p.Label + " — " + p.Title
}

// Article is one provision.
type Article struct {
	Anchor     string
	Label      string // how it is cited: "Article 20", "§ 184b"
	Title      string
	Part       *Part // nil when the doc has no parts
	Body       template.HTML
	Commentary template.HTML // model provisions only
	Markdown   string        // the source of Body, for exports and the matcher
	CommentMD  string
	Line       int // of the heading, for messages about the file
}

// Element returns the checklist element with id, or nil.
func (l *Library) Element(id string) *Element { return l.elements[id] }

// Doc returns the doc with id, or nil.
func (l *Library) Doc(id string) *Doc { return l.docs[id] }

// Text returns the doc in lang, falling back to the default language; ok
// tells whether the text is in lang itself.
func (d *Doc) Text(lang, def string) (t *Text, ok bool) {
	if t := d.Texts[lang]; t != nil {
		return t, true
	}
	return d.Texts[def], false
}

// Article returns the article with anchor, or nil.
func (t *Text) Article(anchor string) *Article { return t.byAnchor[anchor] }

// Langs returns the languages the doc is written in, in site order.
func (l *Library) DocLangs(d *Doc) []string {
	var out []string
	for _, lang := range l.Langs {
		if d.Texts[lang] != nil {
			out = append(out, lang)
		}
	}
	return out
}

// CoversOf returns the doc's claims for one element.
func (d *Doc) CoversOf(element string) []Cover {
	var out []Cover
	for _, c := range d.Covers {
		if c.Element == element {
			out = append(out, c)
		}
	}
	return out
}

// ElementsOf returns the elements an article addresses, in checklist order.
func (l *Library) ElementsOf(d *Doc, anchor string) []*Element {
	var out []*Element
	for _, e := range l.Elements {
		for _, c := range d.Covers {
			if c.Element == e.ID && c.Article == anchor {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// Binding reports whether the doc binds States (international or
// regional): its claims are what the checklist's "required by" lists.
func (d *Doc) Binding() bool {
	return d.Kind == "international-instrument" || d.Kind == "regional-instrument"
}

// Ref is one provision of one doc, as other pages point to it.
type Ref struct {
	Doc   *Doc
	Cover Cover
}

// RequiredBy returns the instruments' claims for an element: required
// ones first (optional ones after), instruments in library order.
func (l *Library) RequiredBy(element string) (required, optional []Ref) {
	for _, d := range l.Docs {
		if !d.Binding() {
			continue
		}
		for _, c := range d.CoversOf(element) {
			if c.Optional {
				optional = append(optional, Ref{d, c})
			} else {
				required = append(required, Ref{d, c})
			}
		}
	}
	return required, optional
}

// ModelFor returns the model provisions that provide an element.
func (l *Library) ModelFor(element string) []Ref {
	var out []Ref
	for _, d := range l.Docs {
		if d.Kind != "model-provision" {
			continue
		}
		for _, c := range d.CoversOf(element) {
			out = append(out, Ref{d, c})
		}
	}
	return out
}

// Related is the provisions of other docs on one element an article
// addresses.
type Related struct {
	Element *Element
	Refs    []Ref
}

// Related returns, for each element the article addresses, the articles of
// other docs that address it too: what a reader of a provision wants next
// to it.
func (l *Library) Related(d *Doc, anchor string) []Related {
	var out []Related
	for _, e := range l.ElementsOf(d, anchor) {
		g := Related{Element: e}
		seen := map[string]bool{}
		for _, o := range l.Docs {
			if o == d {
				continue
			}
			for _, c := range o.CoversOf(e.ID) {
				if key := o.ID + "/" + c.Article; !seen[key] {
					seen[key] = true
					g.Refs = append(g.Refs, Ref{o, c})
				}
			}
		}
		if len(g.Refs) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// Label joins an article's label and a paragraph: "Article 20" and "1(e)"
// give "Article 20(1)(e)"; "§ 184b" and "3" give "§ 184b(3)".
func Label(label, paragraph string) string {
	if paragraph == "" {
		return label
	}
	if strings.HasPrefix(paragraph, "(") {
		return label + paragraph
	}
	if strings.HasPrefix(paragraph, "§") {
		return label + " " + paragraph // Polish style: "Art. 202 § 3"
	}
	head, rest, found := strings.Cut(paragraph, "(")
	if found {
		rest = "(" + rest
	}
	return label + "(" + head + ")" + rest
}

// Permalink is the path of an article in lang.
func Permalink(lang, doc, anchor string) string {
	return "/" + lang + "/library/" + doc + "/" + anchor
}

// kindRank orders docs by kind for lists.
func kindRank(kind string) int { return slices.Index(Kinds, kind) }
