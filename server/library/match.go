package library

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/polis-portal/polis/search/glossary"
	"github.com/polis-portal/polis/search/textlang"
)

// Suggestion is a checklist element whose terms occur in a draft: a hint
// for the drafter to check, never a finding.
type Suggestion struct {
	Element *Element
	Count   int     // occurrences of its terms
	Found   []Found // the first few, with their context
}

// Found is one occurrence: the term as the draft wrote it, with some text
// on either side.
type Found struct {
	Term          string // the checklist or glossary term it matched
	Before, Match string
	After         string
	Start, End    int // byte offsets of Match in the draft
}

// maxFound is how many occurrences a suggestion shows.
const maxFound = 3

// phrase is one term, analysed: the sequence of terms to look for.
type phrase struct {
	term  string
	terms []string
}

// Matcher finds the checklist elements a draft may cover, by the terms of
// each element in the draft's language and the glossary's words for the
// concepts it names, analysed as the search index analyses text (stemmed,
// accents folded), so inflected forms match.
type Matcher struct {
	lib *Library
	gl  *glossary.Glossary

	mu      sync.Mutex
	phrases map[string]map[string][]phrase // lang → element → phrases
}

// NewMatcher makes a matcher over the library's checklist.
func NewMatcher(l *Library, gl *glossary.Glossary) *Matcher {
	return &Matcher{lib: l, gl: gl, phrases: map[string]map[string][]phrase{}}
}

// phrasesFor analyses every element's terms in lang once.
func (m *Matcher) phrasesFor(lang string) map[string][]phrase {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.phrases[lang]; ok {
		return p
	}
	out := map[string][]phrase{}
	for _, e := range m.lib.Elements {
		words := append([]string{}, e.Terms[lang]...)
		for _, id := range e.Glossary {
			if c := m.gl.Concept(id); c != nil {
				words = append(words, c.Words(lang)...)
			}
		}
		seen := map[string]bool{}
		for _, w := range words {
			var terms []string
			for _, t := range textlang.Analyze(lang, w) {
				terms = append(terms, t.Term)
			}
			key := strings.Join(terms, " ")
			if len(terms) == 0 || seen[key] {
				continue
			}
			seen[key] = true
			out[e.ID] = append(out[e.ID], phrase{term: w, terms: terms})
		}
	}
	m.phrases[lang] = out
	return out
}

// Suggest returns, for each element whose terms occur in draft (written
// in lang), how often and where; elements in checklist order.
func (m *Matcher) Suggest(draft, lang string) []Suggestion {
	toks := textlang.Analyze(lang, draft)
	at := map[string][]int{}
	for i, t := range toks {
		at[t.Term] = append(at[t.Term], i)
	}
	phrases := m.phrasesFor(lang)
	var out []Suggestion
	for _, e := range m.lib.Elements {
		s := Suggestion{Element: e}
		used := map[int]bool{} // a place in the draft counts once per element
		for _, p := range phrases[e.ID] {
		next:
			for _, i := range at[p.terms[0]] {
				if i+len(p.terms) > len(toks) || used[i] {
					continue
				}
				for k, term := range p.terms {
					if toks[i+k].Term != term {
						continue next
					}
				}
				used[i] = true
				s.Count++
				if len(s.Found) < maxFound {
					s.Found = append(s.Found, excerpt(draft, p.term, toks[i].Start, toks[i+len(p.terms)-1].End))
				}
			}
		}
		if s.Count > 0 {
			sortFound(s.Found)
			out = append(out, s)
		}
	}
	return out
}

// sortFound puts occurrences in the order of the draft.
func sortFound(f []Found) {
	for i := 1; i < len(f); i++ {
		for j := i; j > 0 && f[j].Start < f[j-1].Start; j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
}

// excerptWidth is how much text an occurrence shows on either side.
const excerptWidth = 70

// excerpt cuts the text around [start, end) at word boundaries.
func excerpt(text, term string, start, end int) Found {
	from := max(0, start-excerptWidth)
	for from > 0 && !utf8.RuneStart(text[from]) {
		from--
	}
	if i := strings.IndexAny(text[from:start], " \n\t"); from > 0 && i >= 0 {
		from += i + 1
	}
	to := min(len(text), end+excerptWidth)
	for to < len(text) && !utf8.RuneStart(text[to]) {
		to++
	}
	if i := strings.LastIndexAny(text[end:to], " \n\t"); to < len(text) && i >= 0 {
		to = end + i
	}
	f := Found{Term: term, Before: collapse(text[from:start]), Match: text[start:end], After: collapse(text[end:to]), Start: start, End: end}
	if from > 0 {
		f.Before = "…" + f.Before
	}
	if to < len(text) {
		f.After += "…"
	}
	return f
}

// collapse puts a draft's line breaks and runs of spaces on one line.
func collapse(s string) string { return spaces.ReplaceAllString(s, " ") }

var spaces = regexp.MustCompile(`\s+`)
