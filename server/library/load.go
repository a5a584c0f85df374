package library

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/polis-portal/polis/search/glossary"
	"github.com/polis-portal/polis/server/markdown"
)

// frontMatter is the default language's file: the doc's metadata and text.
type frontMatter struct {
	Title          string
	Short          string
	Summary        string
	Kind           string
	Jurisdiction   string
	Region         string
	Instrument     string
	Year           int
	Adopted        string
	Status         string
	EntryIntoForce string `toml:"entryIntoForce"`
	Citation       string
	TranslationKey string `toml:"translationKey"`
	Official       []Official
	Covers         []Cover
}

// textMatter is another language's file: its texts only.
type textMatter struct {
	Title          string
	Short          string
	Summary        string
	Citation       string
	TranslationKey string `toml:"translationKey"`
}

// checklistFile is content/_data/checklist.toml.
type checklistFile struct {
	Elements []struct {
		ID         string
		Glossary   []string
		Name       map[string]string
		Definition map[string]string
		Terms      map[string][]string
	}
}

var (
	idPattern        = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	countryPattern   = regexp.MustCompile(`^[A-Z]{2}$`)
	paragraphPattern = regexp.MustCompile(`^[0-9A-Za-z()., –§-]{1,40}$`)
	// A part or article heading: "## Article 20 — Title {#art-20}"; a
	// part may have a label alone: "# Sexual Offences Act 2003 {#part-soa}".
	headingPattern = regexp.MustCompile(`^(#{1,2}) (.+?)(?: — (.+?))? \{#([^}]*)\}\s*$`)
)

// problems collects what is wrong, each with its file and line.
type problems []string

func (p *problems) add(file string, line int, format string, args ...any) {
	where := file
	if line > 0 {
		where = fmt.Sprintf("%s:%d", file, line)
	}
	*p = append(*p, where+": "+fmt.Sprintf(format, args...))
}

// Load reads the checklist and every doc for the given languages (the
// first is the default, whose files carry the metadata) and validates
// them. The library holds the docs without problems; the error lists
// every problem, each with its file and line, so a server can start with
// the rest while a test fails.
func Load(contentDir string, langs []string, gl *glossary.Glossary) (*Library, error) {
	var pr problems
	l := &Library{Default: langs[0], Langs: langs, elements: map[string]*Element{}, docs: map[string]*Doc{}}
	l.loadChecklist(filepath.Join(contentDir, "_data", "checklist.toml"), gl, &pr)

	type version struct {
		file string
		raw  []byte
	}
	byID := map[string]map[string]version{}
	for _, lang := range langs {
		files, _ := filepath.Glob(filepath.Join(contentDir, lang, "library", "*.md"))
		for _, file := range files {
			if filepath.Base(file) == "_index.md" {
				continue
			}
			raw, err := os.ReadFile(file)
			if err != nil {
				pr.add(file, 0, "%v", err)
				continue
			}
			id := strings.TrimSuffix(filepath.Base(file), ".md")
			if byID[id] == nil {
				byID[id] = map[string]version{}
			}
			byID[id][lang] = version{file, raw}
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		versions := byID[id]
		def, ok := versions[l.Default]
		if !ok {
			for _, v := range versions {
				pr.add(v.file, 0, "no %s version: the doc's metadata lives in content/%s/library/%s.md", l.Default, l.Default, id)
				break
			}
			continue
		}
		before := len(pr)
		d := l.loadDoc(id, def.file, def.raw, &pr)
		if d == nil {
			continue
		}
		for _, lang := range langs[1:] {
			v, ok := versions[lang]
			if !ok {
				continue
			}
			if t := l.loadTranslation(d, lang, v.file, v.raw, &pr); t != nil {
				d.Texts[lang] = t
				d.Files = append(d.Files, v.file)
			}
		}
		if len(pr) == before {
			l.Docs = append(l.Docs, d)
			l.docs[d.ID] = d
		}
	}
	sort.SliceStable(l.Docs, func(i, j int) bool {
		a, b := l.Docs[i], l.Docs[j]
		if ra, rb := kindRank(a.Kind), kindRank(b.Kind); ra != rb {
			return ra < rb
		}
		if a.Kind == "national-law" && a.Jurisdiction != b.Jurisdiction {
			return a.Jurisdiction < b.Jurisdiction
		}
		if a.Year != b.Year {
			return a.Year < b.Year
		}
		return a.ID < b.ID
	})
	if len(pr) > 0 {
		return l, errors.New("library content:\n  " + strings.Join(pr, "\n  "))
	}
	return l, nil
}

func (l *Library) loadChecklist(file string, gl *glossary.Glossary, pr *problems) {
	raw, err := os.ReadFile(file)
	if err != nil {
		pr.add(file, 0, "%v", err)
		return
	}
	var cf checklistFile
	dec := toml.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil {
		line, msg := tomlError(err)
		pr.add(file, line, "%s", msg)
		return
	}
	for _, e := range cf.Elements {
		line := lineOf(raw, `id = "`+e.ID+`"`, 0)
		if !idPattern.MatchString(e.ID) || l.elements[e.ID] != nil {
			pr.add(file, line, "element id %q is not lower-case words joined by hyphens, or is repeated", e.ID)
			continue
		}
		for _, lang := range l.Langs {
			if strings.TrimSpace(e.Name[lang]) == "" || strings.TrimSpace(e.Definition[lang]) == "" || len(e.Terms[lang]) == 0 {
				pr.add(file, line, "element %s: no %s name, definition or terms", e.ID, lang)
			}
		}
		for _, g := range e.Glossary {
			if gl != nil && gl.Concept(g) == nil {
				pr.add(file, line, "element %s: no glossary concept %q in glossary.toml", e.ID, g)
			}
		}
		el := &Element{ID: e.ID, Glossary: e.Glossary, Name: e.Name, Definition: e.Definition, Terms: e.Terms}
		l.Elements = append(l.Elements, el)
		l.elements[e.ID] = el
	}
	if len(l.Elements) == 0 {
		pr.add(file, 0, "the checklist has no elements")
	}
}

// split separates "+++\n<toml>\n+++\n<body>" and returns the body's first
// line number.
func split(raw []byte) (head, body string, bodyLine int, err error) {
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	if !strings.HasPrefix(text, "+++\n") {
		return "", "", 0, errors.New("front matter must start with a +++ line")
	}
	head, body, ok := strings.Cut(text[4:], "\n+++\n")
	if !ok {
		return "", "", 0, errors.New("front matter has no closing +++ line")
	}
	return head, body, strings.Count(head, "\n") + 4, nil
}

// decode reads TOML strictly: an unknown field is an error.
func decode(head string, v any) (int, error) {
	dec := toml.NewDecoder(strings.NewReader(head))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		line, msg := tomlError(err)
		if line > 0 {
			line++ // the opening +++ line
		}
		return line, errors.New(msg)
	}
	return 0, nil
}

func tomlError(err error) (int, string) {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return row, fmt.Sprintf("front matter, column %d: %v", col, de)
	}
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) {
		return 0, "unknown field: " + sm.String()
	}
	return 0, err.Error()
}

// lineOf returns the 1-based line of the first occurrence of needle in raw
// at or after line from, or 0.
func lineOf(raw []byte, needle string, from int) int {
	for i, line := range strings.Split(string(raw), "\n") {
		if i+1 >= from && strings.Contains(line, needle) {
			return i + 1
		}
	}
	return 0
}

func (l *Library) loadDoc(id, file string, raw []byte, pr *problems) *Doc {
	head, body, bodyLine, err := split(raw)
	if err != nil {
		pr.add(file, 1, "%v", err)
		return nil
	}
	var fm frontMatter
	if line, err := decode(head, &fm); err != nil {
		pr.add(file, line, "%v", err)
		return nil
	}
	fail := func(needle, format string, args ...any) { pr.add(file, lineOf(raw, needle, 0), format, args...) }
	if !idPattern.MatchString(id) || slices.Contains(reserved, id) {
		pr.add(file, 0, "the file name must be lower-case words joined by hyphens and not one of %s", strings.Join(reserved, ", "))
	}
	for _, f := range []struct{ name, v string }{{"title", fm.Title}, {"short", fm.Short}, {"summary", fm.Summary}, {"citation", fm.Citation}} {
		if strings.TrimSpace(f.v) == "" {
			fail(f.name+" =", "missing required field %s", f.name)
		}
	}
	if fm.TranslationKey != "library-"+id {
		fail("translationKey", "translationKey must be %q", "library-"+id)
	}
	if !slices.Contains(Kinds, fm.Kind) {
		fail("kind", "kind %q is not one of %s", fm.Kind, strings.Join(Kinds, ", "))
	}
	if !slices.Contains(Regions, fm.Region) {
		fail("region", "region %q is not one of %s", fm.Region, strings.Join(Regions, ", "))
	}
	if !slices.Contains(Statuses, fm.Status) {
		fail("status", "status %q is not one of %s", fm.Status, strings.Join(Statuses, ", "))
	}
	switch {
	case fm.Kind == "national-law" && (!countryPattern.MatchString(fm.Jurisdiction) || slices.Contains(Organisations, fm.Jurisdiction)):
		fail("jurisdiction", "a national law's jurisdiction is an ISO 3166-1 alpha-2 code in upper case, not %q", fm.Jurisdiction)
	case fm.Kind != "national-law" && !slices.Contains(Organisations, fm.Jurisdiction):
		fail("jurisdiction", "jurisdiction %q is not one of %s", fm.Jurisdiction, strings.Join(Organisations, ", "))
	}
	if fm.Year < 1800 || fm.Year > time.Now().Year()+1 {
		fail("year", "year %d is not plausible", fm.Year)
	}
	for _, f := range []struct{ name, v string }{{"adopted", fm.Adopted}, {"entryIntoForce", fm.EntryIntoForce}} {
		if _, err := time.Parse("2006-01-02", f.v); f.v != "" && err != nil {
			fail(f.name, "%s %q is not a date (YYYY-MM-DD)", f.name, f.v)
		}
	}
	if (fm.Kind == "model-provision") != (fm.Status == "model") {
		fail("status", "status \"model\" is for model provisions, and model provisions have status \"model\"")
	}
	if fm.Kind != "model-provision" && len(fm.Official) == 0 {
		fail("kind", "an instrument or law needs at least one [[official]] link to its official text")
	}
	for _, o := range fm.Official {
		if !isHTTPS(o.URL) || o.Lang == "" {
			fail(o.URL, "[[official]] needs lang and an absolute https:// url (got %q)", o.URL)
		}
	}

	d := &Doc{ID: id, Kind: fm.Kind, Jurisdiction: fm.Jurisdiction, Region: fm.Region, Instrument: fm.Instrument, Year: fm.Year,
		Adopted: fm.Adopted, Status: fm.Status, EntryIntoForce: fm.EntryIntoForce, Official: fm.Official, Covers: fm.Covers,
		Texts: map[string]*Text{}, Files: []string{file}}
	t := &Text{Lang: l.Default, Title: fm.Title, Short: fm.Short, Summary: fm.Summary, Citation: fm.Citation}
	l.parseBody(d, t, file, body, bodyLine, pr)
	d.Texts[l.Default] = t

	seen := map[string]bool{}
	for _, c := range fm.Covers {
		needle := `article = "` + c.Article + `"`
		if l.elements[c.Element] == nil {
			fail(`element = "`+c.Element+`"`, "covers: no checklist element %q", c.Element)
		}
		if t.Article(c.Article) == nil {
			fail(needle, "covers: element %s points to article %q, which is not in this file", c.Element, c.Article)
		}
		if c.Paragraph != "" && !paragraphPattern.MatchString(c.Paragraph) {
			fail(needle, "covers: paragraph %q should look like 1(e)", c.Paragraph)
		}
		if c.Source != "" && !isHTTPS(c.Source) {
			fail(needle, "covers: source %q must be an absolute https:// link", c.Source)
		}
		key := c.Element + "\x00" + c.Article + "\x00" + c.Paragraph
		if seen[key] {
			fail(needle, "covers: element %s, article %s, paragraph %q is claimed twice", c.Element, c.Article, c.Paragraph)
		}
		seen[key] = true
	}
	if d.Kind == "model-provision" {
		for _, e := range l.Elements {
			if len(d.CoversOf(e.ID)) == 0 {
				pr.add(file, 0, "the model provisions cover no article for checklist element %s", e.ID)
			}
		}
		for _, a := range t.Articles {
			if a.CommentMD == "" {
				pr.add(file, a.Line, "model provision %s has no commentary (a \"### Commentary\" line and its text)", a.Anchor)
			}
		}
	}
	return d
}

func (l *Library) loadTranslation(d *Doc, lang, file string, raw []byte, pr *problems) *Text {
	head, body, bodyLine, err := split(raw)
	if err != nil {
		pr.add(file, 1, "%v", err)
		return nil
	}
	var tm textMatter
	if line, err := decode(head, &tm); err != nil {
		pr.add(file, line, "%v (a translation holds title, short, summary, citation and translationKey only; the metadata lives in the %s file)", err, l.Default)
		return nil
	}
	for _, f := range []struct{ name, v string }{{"title", tm.Title}, {"short", tm.Short}, {"summary", tm.Summary}, {"citation", tm.Citation}} {
		if strings.TrimSpace(f.v) == "" {
			pr.add(file, lineOf(raw, f.name+" =", 0), "missing required field %s", f.name)
		}
	}
	if tm.TranslationKey != "library-"+d.ID {
		pr.add(file, lineOf(raw, "translationKey", 0), "translationKey must be %q", "library-"+d.ID)
	}
	t := &Text{Lang: lang, Title: tm.Title, Short: tm.Short, Summary: tm.Summary, Citation: tm.Citation}
	l.parseBody(d, t, file, body, bodyLine, pr)
	// The same parts and articles, in the same order: side-by-side views
	// align them by anchor.
	def := d.Texts[l.Default]
	want, got := def.order, t.order
	if !slices.Equal(want, got) {
		for _, a := range want {
			if !slices.Contains(got, a) {
				pr.add(file, 0, "%s is missing from this translation", a)
			}
		}
		for _, a := range got {
			if !slices.Contains(want, a) {
				pr.add(file, lineOf(raw, "{#"+a+"}", 0), "%s is not in the %s file", a, l.Default)
			}
		}
		if len(want) == len(got) {
			pr.add(file, 0, "the parts and articles are not in the order of the %s file", l.Default)
		}
	}
	if d.Kind == "model-provision" {
		for _, a := range t.Articles {
			if a.CommentMD == "" {
				pr.add(file, a.Line, "model provision %s has no commentary", a.Anchor)
			}
		}
	}
	return t
}

// parseBody splits the body into the overview, parts and articles, checks
// the headings and renders the Markdown.
func (l *Library) parseBody(d *Doc, t *Text, file, body string, firstLine int, pr *problems) {
	t.byAnchor = map[string]*Article{}
	var overview strings.Builder
	var cur *Article
	var part *Part
	var text, comment strings.Builder
	inComment := false
	seen := map[string]bool{}
	flush := func() {
		if cur == nil {
			return
		}
		cur.Markdown, cur.CommentMD = strings.TrimSpace(text.String()), strings.TrimSpace(comment.String())
		if cur.Markdown == "" {
			pr.add(file, cur.Line, "article %s has no text", cur.Anchor)
		}
		text.Reset()
		comment.Reset()
		inComment = false
	}
	anchorOK := func(anchor string, line int) bool {
		switch {
		case !idPattern.MatchString(anchor) || slices.Contains(reserved, anchor):
			pr.add(file, line, "anchor {#%s} must be lower-case letters, digits and hyphens (like art-20), and not one of %s", anchor, strings.Join(reserved, ", "))
		case seen[anchor]:
			pr.add(file, line, "anchor {#%s} is used twice", anchor)
		default:
			seen[anchor] = true
			return true
		}
		return false
	}
	inFence := false
	for i, line := range strings.Split(body, "\n") {
		n := firstLine + i
		if strings.HasPrefix(line, "```") || strings.HasPrefix(line, "~~~") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(line, "#") {
			switch {
			case cur == nil:
				overview.WriteString(line + "\n")
			case inComment:
				comment.WriteString(line + "\n")
			default:
				text.WriteString(line + "\n")
			}
			continue
		}
		if strings.HasPrefix(line, "### ") && !strings.HasPrefix(line, "#### ") {
			switch {
			case d.Kind != "model-provision":
				pr.add(file, n, "only the model provisions have ### headings (their commentary); use # for parts and ## for articles")
			case cur == nil || inComment:
				pr.add(file, n, "a ### Commentary line belongs inside an article, once")
			default:
				inComment = true
			}
			continue
		}
		m := headingPattern.FindStringSubmatch(line)
		if m == nil {
			pr.add(file, n, "a heading must read \"## <label> — <title> {#anchor}\" (# for a part, ## for an article): %q", line)
			continue
		}
		level, label, title, anchor := len(m[1]), strings.TrimSpace(m[2]), strings.TrimSpace(m[3]), m[4]
		if level == 2 && title == "" {
			pr.add(file, n, "an article heading needs a label and a title: \"## Article 20 — Title {#art-20}\"")
			continue
		}
		if !anchorOK(anchor, n) {
			continue
		}
		flush()
		t.order = append(t.order, anchor)
		if level == 1 {
			part = &Part{Anchor: anchor, Label: label, Title: title}
			t.Parts = append(t.Parts, part)
			cur = nil
			continue
		}
		cur = &Article{Anchor: anchor, Label: label, Title: title, Part: part, Line: n}
		if part != nil {
			part.Articles = append(part.Articles, cur)
		}
		t.Articles = append(t.Articles, cur)
		t.byAnchor[anchor] = cur
	}
	flush()
	if cur == nil && len(t.Articles) == 0 {
		pr.add(file, 0, "no articles (## headings)")
	}
	var err error
	t.overviewMD = strings.TrimSpace(overview.String())
	if t.Overview, err = markdown.Render([]byte(t.overviewMD), markdown.Options{IDPrefix: "ov-"}); err != nil {
		pr.add(file, firstLine, "overview: %v", err)
	}
	for _, a := range t.Articles {
		prefix := "fn-" + a.Anchor + "-"
		if len(prefix) > 60 {
			prefix = prefix[:60]
		}
		if a.Body, err = markdown.Render([]byte(a.Markdown), markdown.Options{IDPrefix: prefix}); err != nil {
			pr.add(file, a.Line, "%v", err)
		}
		if a.CommentMD != "" {
			if a.Commentary, err = markdown.Render([]byte(a.CommentMD), markdown.Options{IDPrefix: prefix + "c-"}); err != nil {
				pr.add(file, a.Line, "%v", err)
			}
		}
	}
}

func isHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && !strings.ContainsAny(s, " \t\n<>\"")
}
