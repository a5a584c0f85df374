package search

import (
	"context"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/polis-portal/polis/search/glossary"
	"github.com/polis-portal/polis/search/textlang"
)

// Request is one search by one viewer.
type Request struct {
	Query     Parsed
	Audiences []string // the viewer's: what they may read; never empty
	Lang      string   // only documents in this language ("" all)
	ByDate    bool     // newest first instead of by relevance
	From      int
	Size      int
	Facets    bool
	Snippets  bool
	Spell     bool               // offer a correction when nothing is found
	Glossary  *glossary.Glossary // widens the query across languages; nil: no widening
}

// Result is what a search found, all of it within the viewer's audiences.
type Result struct {
	Total      uint64
	Hits       []Hit
	Facets     map[string][]FacetValue // type, lang, topics, jurisdiction, year
	DidYouMean string                  // a corrected query that finds something, or ""
	Expanded   []string                // glossary concepts the query was widened with
	Took       time.Duration
}

// Hit is one document found.
type Hit struct {
	ID      string
	Type    string
	Lang    string
	Title   string
	Summary string
	URL     string
	Snippet template.HTML // escaped text with <mark> around the words found
	Score   float64
	Date    time.Time
}

// FacetValue is one value of a facet with the number of documents.
type FacetValue struct {
	Value string
	Count int
}

// maxSize bounds a page of results.
const maxSize = 100

// Search runs a request. The viewer's audiences are part of the query
// itself, so the total, the facets, the snippets and the correction are
// computed over what the viewer may read, and nothing else.
func (x *Index) Search(ctx context.Context, r Request) (*Result, error) {
	if len(r.Audiences) == 0 {
		return nil, fmt.Errorf("search: no audiences: a search always says who is reading")
	}
	start := time.Now()
	size := min(max(r.Size, 0), maxSize)
	r.From = max(r.From, 0)
	res, err := x.run(ctx, r, size)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if r.Spell && res.Total == 0 && !r.Query.Empty() {
		res.DidYouMean = x.didYouMean(ctx, r)
	}
	res.Took = time.Since(start)
	return res, nil
}

// splitID reads "<type>:<lang>:<key>".
func splitID(id string) (typ, lang, key string) {
	typ, rest, _ := strings.Cut(id, ":")
	lang, key, _ = strings.Cut(rest, ":")
	return typ, lang, key
}

// ID makes a document id.
func ID(typ, lang, key string) string { return typ + ":" + lang + ":" + key }

// terms analyses text in one language (field suffix).
func terms(sfx, text string) []string {
	lang := sfx
	if sfx == neutral {
		lang = ""
	}
	var out []string
	for _, t := range textlang.Analyze(lang, text) {
		out = append(out, t.Term)
	}
	return out
}

// titleBoost makes a word in the title count more than in the body.
const titleBoost = 2.0

// expansion is a glossary concept found in the query: its words in every
// language stand in for the query words that named it.
type expansion struct {
	concept string
	words   map[string][]string // field suffix → the concept's terms
	rest    Parsed              // the query without the words that named the concept
}

// expansionBoost keeps documents that match the query as written above
// those found only through another language's term.
const expansionBoost = 0.6

// maxConceptWords bounds how many query words one concept term may span.
const maxConceptWords = 8

// conceptForms are a glossary concept's terms analysed in each language.
type conceptForms struct {
	c     *glossary.Concept
	forms []struct {
		lang  int // index in textlang.Languages
		terms string
	}
}

// analysed keeps each glossary's concepts analysed: a glossary does not
// change once loaded, and analysing all its terms in every language for
// each query was a third of a search's time.
var analysed sync.Map // *glossary.Glossary → []conceptForms

func analysedConcepts(g *glossary.Glossary) []conceptForms {
	if v, ok := analysed.Load(g); ok {
		return v.([]conceptForms)
	}
	out := make([]conceptForms, 0, len(g.Concepts))
	for i := range g.Concepts {
		c := &g.Concepts[i]
		cf := conceptForms{c: c}
		for l, lang := range textlang.Languages {
			for _, w := range c.Words(lang) {
				if t := strings.Join(terms(lang, w), " "); t != "" {
					cf.forms = append(cf.forms, struct {
						lang  int
						terms string
					}{l, t})
				}
			}
		}
		out = append(out, cf)
	}
	analysed.Store(g, out)
	return out
}

// expand finds the glossary concepts the query names, in any language:
// a run of the query's words whose analysis equals one of the concept's
// terms analysed in that language ("grooming" names online grooming; so
// does "sollicitation d'enfants à des fins sexuelles").
func expand(g *glossary.Glossary, p Parsed) []expansion {
	if g == nil || p.Empty() {
		return nil
	}
	var out []expansion
	// The phrases count as runs of their own.
	units := append(append([]string{}, p.Words...), p.Phrases...)
	// The analysis of each run of the query's words, per language, made
	// when first needed.
	runs := map[[3]int]string{}
	run := func(l, i, j int) string {
		k := [3]int{l, i, j}
		t, ok := runs[k]
		if !ok {
			t = strings.Join(terms(textlang.Languages[l], strings.Join(units[i:j], " ")), " ")
			runs[k] = t
		}
		return t
	}
	for _, c := range analysedConcepts(g) {
	search:
		for _, f := range c.forms {
			for i := range units {
				for j := i + 1; j <= len(units) && j-i <= maxConceptWords; j++ {
					if run(f.lang, i, j) != f.terms {
						continue
					}
					e := expansion{concept: c.c.ID, words: map[string][]string{}}
					for _, l := range textlang.Languages {
						e.words[l] = c.c.Words(l)
					}
					for k, u := range units {
						if k >= i && k < j {
							continue
						}
						if k < len(p.Words) {
							e.rest.Words = append(e.rest.Words, u)
						} else {
							e.rest.Phrases = append(e.rest.Phrases, u)
						}
					}
					out = append(out, e)
					break search
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].concept < out[j].concept })
	return out
}
