// Package indexer fills the search index from the sources of truth and
// keeps it current. The collections are the awareness pages (Hugo's
// output in public/, so the index holds exactly what Hugo published),
// best-practice entries, library articles, glossary concepts, public
// workshop summaries and forum posts. A full rebuild reads them all; after
// that the indexer follows the database's change feed, so that a new post
// or a staff edit is searchable within a second and a server that was down
// catches up when it starts. The same code that makes a document for the
// index gives the snippets their text, so the offsets always match.
package indexer

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/polis-portal/polis/search"
	"github.com/polis-portal/polis/search/glossary"
	"github.com/polis-portal/polis/server/library"
	"github.com/polis-portal/polis/server/markdown"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/store"
)

// Indexer feeds one index.
type Indexer struct {
	Index    *search.Index
	Store    *store.Store
	Library  *library.Library // may be nil
	Glossary *glossary.Glossary
	Site     *site.Site
	Public   string // Hugo's output folder
	Log      *slog.Logger

	mu    sync.RWMutex
	pages map[string]search.Doc // id → page (read from public/ at start)

	// The library's documents, made once: the library is read from files
	// at start and never changes while the server runs, and rendering its
	// Markdown again for each search hit's snippet cost 25 ms a search.
	libOnce sync.Once
	lib     []search.Doc
	libText map[string]string // id → body

	// The bodies of the knowledge base's documents as last indexed, for
	// snippets: rendering a practice's Markdown in six languages for each
	// hit was a third of a search page's time. Filled where the index is
	// written (so snippets match what was indexed) and on a miss.
	textMu sync.Mutex
	text   map[string]string
}

// maxRemembered bounds the remembered bodies (the knowledge base holds a
// few hundred documents; past this the memory is given back and refilled).
const maxRemembered = 20000

func (ix *Indexer) remember(docs []search.Doc) {
	ix.textMu.Lock()
	defer ix.textMu.Unlock()
	if ix.text == nil || len(ix.text) > maxRemembered {
		ix.text = map[string]string{}
	}
	for _, d := range docs {
		ix.text[d.ID] = d.Body
	}
}

func (ix *Indexer) forget(ids []string) {
	ix.textMu.Lock()
	defer ix.textMu.Unlock()
	for _, id := range ids {
		delete(ix.text, id)
	}
}

func (ix *Indexer) remembered(id string) (string, bool) {
	ix.textMu.Lock()
	defer ix.textMu.Unlock()
	body, ok := ix.text[id]
	return body, ok
}

// Document types in the index.
const (
	TypePage     = "page"
	TypePractice = "practice"
	TypeTool     = "tool"
	TypeTraining = "training"
	TypeLibrary  = "library"
	TypeGlossary = "glossary"
	TypeWorkshop = "workshop"
	TypePost     = "post"
)

// Types are the document types, in the order facets list them.
var Types = []string{TypePage, TypePractice, TypeTool, TypeTraining, TypeLibrary, TypeGlossary, TypeWorkshop, TypePost}

// Start makes the index current: a full rebuild when it is new (first
// start, mapping change, damage) or older than the change feed reaches
// back, else the file collections again and the feed from where the index
// left it. Then the caller runs Follow.
func (ix *Indexer) Start(ctx context.Context) error {
	if err := ix.loadPages(); err != nil {
		return err
	}
	cursor, err := ix.Index.Cursor()
	if err != nil {
		return err
	}
	oldest, _, err := ix.Store.ChangeBounds(ctx)
	if err != nil {
		return err
	}
	if ix.Index.Fresh || (oldest > 0 && cursor < oldest-1) {
		return ix.Rebuild(ctx)
	}
	start := time.Now()
	n, err := ix.refreshFiles()
	if err != nil {
		return err
	}
	ix.Log.Info("search index reused", "file documents", n, "duration", time.Since(start).Round(time.Millisecond))
	_, err = ix.CatchUp(ctx)
	return err
}

// Rebuild indexes every collection. The feed position is taken first, so
// that changes made while it runs are applied after it.
func (ix *Indexer) Rebuild(ctx context.Context) error {
	start := time.Now()
	_, newest, err := ix.Store.ChangeBounds(ctx)
	if err != nil {
		return err
	}
	if ix.pages == nil {
		if err := ix.loadPages(); err != nil {
			return err
		}
	}
	counts := map[string]int{}
	put := func(docs []search.Doc) error {
		for _, d := range docs {
			counts[d.Type]++
		}
		return ix.Index.Put(docs...)
	}
	files, err := ix.fileDocs()
	if err != nil {
		return err
	}
	if err := put(files); err != nil {
		return err
	}
	ps, err := ix.practiceDocs(ctx, "")
	if err != nil {
		return err
	}
	ix.remember(ps)
	if err := put(ps); err != nil {
		return err
	}
	ws, err := ix.workshopDocs(ctx, "")
	if err != nil {
		return err
	}
	if err := put(ws); err != nil {
		return err
	}
	cats, err := ix.audiences(ctx)
	if err != nil {
		return err
	}
	for after := int64(0); ; {
		posts, err := ix.Store.IndexablePosts(ctx, store.PostScope{AfterID: after, Limit: 10000})
		if err != nil {
			return err
		}
		if len(posts) == 0 {
			break
		}
		if err := put(ix.postDocs(posts, cats)); err != nil {
			return err
		}
		after = posts[len(posts)-1].ID
	}
	if err := ix.Index.Apply(nil, nil, max(newest, 1)); err != nil {
		return err
	}
	if err := ix.Index.Compact(ctx); err != nil {
		return err
	}
	ix.Log.Info("search index rebuilt", "documents", counts, "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// refreshFiles indexes the collections that come from files again (they
// change only with a deployment) and drops the documents they no longer
// have.
func (ix *Indexer) refreshFiles() (int, error) {
	docs, err := ix.fileDocs()
	if err != nil {
		return 0, err
	}
	keep := map[string]bool{}
	for _, d := range docs {
		keep[d.ID] = true
	}
	var stale []string
	for _, typ := range []string{TypePage, TypeLibrary, TypeGlossary} {
		ids, err := ix.Index.IDs(typ)
		if err != nil {
			return 0, err
		}
		for _, id := range ids {
			if !keep[id] {
				stale = append(stale, id)
			}
		}
	}
	if err := ix.Index.Apply(docs, stale, 0); err != nil {
		return 0, err
	}
	return len(docs), nil
}

// fileDocs are the pages, the library and the glossary.
func (ix *Indexer) fileDocs() ([]search.Doc, error) {
	ix.mu.RLock()
	var docs []search.Doc
	for _, d := range ix.pages {
		docs = append(docs, d)
	}
	ix.mu.RUnlock()
	docs = append(docs, ix.libraryDocs("")...)
	docs = append(docs, ix.glossaryDocs("")...)
	return docs, nil
}

// followPoll is how often the feed is read when this process has not
// signalled a change itself (changes written by another server).
const followPoll = 300 * time.Millisecond

// Follow applies the change feed until ctx ends: at once when this
// process records a change, and every followPoll for the others'.
func (ix *Indexer) Follow(ctx context.Context) {
	t := time.NewTicker(followPoll)
	defer t.Stop()
	failing := false // log an outage once, not at every poll
	for {
		_, err := ix.CatchUp(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			ix.Log.Error("search index: applying the change feed (retrying until it works)", "err", err)
			failing = true
		case err == nil && failing:
			ix.Log.Info("search index: the change feed is applied again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-ix.Store.ChangeSignal():
			// Gather the writes that follow closely into one batch: each
			// batch is a new index segment, and under a stream of posts
			// merging one-post segments took a fifth of the server's time.
			select {
			case <-ctx.Done():
				return
			case <-time.After(followGather):
			}
		case <-t.C:
		}
	}
}

// followGather is how long a change signalled by this process waits for
// others before the feed is applied (well inside the two seconds in which
// a post must be searchable).
const followGather = 250 * time.Millisecond

// feedBatch is how many changes are applied in one index batch.
const feedBatch = 500

// CatchUp applies every change after the index's cursor and returns how
// many it applied.
func (ix *Indexer) CatchUp(ctx context.Context) (int, error) {
	applied := 0
	for {
		cursor, err := ix.Index.Cursor()
		if err != nil {
			return applied, err
		}
		changes, err := ix.Store.Changes(ctx, cursor, feedBatch)
		if err != nil || len(changes) == 0 {
			return applied, err
		}
		put, del, err := ix.resolve(ctx, changes)
		if err != nil {
			return applied, err
		}
		if err := ix.Index.Apply(put, del, changes[len(changes)-1].ID); err != nil {
			return applied, err
		}
		applied += len(changes)
	}
}

// resolve turns changes into documents to put and ids to delete: each
// changed entity's documents are deleted, then the ones that should be in
// the index are put back (a batch deletes before it indexes).
func (ix *Indexer) resolve(ctx context.Context, changes []store.Change) (put []search.Doc, del []string, err error) {
	cats, err := ix.audiences(ctx)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, c := range changes {
		k := c.Entity + "\x00" + c.Key
		if seen[k] {
			continue
		}
		seen[k] = true
		switch c.Entity {
		case store.ChangePost, store.ChangeThread, store.ChangeCategory:
			id, err := strconv.ParseInt(c.Key, 10, 64)
			if err != nil {
				continue
			}
			var sc store.PostScope
			var all []int64
			switch c.Entity {
			case store.ChangePost:
				sc, all = store.PostScope{IDs: []int64{id}}, []int64{id}
			case store.ChangeThread:
				sc = store.PostScope{ThreadID: id}
				all, err = ix.Store.PostIDs(ctx, id, 0)
			case store.ChangeCategory:
				sc = store.PostScope{CategoryID: id}
				all, err = ix.Store.PostIDs(ctx, 0, id)
			}
			if err != nil {
				return nil, nil, err
			}
			for _, pid := range all {
				del = append(del, postIDs(pid, ix.Site.Codes())...)
			}
			posts, err := ix.Store.IndexablePosts(ctx, sc)
			if err != nil {
				return nil, nil, err
			}
			put = append(put, ix.postDocs(posts, cats)...)
		case store.ChangePractice:
			var gone []string
			for _, l := range ix.Site.Codes() {
				for _, typ := range []string{TypePractice, TypeTool, TypeTraining} {
					gone = append(gone, search.ID(typ, l, c.Key))
				}
			}
			docs, err := ix.practiceDocs(ctx, c.Key)
			if err != nil {
				return nil, nil, err
			}
			ix.forget(gone)
			ix.remember(docs)
			del = append(del, gone...)
			put = append(put, docs...)
		case store.ChangeWorkshop:
			for _, l := range ix.Site.Codes() {
				del = append(del, search.ID(TypeWorkshop, l, c.Key))
			}
			docs, err := ix.workshopDocs(ctx, c.Key)
			if err != nil {
				return nil, nil, err
			}
			put = append(put, docs...)
		}
	}
	return put, del, nil
}

// postIDs are the index ids a post may have: one, in its language, which
// an edit may change.
func postIDs(id int64, langs []string) []string {
	key := strconv.FormatInt(id, 10)
	out := []string{search.ID(TypePost, "", key), search.ID(TypePost, "xx", key)}
	for _, l := range langs {
		out = append(out, search.ID(TypePost, l, key))
	}
	return out
}

// audiences maps each forum community to who may read it, as index
// audience tokens. Staff read every community.
func (ix *Indexer) audiences(ctx context.Context) (map[int64][]string, error) {
	cats, err := ix.Store.Categories(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int64][]string{}
	for _, c := range cats {
		aud := []string{search.Staff}
		switch c.Audience[store.AccessRead] {
		case store.AudienceExperts:
			aud = append(aud, search.Experts)
		case store.AudienceGroups:
			for _, g := range c.Groups[store.AccessRead] {
				aud = append(aud, search.Group(g))
			}
		}
		out[c.ID] = aud
	}
	return out, nil
}

// Audiences returns what a viewer may read, as index tokens: everyone
// reads public documents; an approved expert also experts' and their
// groups'; staff everything.
func Audiences(u *store.User) []string {
	if u == nil || !u.CanEnter() {
		return []string{search.Public}
	}
	aud := []string{search.Public, search.Experts}
	for _, g := range u.Groups {
		aud = append(aud, search.Group(g))
	}
	if u.IsStaff() {
		aud = append(aud, search.Staff)
	}
	return aud
}

// postDocs makes the documents of visible posts.
func (ix *Indexer) postDocs(posts []store.IndexedPost, cats map[int64][]string) []search.Doc {
	out := make([]search.Doc, 0, len(posts))
	for _, p := range posts {
		aud, ok := cats[p.CategoryID]
		if !ok {
			continue // a community that no longer exists: nobody reads it
		}
		lang := p.Lang
		if lang == "" {
			lang = ix.Site.Default
		}
		out = append(out, search.Doc{
			ID: search.ID(TypePost, lang, strconv.FormatInt(p.ID, 10)), Type: TypePost, Lang: lang,
			Title: p.Title, Body: plain(p.Body),
			// No language in the address: the reader's is put in front.
			URL:  "forum/t/" + strconv.FormatInt(p.ThreadID, 10) + "#p" + strconv.Itoa(p.Seq),
			Date: time.Unix(p.CreatedAt, 0), Audience: aud,
		})
	}
	return out
}

// practiceDocs makes the documents of one entry (slug) or of all.
func (ix *Indexer) practiceDocs(ctx context.Context, slug string) ([]search.Doc, error) {
	all := []string{search.Public, search.Experts}
	var items []*store.Practice
	if slug != "" {
		p, err := ix.Store.PracticeBySlug(ctx, slug, all)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		items = []*store.Practice{p}
	} else {
		var err error
		if items, err = ix.Store.Practices(ctx, store.PracticeFilter{Audiences: all}); err != nil {
			return nil, err
		}
	}
	var out []search.Doc
	for _, p := range items {
		typ := TypePractice
		switch p.Kind {
		case "tool":
			typ = TypeTool
		case "training":
			typ = TypeTraining
		}
		aud := []string{p.Audience, search.Staff}
		date, _ := time.Parse("2006-01-02", p.Date)
		for lang, t := range p.Texts {
			out = append(out, search.Doc{
				ID: search.ID(typ, lang, p.Slug), Type: typ, Kind: p.Kind, Lang: lang,
				Title: t.Title, Summary: t.Summary, Body: t.Summary + "\n\n" + plain(t.Body),
				URL: "/" + lang + "/practices/" + p.Slug + "/", Topics: p.Topics, Year: p.Source.Year, Date: date, Audience: aud,
			})
		}
	}
	return out, nil
}

// libraryDocs makes one document per article and language (of one
// document id, or all).
func (ix *Indexer) libraryDocs(id string) []search.Doc {
	ix.libOnce.Do(ix.makeLibraryDocs)
	if id == "" {
		return ix.lib
	}
	var out []search.Doc
	prefix := id + "/"
	for _, d := range ix.lib {
		if _, _, key := splitID(d.ID); strings.HasPrefix(key, prefix) {
			out = append(out, d)
		}
	}
	return out
}

func (ix *Indexer) makeLibraryDocs() {
	ix.libText = map[string]string{}
	if ix.Library == nil {
		return
	}
	var out []search.Doc
	for _, d := range ix.Library.Docs {
		for lang, t := range d.Texts {
			for _, a := range t.Articles {
				body := plain(a.Markdown)
				if a.CommentMD != "" {
					body += "\n\n" + plain(a.CommentMD)
				}
				out = append(out, search.Doc{
					ID: search.ID(TypeLibrary, lang, d.ID+"/"+a.Anchor), Type: TypeLibrary, Kind: d.Kind, Lang: lang,
					Title: t.Short + ", " + a.Label + " — " + a.Title, Summary: t.Title, Body: body,
					URL: library.Permalink(lang, d.ID, a.Anchor), Topics: []string{"legislation"}, Jurisdiction: d.Jurisdiction,
					Year: d.Year, Audience: []string{search.Public},
				})
				ix.libText[out[len(out)-1].ID] = body
			}
		}
	}
	ix.lib = out
}

// glossaryDocs makes one document per concept and language (of one
// concept id, or all).
func (ix *Indexer) glossaryDocs(id string) []search.Doc {
	if ix.Glossary == nil {
		return nil
	}
	var out []search.Doc
	for _, c := range ix.Glossary.Concepts {
		if id != "" && c.ID != id {
			continue
		}
		for _, lang := range ix.Site.Codes() {
			term := c.Terms[lang]
			if term == "" {
				continue
			}
			others := strings.Join(append(append([]string{}, c.Other[lang]...), c.Discouraged[lang]...), ", ")
			out = append(out, search.Doc{
				ID: search.ID(TypeGlossary, lang, c.ID), Type: TypeGlossary, Lang: lang,
				Title: term, Summary: others, Body: c.Definition[lang] + "\n\n" + others,
				URL: "/" + lang + "/glossary/#" + c.ID, Audience: []string{search.Public},
			})
		}
	}
	return out
}

// workshopDocs makes the documents of the public summaries (of one
// workshop slug, or all).
func (ix *Indexer) workshopDocs(ctx context.Context, slug string) ([]search.Doc, error) {
	var ws []*store.Workshop
	if slug != "" {
		w, err := ix.Store.WorkshopBySlug(ctx, slug)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		ws = []*store.Workshop{w}
	} else {
		var err error
		if ws, err = ix.Store.Workshops(ctx); err != nil {
			return nil, err
		}
	}
	var out []search.Doc
	for _, w := range ws {
		if !w.SummaryPublic {
			continue
		}
		for lang, t := range w.Texts {
			if strings.TrimSpace(t.Summary) == "" {
				continue
			}
			out = append(out, search.Doc{
				ID: search.ID(TypeWorkshop, lang, w.Slug), Type: TypeWorkshop, Lang: lang, Title: t.Title,
				Body: plain(t.Summary), URL: "/" + lang + "/workshops/" + w.Slug + "/summary",
				Date: time.Unix(w.SummaryAt, 0), Audience: []string{search.Public},
			})
		}
	}
	return out, nil
}

// plain is Markdown as the text a reader sees.
func plain(md string) string {
	return markdown.Excerpt([]byte(md), 1<<30)
}

// Text gives the snippets the text each document was indexed with, made
// by the same code that indexed it.
func (ix *Indexer) Text(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	var posts []int64
	// body keeps the text of the document with this id among docs.
	body := func(id string, docs []search.Doc, err error) error {
		for _, d := range docs {
			if d.ID == id {
				out[id] = d.Body
			}
		}
		return err
	}
	for _, id := range ids {
		typ, _, key := splitID(id)
		var err error
		switch typ {
		case TypePage:
			ix.mu.RLock()
			out[id] = ix.pages[id].Body
			ix.mu.RUnlock()
		case TypeLibrary:
			ix.libOnce.Do(ix.makeLibraryDocs)
			out[id] = ix.libText[id]
		case TypeGlossary:
			err = body(id, ix.glossaryDocs(key), nil)
		case TypePractice, TypeTool, TypeTraining:
			if b, ok := ix.remembered(id); ok {
				out[id] = b
				continue
			}
			docs, derr := ix.practiceDocs(ctx, key)
			ix.remember(docs)
			err = body(id, docs, derr)
		case TypeWorkshop:
			docs, derr := ix.workshopDocs(ctx, key)
			err = body(id, docs, derr)
		case TypePost:
			if n, perr := strconv.ParseInt(key, 10, 64); perr == nil {
				posts = append(posts, n)
			}
		}
		if err != nil && !store.Unavailable(err) {
			return nil, err
		}
	}
	if len(posts) > 0 {
		// While the database is down, hits from it go without a snippet
		// (the page shows their summary) rather than failing the search.
		ps, err := ix.Store.IndexablePosts(ctx, store.PostScope{IDs: posts})
		if err != nil && !store.Unavailable(err) {
			return nil, err
		}
		for _, p := range ps {
			lang := p.Lang
			if lang == "" {
				lang = ix.Site.Default
			}
			out[search.ID(TypePost, lang, strconv.FormatInt(p.ID, 10))] = plain(p.Body)
		}
	}
	return out, nil
}

func splitID(id string) (typ, lang, key string) {
	typ, rest, _ := strings.Cut(id, ":")
	lang, key, _ = strings.Cut(rest, ":")
	return typ, lang, key
}
