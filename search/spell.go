package search

import (
	"context"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/polis-portal/polis/search/textlang"
)

// maxCandidates is how many corrections of one word are tried.
const maxCandidates = 3

// maxTries bounds the verifying searches of one correction.
const maxTries = 8

// didYouMean proposes the query with a misspelt word replaced by a close
// word of the index: first the words of titles as written, then the
// stemmed words of the texts in each language (shown as the text writes
// them). A proposal is made only if it finds something the viewer may
// read, so a correction never points to a word that occurs only in what
// the viewer cannot see.
func (x *Index) didYouMean(ctx context.Context, r Request) string {
	adv, err := x.Bleve.Advanced()
	if err != nil {
		return ""
	}
	reader, err := adv.Reader()
	if err != nil {
		return ""
	}
	defer reader.Close()
	fuzzy, ok := reader.(index.IndexReaderFuzzy)
	if !ok {
		return ""
	}
	words := r.Query.Words
	tries := 0
	try := func(i int, cand string) (*Result, []string) {
		tries++
		fixed := append([]string{}, words...)
		fixed[i] = cand
		q := r
		q.Query.Words = fixed
		q.Spell, q.Facets, q.Snippets, q.Size, q.From = false, false, false, 1, 0
		res, err := x.Search(ctx, q)
		if err != nil || res.Total == 0 {
			return nil, nil
		}
		return res, fixed
	}
	join := func(fixed []string) string { return strings.Join(append(fixed, quoteAll(r.Query.Phrases)...), " ") }
	for i, w := range words {
		folded := fold(w)
		if utf8.RuneCountInString(folded) < 4 {
			continue
		}
		for _, cand := range candidates(fuzzy, fSpell, folded) {
			if tries >= maxTries {
				return ""
			}
			if _, fixed := try(i, cand); fixed != nil {
				return join(fixed)
			}
		}
		langs := fieldLangs
		if r.Lang != "" {
			langs = []string{fieldLang(r.Lang)}
		}
		for _, sfx := range langs {
			ts := terms(sfx, w)
			if len(ts) != 1 || utf8.RuneCountInString(ts[0]) < 4 {
				continue
			}
			for _, cand := range candidates(fuzzy, "body_"+sfx, ts[0]) {
				if tries >= maxTries {
					return ""
				}
				res, fixed := try(i, cand)
				if fixed == nil {
					continue
				}
				// Show the word as the found text writes it.
				if word := x.surface(ctx, res.Hits, sfx, cand); word != "" {
					fixed[i] = word
				}
				return join(fixed)
			}
		}
	}
	return ""
}

// surface finds, in the text of the first hit, a word whose analysis is
// stem.
func (x *Index) surface(ctx context.Context, hits []Hit, sfx, stem string) string {
	if x.Text == nil || len(hits) == 0 {
		return ""
	}
	texts, err := x.Text(ctx, []string{hits[0].ID})
	if err != nil {
		return ""
	}
	text := texts[hits[0].ID]
	lang := sfx
	if sfx == neutral {
		lang = ""
	}
	for _, t := range textlang.Analyze(lang, text) {
		if t.Term == stem {
			return strings.ToLower(text[t.Start:t.End])
		}
	}
	return ""
}

// fold is a word as the spell field holds it.
func fold(w string) string {
	toks := textlang.Analyze("", w)
	if len(toks) != 1 {
		return strings.ToLower(w)
	}
	return toks[0].Term
}

// candidates are the terms of a field within one or two edits (by
// length) of w, most frequent first.
func candidates(r index.IndexReaderFuzzy, field, w string) []string {
	fuzziness := 1
	if utf8.RuneCountInString(w) > 6 {
		fuzziness = 2
	}
	first, _ := utf8.DecodeRuneInString(w)
	dict, err := r.FieldDictFuzzy(field, w, fuzziness, string(first))
	if err != nil {
		return nil
	}
	defer dict.Close()
	type cand struct {
		term  string
		count uint64
	}
	var cs []cand
	for e, err := dict.Next(); err == nil && e != nil; e, err = dict.Next() {
		if e.Term != w {
			cs = append(cs, cand{e.Term, e.Count})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].count > cs[j].count })
	var out []string
	for i := 0; i < len(cs) && i < maxCandidates; i++ {
		out = append(out, cs[i].term)
	}
	return out
}

func quoteAll(ps []string) []string {
	var out []string
	for _, p := range ps {
		out = append(out, `"`+p+`"`)
	}
	return out
}

// maxSuggestions is how many completions one prefix gets.
const maxSuggestions = 8

// Suggest completes what a reader is typing: the titles of documents the
// viewer may read whose titles or summaries have the earlier words and a
// word starting with the last one.
func (x *Index) Suggest(ctx context.Context, text string, audiences []string, lang string) ([]string, error) {
	words := strings.Fields(text)
	if len(words) == 0 || len(audiences) == 0 {
		return nil, nil
	}
	last := fold(words[len(words)-1])
	if utf8.RuneCountInString(last) < 2 {
		return nil, nil
	}
	must := []query.Query{anyTerm(fAudience, audiences)}
	if lang != "" {
		must = append(must, anyTerm(fLang, []string{lang}))
	}
	for _, w := range words[:len(words)-1] {
		t := query.NewTermQuery(fold(w))
		t.SetField(fSpell)
		must = append(must, t)
	}
	pq := query.NewPrefixQuery(last)
	pq.SetField(fSpell)
	must = append(must, pq)
	req := bleve.NewSearchRequestOptions(query.NewConjunctionQuery(must), maxSuggestions*2, 0, false)
	req.Fields = []string{fTitle}
	res, err := x.Bleve.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, h := range res.Hits {
		t, _ := h.Fields[fTitle].(string)
		if t != "" && !seen[t] && len(out) < maxSuggestions {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// anyTerm matches documents with any of the values in a keyword field.
func anyTerm(field string, values []string) query.Query {
	qs := make([]query.Query, 0, len(values))
	for _, v := range values {
		t := query.NewTermQuery(v)
		t.SetField(field)
		qs = append(qs, t)
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}
