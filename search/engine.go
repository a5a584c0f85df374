package search

import (
	"container/heap"
	"context"
	"fmt"
	"html"
	"html/template"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"github.com/polis-portal/polis/search/textlang"
)

// The engine answers a search from Bleve's index segments directly.
//
// Bleve's own search path costs about a microsecond per matching document
// (term searchers, a collector, facets from doc values, a highlighter):
// 25 ms at 100,000 documents for the benchmark queries with facets,
// snippets and the access filter, slower than SQLite FTS5. The engine keeps
// Bleve's analysis, index files, dictionaries and phrase searchers, and
// replaces the rest: Bleve's segments are immutable, so the engine decodes
// a term's postings in a segment once (document numbers and a weight per
// document) and keeps them while the segment lives, keeps per segment the
// columns the facets read and the bitsets of the audiences and filters,
// and then a query is a few merges of sorted arrays. Deleted documents are
// checked against the snapshot's deletions on every query, so caches never
// need to know about deletions.

// plist is a term's postings in one segment: the documents in increasing
// order and each one's weight (square root of the term frequency times
// the field's length norm); the query multiplies in the term's idf.
type plist struct {
	docs []uint32
	w    []float32
}

func (p *plist) bytes() int { return len(p.docs)*8 + 48 }

// hits is a sorted list of matching documents with scores.
type hits struct {
	docs  []uint32
	score []float32
}

// columns are the per-document values the facets and the date sort read,
// as codes into each field's values.
type columns struct {
	codes  map[string][]uint16 // type, lang, jurisdiction, year → code per doc (0: none)
	topics []uint64            // bit i: topic vals["topics"][i]
	date   []int64             // days since 1970, 0: none
	vals   map[string][]string // field → values by code (code 0 is "")
}

// segState is what the engine keeps for one segment.
type segState struct {
	seg segment.Segment
	n   int // document numbers in the segment

	colOnce sync.Once
	cols    *columns
	colErr  error

	mu    sync.Mutex
	lists map[string]*plist   // field + "\x00" + term
	sets  map[string][]uint64 // cache key → bitset of allowed documents
}

// engine holds the segment states of one open index.
type engine struct {
	mu       sync.Mutex
	segs     map[uint64]*segState
	cached   int // bytes of decoded postings, over all segments
	queries  int
	maxBytes int
}

// maxCachedPostings bounds the decoded postings kept in memory.
const maxCachedPostings = 96 << 20

func newEngine() *engine {
	return &engine{segs: map[uint64]*segState{}, maxBytes: maxCachedPostings}
}

// state returns the state of a segment of the snapshot.
func (e *engine) state(ss *scorch.SegmentSnapshot) *segState {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.segs[ss.Id()]
	if st == nil || st.seg != ss.Segment() {
		st = &segState{seg: ss.Segment(), n: int(ss.Segment().Count()), lists: map[string]*plist{}, sets: map[string][]uint64{}}
		e.segs[ss.Id()] = st
	}
	return st
}

// prune forgets the segments that are no longer in the snapshot (merged
// away), now and then.
func (e *engine) prune(live []*scorch.SegmentSnapshot) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.queries++
	if e.queries%64 != 0 {
		return
	}
	keep := map[uint64]bool{}
	for _, ss := range live {
		keep[ss.Id()] = true
	}
	for id, st := range e.segs {
		if !keep[id] {
			st.mu.Lock()
			for _, p := range st.lists {
				e.cached -= p.bytes()
			}
			st.mu.Unlock()
			delete(e.segs, id)
		}
	}
}

// postings returns a term's decoded postings in the segment.
func (e *engine) postings(st *segState, field, term string) (*plist, error) {
	key := field + "\x00" + term
	st.mu.Lock()
	p := st.lists[key]
	st.mu.Unlock()
	if p != nil {
		return p, nil
	}
	dict, err := st.seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	pl, err := dict.PostingsList([]byte(term), nil, nil)
	if err != nil {
		return nil, err
	}
	p = &plist{}
	if pl != nil && pl.Count() > 0 {
		n := int(pl.Count())
		p.docs, p.w = make([]uint32, 0, n), make([]float32, 0, n)
		it := pl.Iterator(true, true, false, nil)
		for post, err := it.Next(); err == nil && post != nil; post, err = it.Next() {
			p.docs = append(p.docs, uint32(post.Number()))
			p.w = append(p.w, float32(math.Sqrt(float64(post.Frequency()))*post.Norm()))
		}
	}
	st.mu.Lock()
	if old := st.lists[key]; old != nil {
		p = old
	} else {
		st.lists[key] = p
		e.mu.Lock()
		e.cached += p.bytes()
		over := e.cached > e.maxBytes
		e.mu.Unlock()
		if over {
			e.evict()
		}
	}
	st.mu.Unlock()
	return p, nil
}

// evict drops every decoded postings list (they come back on use): rare,
// and simpler than bookkeeping for a least-recently-used order.
func (e *engine) evict() {
	e.mu.Lock()
	segs := make([]*segState, 0, len(e.segs))
	for _, st := range e.segs {
		segs = append(segs, st)
	}
	e.cached = 0
	e.mu.Unlock()
	for _, st := range segs {
		if st.mu.TryLock() { // the caller may hold one segment's lock
			st.lists = map[string]*plist{}
			st.mu.Unlock()
		}
	}
}

// keywordDocs visits the documents of every value of a keyword field in
// the segment.
func keywordDocs(seg segment.Segment, field string, visit func(value string, doc uint64)) error {
	dict, err := seg.Dictionary(field)
	if err != nil {
		return err
	}
	it := dict.AutomatonIterator(nil, nil, nil)
	for entry, err := it.Next(); entry != nil; entry, err = it.Next() {
		if err != nil {
			return err
		}
		pl, err := dict.PostingsList([]byte(entry.Term), nil, nil)
		if err != nil {
			return err
		}
		pi := pl.Iterator(false, false, false, nil)
		for post, err := pi.Next(); err == nil && post != nil; post, err = pi.Next() {
			visit(entry.Term, post.Number())
		}
	}
	return nil
}

// columnsOf builds (once) the segment's facet and date columns.
func (st *segState) columnsOf() (*columns, error) {
	st.colOnce.Do(func() {
		c := &columns{codes: map[string][]uint16{}, vals: map[string][]string{}, topics: make([]uint64, st.n), date: make([]int64, st.n)}
		for _, f := range []string{fType, fLang, fJurisdiction, fYear, fTopics} {
			codes := map[string]int{}
			c.vals[f] = []string{""}
			var col []uint16
			if f != fTopics {
				col = make([]uint16, st.n)
			}
			err := keywordDocs(st.seg, f, func(v string, doc uint64) {
				code, ok := codes[v]
				if !ok {
					code = len(c.vals[f])
					codes[v] = code
					c.vals[f] = append(c.vals[f], v)
				}
				if f == fTopics {
					if code <= 64 {
						c.topics[doc] |= 1 << (code - 1)
					}
					return
				}
				if code < math.MaxUint16 {
					col[doc] = uint16(code)
				}
			})
			if err != nil {
				st.colErr = err
				return
			}
			if col != nil {
				c.codes[f] = col
			}
		}
		st.colErr = keywordDocs(st.seg, fDateKey, func(v string, doc uint64) {
			c.date[doc], _ = strconv.ParseInt(v, 10, 64)
		})
		st.cols = c
	})
	return st.cols, st.colErr
}

// bitset helpers.
func newBits(n int) []uint64           { return make([]uint64, (n+63)/64) }
func hasBit(b []uint64, i uint32) bool { return b[i>>6]&(1<<(i&63)) != 0 }

// allowed returns the bitset of the segment's documents that pass the
// viewer's audiences and the keyword filters (cached per segment and key).
func (e *engine) allowed(st *segState, key string, filters [][2][]string) ([]uint64, error) {
	st.mu.Lock()
	b := st.sets[key]
	st.mu.Unlock()
	if b != nil {
		return b, nil
	}
	var out []uint64
	for _, f := range filters { // {field}, {values}: any value of the field
		field, values := f[0][0], f[1]
		any := newBits(st.n)
		for _, v := range values {
			p, err := e.postings(st, field, v)
			if err != nil {
				return nil, err
			}
			for _, d := range p.docs {
				any[d>>6] |= 1 << (d & 63)
			}
		}
		if out == nil {
			out = any
			continue
		}
		for i := range out {
			out[i] &= any[i]
		}
	}
	st.mu.Lock()
	if len(st.sets) > 256 {
		st.sets = map[string][]uint64{}
	}
	st.sets[key] = out
	st.mu.Unlock()
	return out, nil
}

// union merges sorted hit lists, adding the scores of documents in both.
func union(a, b hits) hits {
	if len(a.docs) == 0 {
		return b
	}
	if len(b.docs) == 0 {
		return a
	}
	out := hits{docs: make([]uint32, 0, len(a.docs)+len(b.docs)), score: make([]float32, 0, len(a.docs)+len(b.docs))}
	i, j := 0, 0
	for i < len(a.docs) && j < len(b.docs) {
		switch {
		case a.docs[i] < b.docs[j]:
			out.docs, out.score = append(out.docs, a.docs[i]), append(out.score, a.score[i])
			i++
		case a.docs[i] > b.docs[j]:
			out.docs, out.score = append(out.docs, b.docs[j]), append(out.score, b.score[j])
			j++
		default:
			out.docs, out.score = append(out.docs, a.docs[i]), append(out.score, a.score[i]+b.score[j])
			i++
			j++
		}
	}
	for ; i < len(a.docs); i++ {
		out.docs, out.score = append(out.docs, a.docs[i]), append(out.score, a.score[i])
	}
	for ; j < len(b.docs); j++ {
		out.docs, out.score = append(out.docs, b.docs[j]), append(out.score, b.score[j])
	}
	return out
}

// intersect keeps the documents in both, adding their scores; it gallops
// through the longer list.
func intersect(a, b hits) hits {
	if len(a.docs) > len(b.docs) {
		a, b = b, a
	}
	out := hits{docs: make([]uint32, 0, len(a.docs)), score: make([]float32, 0, len(a.docs))}
	j := 0
	for i, d := range a.docs {
		// Gallop to the first b.docs[j] >= d.
		step := 1
		for j+step < len(b.docs) && b.docs[j+step] < d {
			j += step
			step *= 2
		}
		for j < len(b.docs) && b.docs[j] < d {
			j++
		}
		if j == len(b.docs) {
			break
		}
		if b.docs[j] == d {
			out.docs, out.score = append(out.docs, d), append(out.score, a.score[i]+b.score[j])
		}
	}
	return out
}

// minus drops from a the documents in b.
func minus(a hits, b hits) hits {
	if len(b.docs) == 0 {
		return a
	}
	out := hits{docs: a.docs[:0:0], score: a.score[:0:0]}
	j := 0
	for i, d := range a.docs {
		for j < len(b.docs) && b.docs[j] < d {
			j++
		}
		if j < len(b.docs) && b.docs[j] == d {
			continue
		}
		out.docs, out.score = append(out.docs, d), append(out.score, a.score[i])
	}
	return out
}

// scaled is a postings list as hits with a factor (idf times boost).
func scaled(p *plist, f float32) hits {
	h := hits{docs: p.docs, score: make([]float32, len(p.w))}
	for i, w := range p.w {
		h.score[i] = w * f
	}
	return h
}

// group is one required part of a branch: a term (title or body), or any
// of some phrases (title or body).
type group struct {
	term    string
	phrases []string
}

// branch is one way for a document to match: in one language (field
// suffix), every group.
type branch struct {
	sfx    string
	groups []group
	boost  float32
}

// plan is a compiled text query: any branch matches; no negative may.
type plan struct {
	branches  []branch
	negatives []branch
}

// compile analyses the query for each language.
func (r Request) compile() (plan, []string) {
	p := r.Query
	langs := fieldLangs
	if r.Lang != "" {
		langs = []string{fieldLang(r.Lang)}
	}
	var pl plan
	var expanded []string
	add := func(into *[]branch, q Parsed, sfx string, boost float32, first []group) {
		b := branch{sfx: sfx, boost: boost, groups: first}
		for _, w := range q.Words {
			for _, t := range terms(sfx, w) {
				b.groups = append(b.groups, group{term: t})
			}
		}
		for _, ph := range q.Phrases {
			switch ts := terms(sfx, ph); len(ts) {
			case 0:
			case 1:
				b.groups = append(b.groups, group{term: ts[0]})
			default:
				b.groups = append(b.groups, group{phrases: []string{ph}})
			}
		}
		if len(b.groups) > 0 {
			*into = append(*into, b)
		}
	}
	if !p.Empty() {
		for _, sfx := range langs {
			add(&pl.branches, p, sfx, 1, nil)
		}
		for _, e := range expand(r.Glossary, p) {
			expanded = append(expanded, e.concept)
			for _, sfx := range langs {
				var alts []string
				for _, w := range e.words[sfx] {
					if len(terms(sfx, w)) > 0 {
						alts = append(alts, w)
					}
				}
				if len(alts) == 0 {
					continue
				}
				add(&pl.branches, e.rest, sfx, expansionBoost, []group{{phrases: alts}})
			}
		}
	}
	for _, w := range p.NotWords {
		for _, sfx := range fieldLangs {
			add(&pl.negatives, Parsed{Words: []string{w}}, sfx, 1, nil)
		}
	}
	for _, ph := range p.NotPhrases {
		for _, sfx := range fieldLangs {
			add(&pl.negatives, Parsed{Phrases: []string{ph}}, sfx, 1, nil)
		}
	}
	return pl, expanded
}

// query is one search's state over a snapshot.
type queryRun struct {
	e      *engine
	x      *Index
	ctx    context.Context
	snap   *scorch.IndexSnapshot
	segs   []*scorch.SegmentSnapshot
	states []*segState
	n      float64            // documents in the snapshot
	idf    map[string]float32 // field + "\x00" + term
}

// idfOf is 1 + ln(N / (df + 1)), the document frequency summed over the
// segments (deleted documents included, as Bleve counts them).
func (q *queryRun) idfOf(field, term string) (float32, error) {
	key := field + "\x00" + term
	if v, ok := q.idf[key]; ok {
		return v, nil
	}
	df := 0
	for _, st := range q.states {
		p, err := q.e.postings(st, field, term)
		if err != nil {
			return 0, err
		}
		df += len(p.docs)
	}
	v := float32(1 + math.Log(q.n/float64(df+1)))
	q.idf[key] = v
	return v, nil
}

// phrase matches a phrase in segment i's title or body in one language:
// the documents with all its words (from the cached postings), then, for
// those, the words' positions from the index, which must follow each other
// as in the phrase (a stop word left out keeps its place).
func (q *queryRun) phrase(i int, sfx, text string, boost float32) (hits, error) {
	lang := sfx
	if sfx == neutral {
		lang = ""
	}
	toks := textlang.Analyze(lang, text)
	if len(toks) == 0 {
		return hits{}, nil
	}
	st := q.states[i]
	var out hits
	for _, field := range []string{"title_" + sfx, "body_" + sfx} {
		fb := boost
		if field[0] == 't' {
			fb *= titleBoost
		}
		var cand hits
		for k, t := range toks {
			p, err := q.e.postings(st, field, t.Term)
			if err != nil {
				return hits{}, err
			}
			idf, err := q.idfOf(field, t.Term)
			if err != nil {
				return hits{}, err
			}
			h := scaled(p, idf*fb)
			if k == 0 {
				cand = h
			} else {
				cand = intersect(cand, h)
			}
			if len(cand.docs) == 0 {
				break
			}
		}
		if len(cand.docs) == 0 {
			continue
		}
		dict, err := st.seg.Dictionary(field)
		if err != nil {
			return hits{}, err
		}
		iters := make([]segment.PostingsIterator, len(toks))
		for k, t := range toks {
			pl, err := dict.PostingsList([]byte(t.Term), nil, nil)
			if err != nil {
				return hits{}, err
			}
			iters[k] = pl.Iterator(false, false, true, nil)
		}
		var found hits
		for c, d := range cand.docs {
			positions := make([]map[uint64]bool, len(toks))
			ok := true
			for k, it := range iters {
				post, err := it.Advance(uint64(d))
				if err != nil || post == nil || post.Number() != uint64(d) {
					ok = false
					break
				}
				positions[k] = map[uint64]bool{}
				for _, l := range post.Locations() {
					positions[k][l.Pos()] = true
				}
			}
			if !ok {
				continue
			}
			for start := range positions[0] {
				match := true
				for k := 1; k < len(toks) && match; k++ {
					match = positions[k][start+uint64(toks[k].Pos-toks[0].Pos)]
				}
				if match {
					found.docs, found.score = append(found.docs, d), append(found.score, cand.score[c])
					break
				}
			}
		}
		out = union(out, found)
	}
	return out, nil
}

// eval is the documents of segment i that match a branch.
func (q *queryRun) eval(i int, b branch) (hits, error) {
	st := q.states[i]
	var parts []hits
	for _, g := range b.groups {
		var h hits
		if g.term != "" {
			for _, f := range []string{"title_" + b.sfx, "body_" + b.sfx} {
				p, err := q.e.postings(st, f, g.term)
				if err != nil {
					return hits{}, err
				}
				idf, err := q.idfOf(f, g.term)
				if err != nil {
					return hits{}, err
				}
				boost := b.boost
				if f[0] == 't' {
					boost *= titleBoost
				}
				h = union(h, scaled(p, idf*boost))
			}
		} else {
			for _, ph := range g.phrases {
				if ts := terms(b.sfx, ph); len(ts) == 1 {
					one, err := q.eval(i, branch{sfx: b.sfx, boost: b.boost, groups: []group{{term: ts[0]}}})
					if err != nil {
						return hits{}, err
					}
					h = union(h, one)
					continue
				}
				per, err := q.phrase(i, b.sfx, ph, b.boost)
				if err != nil {
					return hits{}, err
				}
				h = union(h, per)
			}
		}
		if len(h.docs) == 0 {
			return hits{}, nil
		}
		parts = append(parts, h)
	}
	if len(parts) == 0 {
		return hits{}, nil
	}
	sort.Slice(parts, func(a, c int) bool { return len(parts[a].docs) < len(parts[c].docs) })
	out := parts[0]
	for _, p := range parts[1:] {
		out = intersect(out, p)
		if len(out.docs) == 0 {
			break
		}
	}
	return out, nil
}

// ranked is a hit in the top-N heap.
type ranked struct {
	key  float64 // score, or date
	seg  int
	doc  uint32
	rank float32 // the score, kept for display when sorting by date
}

type topN []ranked

func (t topN) Len() int { return len(t) }
func (t topN) Less(i, j int) bool {
	if t[i].key != t[j].key {
		return t[i].key < t[j].key
	}
	// Ties: later documents rank lower, so they leave the heap first.
	if t[i].seg != t[j].seg {
		return t[i].seg > t[j].seg
	}
	return t[i].doc > t[j].doc
}
func (t topN) Swap(i, j int) { t[i], t[j] = t[j], t[i] }
func (t *topN) Push(x any)   { *t = append(*t, x.(ranked)) }
func (t *topN) Pop() any {
	old := *t
	x := old[len(old)-1]
	*t = old[:len(old)-1]
	return x
}

// run executes a request against the index's current snapshot.
func (x *Index) run(ctx context.Context, r Request, size int) (*Result, error) {
	adv, err := x.Bleve.Advanced()
	if err != nil {
		return nil, err
	}
	reader, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	defer reader.Close()
	snap, ok := reader.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("search: index reader %T is not scorch's", reader)
	}
	q := &queryRun{e: x.engine, x: x, ctx: ctx, snap: snap, segs: snap.Segments(), idf: map[string]float32{}}
	for _, ss := range q.segs {
		q.n += float64(ss.Count())
		q.states = append(q.states, x.engine.state(ss))
	}
	defer x.engine.prune(q.segs)

	pl, expanded := r.compile()
	filters, key := r.filterSets()
	yearFrom, yearTo := r.Query.YearFrom, r.Query.YearTo
	if yearTo == 0 {
		yearTo = math.MaxInt32
	}
	res := &Result{Expanded: expanded}
	if r.Facets {
		res.Facets = map[string][]FacetValue{}
	}
	facetCounts := map[string]map[string]int{}
	want := r.From + size
	var top topN
	for i, st := range q.states {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var matched hits
		if r.Query.Empty() {
			matched = hits{docs: make([]uint32, st.n), score: make([]float32, st.n)}
			for d := range matched.docs {
				matched.docs[d] = uint32(d)
			}
		} else {
			for _, b := range pl.branches {
				h, err := q.eval(i, b)
				if err != nil {
					return nil, err
				}
				matched = union(matched, h)
			}
		}
		if len(matched.docs) == 0 {
			continue
		}
		for _, b := range pl.negatives {
			h, err := q.eval(i, b)
			if err != nil {
				return nil, err
			}
			matched = minus(matched, h)
		}
		allowed, err := x.engine.allowed(st, key, filters)
		if err != nil {
			return nil, err
		}
		cols, err := st.columnsOf()
		if err != nil {
			return nil, err
		}
		deleted := q.segs[i].Deleted()
		if deleted != nil && deleted.IsEmpty() {
			deleted = nil
		}
		// The facets' columns and counters, read per document below.
		facetFields := []string{fType, fLang, fJurisdiction, fYear}
		var colsOf [4][]uint16
		var countsOf [4][]int
		var topicCounts []int
		if r.Facets {
			for j, f := range facetFields {
				colsOf[j], countsOf[j] = cols.codes[f], make([]int, len(cols.vals[f]))
			}
			topicCounts = make([]int, len(cols.vals[fTopics]))
		}
		years := cols.vals[fYear]
		yearCol := cols.codes[fYear]
		yearFilter := r.Query.YearFrom != 0 || r.Query.YearTo != 0
		for k, d := range matched.docs {
			if !hasBit(allowed, d) {
				continue
			}
			if deleted != nil && deleted.Contains(d) {
				continue
			}
			if yearFilter {
				y, _ := strconv.Atoi(years[yearCol[d]])
				if y < yearFrom || y > yearTo {
					continue
				}
			}
			res.Total++
			if r.Facets {
				for j := range colsOf {
					countsOf[j][colsOf[j][d]]++
				}
				for t := cols.topics[d]; t != 0; t &= t - 1 {
					topicCounts[bits.TrailingZeros64(t)+1]++
				}
			}
			if want <= 0 {
				continue
			}
			rk := ranked{key: float64(matched.score[k]), seg: i, doc: d, rank: matched.score[k]}
			if r.ByDate {
				rk.key = float64(cols.date[d])
			}
			if len(top) < want {
				heap.Push(&top, rk)
			} else if less(top[0], rk) {
				top[0] = rk
				heap.Fix(&top, 0)
			}
		}
		if r.Facets {
			add := func(f string, cs []int) {
				if facetCounts[f] == nil {
					facetCounts[f] = map[string]int{}
				}
				for code, n := range cs {
					if code > 0 && n > 0 {
						facetCounts[f][cols.vals[f][code]] += n
					}
				}
			}
			for j, f := range facetFields {
				add(f, countsOf[j])
			}
			add(fTopics, topicCounts)
		}
	}
	if r.Facets {
		for f, m := range facetCounts {
			vs := make([]FacetValue, 0, len(m))
			for v, n := range m {
				vs = append(vs, FacetValue{v, n})
			}
			sort.Slice(vs, func(i, j int) bool {
				if vs[i].Count != vs[j].Count {
					return vs[i].Count > vs[j].Count
				}
				return vs[i].Value < vs[j].Value
			})
			res.Facets[f] = vs
		}
	}
	// The heap holds the best want hits; the page is past From.
	sorted := make([]ranked, len(top))
	for i := len(top) - 1; i >= 0; i-- {
		sorted[i] = heap.Pop(&top).(ranked)
	}
	if r.From < len(sorted) {
		sorted = sorted[r.From:]
	} else {
		sorted = nil
	}
	for _, rk := range sorted {
		h, err := q.hit(rk)
		if err != nil {
			return nil, err
		}
		res.Hits = append(res.Hits, h)
	}
	if r.Snippets {
		if err := q.snippets(pl, res.Hits, sorted); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// less orders two ranked hits as the heap does.
func less(a, b ranked) bool { t := topN{a, b}; return t.Less(0, 1) }

// filterSets lists the keyword filters of the request (the viewer's
// audiences first) and a key that names them for the cache.
func (r Request) filterSets() ([][2][]string, string) {
	var fs [][2][]string
	add := func(field string, values []string) {
		if len(values) > 0 {
			vs := append([]string{}, values...)
			sort.Strings(vs)
			fs = append(fs, [2][]string{{field}, vs})
		}
	}
	add(fAudience, r.Audiences)
	if r.Lang != "" {
		add(fLang, []string{r.Lang})
	}
	p := r.Query
	add(fType, p.Types)
	add(fKind, p.Kinds)
	add(fLang, p.Langs)
	add(fTopics, p.Topics)
	add(fJurisdiction, p.Countries)
	var key strings.Builder
	for _, f := range fs {
		key.WriteString(f[0][0] + "=" + strings.Join(f[1], ",") + ";")
	}
	return fs, key.String()
}

// hit loads a ranked document's id and stored fields.
func (q *queryRun) hit(rk ranked) (Hit, error) {
	seg := q.states[rk.seg].seg
	id, err := seg.DocID(uint64(rk.doc))
	if err != nil {
		return Hit{}, err
	}
	h := Hit{ID: string(id), Score: float64(rk.rank)}
	h.Type, h.Lang, _ = splitID(h.ID)
	err = seg.VisitStoredFields(uint64(rk.doc), func(field string, _ byte, value []byte, _ []uint64) bool {
		switch field {
		case fTitle:
			h.Title = string(value)
		case fSummary:
			h.Summary = string(value)
		case fURL:
			h.URL = string(value)
		case fDateKey:
			if days, err := strconv.ParseInt(string(value), 10, 64); err == nil && days > 0 {
				h.Date = unix(days * 86400)
			}
		}
		return true
	})
	return h, err
}

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

// TextFunc returns the text each document was indexed with, by id: the
// index keeps positions and offsets, not the text, and the snippets are
// cut from it. The collections that feed the index provide it.
type TextFunc func(ctx context.Context, ids []string) (map[string]string, error)

// span is a matched word's byte range in a text.
type span struct{ start, end int }

// snippetWidth is about how much text a snippet shows.
const snippetWidth = 220

// snippets cuts each hit's snippet from its text around the densest run
// of the query's words, with their offsets from the index.
func (q *queryRun) snippets(pl plan, hs []Hit, rks []ranked) error {
	if q.x.Text == nil || len(hs) == 0 {
		return nil
	}
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = h.ID
	}
	texts, err := q.x.Text(q.ctx, ids)
	if err != nil {
		return err
	}
	// The analysed terms of the query, per language.
	bySfx := map[string]map[string]bool{}
	for _, b := range pl.branches {
		m := bySfx[b.sfx]
		if m == nil {
			m = map[string]bool{}
			bySfx[b.sfx] = m
		}
		for _, g := range b.groups {
			if g.term != "" {
				m[g.term] = true
			}
			for _, ph := range g.phrases {
				for _, t := range terms(b.sfx, ph) {
					m[t] = true
				}
			}
		}
	}
	for i := range hs {
		text := texts[hs[i].ID]
		if text == "" {
			continue
		}
		sfx := fieldLang(hs[i].Lang)
		seg := q.states[rks[i].seg].seg
		dict, err := seg.Dictionary("body_" + sfx)
		if err != nil {
			return err
		}
		var spans []span
		for t := range bySfx[sfx] {
			pl, err := dict.PostingsList([]byte(t), nil, nil)
			if err != nil || pl == nil || pl.Count() == 0 {
				continue
			}
			post, err := pl.Iterator(false, false, true, nil).Advance(uint64(rks[i].doc))
			if err != nil || post == nil || post.Number() != uint64(rks[i].doc) {
				continue
			}
			for _, l := range post.Locations() {
				if int(l.End()) <= len(text) && l.Start() < l.End() {
					spans = append(spans, span{int(l.Start()), int(l.End())})
				}
			}
		}
		hs[i].Snippet = snippet(text, spans)
	}
	return nil
}

// snippet escapes a window of text with <mark> around the spans in it.
func snippet(text string, spans []span) template.HTML {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	best, bestN := 0, 0
	for i := range spans {
		n := 0
		for j := i; j < len(spans) && spans[j].end <= spans[i].start+snippetWidth-40; j++ {
			n++
		}
		if n > bestN {
			best, bestN = i, n
		}
	}
	from := 0
	if len(spans) > 0 {
		from = max(0, spans[best].start-40)
	}
	to := min(len(text), from+snippetWidth)
	// Cut at spaces, never inside a character.
	if from > 0 {
		if k := strings.IndexAny(text[from:], " \n\t"); k >= 0 && from+k < spans[best].start {
			from += k + 1
		}
		for from < len(text) && !utf8.RuneStart(text[from]) {
			from++
		}
	}
	if to < len(text) {
		if k := strings.LastIndexAny(text[from:to], " \n\t"); k > 0 {
			to = from + k
		}
		for to > from && !utf8.RuneStart(text[to]) {
			to--
		}
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	cur := from
	for _, s := range spans {
		if s.start < cur || s.end > to {
			continue
		}
		b.WriteString(html.EscapeString(text[cur:s.start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[s.start:s.end]))
		b.WriteString("</mark>")
		cur = s.end
	}
	b.WriteString(html.EscapeString(text[cur:to]))
	if to < len(text) {
		b.WriteString("…")
	}
	return template.HTML(strings.Join(strings.Fields(b.String()), " "))
}
